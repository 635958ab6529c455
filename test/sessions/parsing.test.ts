import { describe, expect, it } from 'vitest';
import { parseNameAndYear } from '../../src/domain/bookings.js';
import { fromLocal } from '../../src/core/time.js';
import { parseDuration, parseWhen, resolveWhen } from '../../src/core/when.js';
import { normalisePhone } from '../../src/core/phone.js';
import { reminderPlan } from '../../src/domain/reminders.js';
import { authorize, PERMISSIONS, type StaffAction } from '../../src/domain/authority.js';
import type { Grant } from '../../src/core/actor.js';

// Monday 23/11/2026, 10:00 in Hải Phòng.
const NOW = new Date('2026-11-23T03:00:00Z');
const local = (s: string) => new Date(`${s}+07:00`);

describe('dates and times as people type them (Asia/Ho_Chi_Minh)', () => {
  it.each([
    ['20/12 8h', '2026-12-20T08:00'],
    ['20/12/2026 8h', '2026-12-20T08:00'],
    ['20-12-2026 8:30', '2026-12-20T08:30'],
    ['20.12 7h30', '2026-12-20T07:30'],
    ['20/12 8 giờ', '2026-12-20T08:00'],
    ['20/12 8 gio', '2026-12-20T08:00'],
    ['ngày 20/12 lúc 7g30', '2026-12-20T07:30'],
    ['20/12 2 giờ chiều', '2026-12-20T14:00'],
    ['thứ 2, 20/12/26 14h', '2026-12-20T14:00'],
    ['mai 7h', '2026-11-24T07:00'],
    ['5/1 8h', '2027-01-05T08:00'], // January typed in November: next January
    ['29/2/2028 8:00', '2028-02-29T08:00'],
  ])('%s → %s local', (typed, expected) => {
    const r = resolveWhen(parseWhen(typed)!, NOW);
    expect(r).toEqual(local(expected));
  });

  it('a time alone takes the day already given; a day alone asks for the time', () => {
    expect(resolveWhen(parseWhen('8:30')!, NOW, { y: 2026, m: 12, d: 20 })).toEqual(local('2026-12-20T08:30'));
    expect(resolveWhen(parseWhen('7h30')!, NOW, { y: 2026, m: 12, d: 20 })).toEqual(local('2026-12-20T07:30'));
    expect(resolveWhen(parseWhen('8 giờ')!, NOW, { y: 2026, m: 12, d: 20 })).toEqual(local('2026-12-20T08:00'));
    expect(resolveWhen(parseWhen('20/12')!, NOW)).toBe('need-time');
    expect(resolveWhen(parseWhen('8:30')!, NOW)).toBe('need-date');
  });

  it.each([['22/11/2026 8h'], ['23/11 9h'], ['hôm nay 8h']])('%s is in the past', (typed) => {
    expect(resolveWhen(parseWhen(typed)!, NOW)).toBe('past');
  });

  it.each([['31/2 8h'], ['29/2/2027 8h'], ['32/12 8h']])('%s is no such day', (typed) => {
    expect(resolveWhen(parseWhen(typed)!, NOW)).toBeNull();
  });

  it.each([['hello'], ['sáng mai nhé bạn ơi'], ['25h'], ['8:75'], [''], ['20/12 8h và 9h kia']])('%s is not understood', (typed) => {
    expect(parseWhen(typed)).toBeNull();
  });

  it('is the same whatever the machine’s zone: 7:30 local is 00:30 UTC', () => {
    expect(fromLocal(2026, 12, 10, 7, 30).toISOString()).toBe('2026-12-10T00:30:00.000Z');
  });

  it.each([
    ['90 phút', 90],
    ['2 tiếng', 120],
    ['2h', 120],
    ['1h30', 90],
    ['3 giờ', 180],
    ['120', 120],
    ['2', 120],
    ['5 phut', null],
    ['13 tiếng', null],
    ['lâu', null],
  ])('duration %s → %s minutes', (typed, minutes) => {
    expect(parseDuration(typed)).toBe(minutes);
  });
});

describe('phone numbers', () => {
  it.each([
    ['0912 345 678', '+84912345678'],
    ['0912.345.678', '+84912345678'],
    ['0912-345-678', '+84912345678'],
    ['+84 912 345 678', '+84912345678'],
    ['(+84) 912 345 678', '+84912345678'],
    ['84912345678', '+84912345678'],
    ['0388888888', '+84388888888'],
    ['0225 3842 123', '+842253842123'],
  ])('%s → %s', (typed, normal) => {
    expect(normalisePhone(typed)).toBe(normal);
  });

  it.each([['091234567'], ['09123456789'], ['0112345678'], ['+1 912 345 678'], ['số tôi là 0912'], ['abc'], ['']])('%s is refused', (typed) => {
    expect(normalisePhone(typed)).toBeNull();
  });
});

describe('names with a birth year', () => {
  it.each([
    ['Nguyễn Thị Hoa, 1952', 'Nguyễn Thị Hoa', 1952],
    ['Mẹ Hoa 1952', 'Mẹ Hoa', 1952],
    ['Trần Văn Nam sinh năm 1948', 'Trần Văn Nam', 1948],
  ])('%s', (typed, name, year) => {
    expect(parseNameAndYear(typed, NOW)).toEqual({ name, birthYear: year });
  });
  it.each([['Hoa'], ['1952'], ['Hoa 2090'], ['Hoa 1800']])('%s is refused', (typed) => {
    expect(parseNameAndYear(typed, NOW)).toBeNull();
  });
});

describe('reminder plan', () => {
  // Thursday 10/12/2026 7:30 local.
  const start = local('2026-12-10T07:30');
  it('3 days and 1 day before at 08:00, and on the day 2 hours before but never before 07:00', () => {
    expect(reminderPlan(start, NOW)).toEqual([
      { slot: 'd-3', dueAt: local('2026-12-07T08:00') },
      { slot: 'd-1', dueAt: local('2026-12-09T08:00') },
      { slot: 'h-2', dueAt: local('2026-12-10T07:00') },
    ]);
    expect(reminderPlan(local('2026-12-10T14:00'), NOW).at(-1)).toEqual({ slot: 'h-2', dueAt: local('2026-12-10T12:00') });
  });
  it('a late booking skips what is already past', () => {
    expect(reminderPlan(start, local('2026-12-08T12:00')).map((p) => p.slot)).toEqual(['d-1', 'h-2']);
    expect(reminderPlan(start, local('2026-12-09T20:00')).map((p) => p.slot)).toEqual(['h-2']);
    expect(reminderPlan(start, local('2026-12-10T07:10'))).toEqual([]);
  });
  it('a 2-hours-before reminder that would fall in quiet hours never goes out after the start', () => {
    // 23:30 session: 21:30 is quiet; 07:00 next day is after the start, so there is none.
    expect(reminderPlan(local('2026-12-10T23:30'), NOW).map((p) => p.slot)).toEqual(['d-3', 'd-1']);
  });
});

describe('authorisation rule', () => {
  const A = '11383';
  const B = '11329';
  const grants: Record<string, Grant | null> = {
    none: null,
    collaborator: { id: 1, role: 'collaborator', wardCodes: [A] },
    staff: { id: 2, role: 'staff', wardCodes: [A] },
    admin: { id: 3, role: 'admin', wardCodes: [] },
  };
  const actions = Object.keys(PERMISSIONS) as StaffAction[];
  it.each(Object.keys(grants))('%s: each action inside and outside the ward', (who) => {
    for (const action of actions) {
      const grant = grants[who]!;
      const permitted = grant !== null && PERMISSIONS[action].includes(grant.role);
      const refusal = grant === null ? 'no-role' : 'role-lacks';
      expect(authorize(grant, action, A), `${who} ${action} in A`).toBe(permitted ? null : refusal);
      expect(authorize(grant, action, B), `${who} ${action} in B`).toBe(!permitted ? refusal : grant!.role === 'admin' ? null : 'outside-ward');
    }
  });
  it('the table says what the design says', () => {
    expect(PERMISSIONS['roles.manage']).toEqual(['admin']);
    expect(PERMISSIONS['session.create']).not.toContain('collaborator');
    expect(PERMISSIONS['session.attendance']).toContain('collaborator');
  });
});
