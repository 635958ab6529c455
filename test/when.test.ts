import { describe, expect, it } from 'vitest';
import { parseRelative } from '../src/domain/kin.js';
import { approxDay, hintDay, hintMonth, parseDuration, parseMonth, parseWhen, resolveMonth, resolveWhen } from '../src/core/when.js';

// Monday 23/11/2026, 10:00 in Hải Phòng (issue #19's dates are seen from here).
const NOW = new Date('2026-11-23T03:00:00Z');
const local = (s: string) => new Date(`${s}+07:00`);
const at = (typed: string, locale = 'vi', now = NOW) => {
  const w = parseWhen(typed, { locale });
  return w ? resolveWhen(w, now) : null;
};

describe('dates and times as people type them (#19)', () => {
  it.each([
    // The issue's own words.
    ['sáng thứ 5 tuần sau 7h30', '2026-12-03T07:30'],
    ['tối nay 8h', '2026-11-23T20:00'],
    // Weekdays: of next week, of this week, the next to come.
    ['sang thu 5 tuan sau 7h30', '2026-12-03T07:30'],
    ['thứ năm tuần sau lúc 7 giờ 30', '2026-12-03T07:30'],
    ['thứ 5 tuần tới 8h', '2026-12-03T08:00'],
    ['thứ 5 này 8h', '2026-11-26T08:00'],
    ['thứ 5 tới 8h', '2026-11-26T08:00'],
    ['thứ 2 9h', '2026-11-30T09:00'], // today is a Monday: the next one
    ['chủ nhật 7h', '2026-11-29T07:00'],
    ['CN tuần sau 7h', '2026-12-06T07:00'],
    ['t7 14h', '2026-11-28T14:00'],
    ['chiều thứ 6 2 giờ', '2026-11-27T14:00'],
    // Parts of the day.
    ['8h tối nay', '2026-11-23T20:00'],
    ['toi nay 8 gio', '2026-11-23T20:00'],
    ['chiều mai 3h', '2026-11-24T15:00'],
    ['sáng mai 7 giờ rưỡi', '2026-11-24T07:30'],
    ['trưa mai 1h', '2026-11-24T13:00'],
    ['mai lúc 8', '2026-11-24T08:00'],
    ['8 giờ kém 15 sáng mai', '2026-11-24T07:45'],
    ['3 ngày nữa 9h', '2026-11-26T09:00'],
    // Day and month in words, a year said as "năm sau".
    ['ngày 28 tháng 4 năm 2027 8h', '2027-04-28T08:00'],
    ['28 tháng 4 năm sau 8h', '2027-04-28T08:00'],
    ['28/4 năm sau 8h', '2027-04-28T08:00'],
    ['20/12 8h', '2026-12-20T08:00'],
  ])('%s → %s local', (typed, expected) => {
    expect(at(typed)).toEqual(local(expected));
  });

  it.each([
    ['April 28, 2027 9am', '2027-04-28T09:00'],
    ['28 April 2027 at 9:30', '2027-04-28T09:30'],
    ['Dec 20 8am', '2026-12-20T08:00'],
    ['tomorrow 8:30', '2026-11-24T08:30'],
    ['tomorrow at 2pm', '2026-11-24T14:00'],
    ['tonight 8', '2026-11-23T20:00'],
    ['tonight at 8pm', '2026-11-23T20:00'],
    ['Thursday next week 7:30', '2026-12-03T07:30'],
    ['next Thursday 7:30am', '2026-11-26T07:30'],
    ['20/12 8h', '2026-12-20T08:00'],
    ['sáng mai 7h', '2026-11-24T07:00'], // Vietnamese still works in English mode
  ])('in English mode: %s → %s local', (typed, expected) => {
    expect(at(typed, 'en')).toEqual(local(expected));
  });

  it('English month names only in English mode', () => {
    expect(parseWhen('April 28, 2027 9am')).toBeNull();
    expect(parseWhen('April 28, 2027 9am', { locale: 'en' })).toEqual({ date: { d: 28, m: 4, y: 2027 }, time: { h: 9, mi: 0 } });
  });

  it('a day with a part of the day but no hour still needs the time', () => {
    expect(parseWhen('sáng thứ 5 tuần sau')).toEqual({ date: { weekday: 4, week: 'next' }, part: 'morning' });
    expect(at('sáng thứ 5 tuần sau')).toBe('need-time');
    expect(at('tối nay')).toBe('need-time');
  });

  it("this week's day already gone is in the past", () => {
    // Tuesday 24/11: "thứ 2 này" was yesterday.
    expect(at('thứ 2 này 8h', 'vi', local('2026-11-24T10:00'))).toBe('past');
    expect(at('sáng nay 7h')).toBe('past');
  });

  it.each([['sáng mai nhé bạn ơi'], ['thứ 5 tuần sau và thứ 6'], ['tối 25h'], ['April 28'], ['hello'], ['8']])('%s is not understood', (typed) => {
    expect(parseWhen(typed)).toBeNull();
  });
});

describe('durations and end times (#19)', () => {
  const start = local('2026-12-03T07:30');
  it.each([
    ['3 tiếng rưỡi', 210],
    ['3 tieng ruoi', 210],
    ['1 tiếng rưỡi', 90],
    ['2h rưỡi', 150],
    ['nửa tiếng', 30],
    ['một tiếng', 60],
    ['1,5 tiếng', 90],
    ['2 tiếng 15 phút', 135],
    ['90 phút', 90],
  ])('%s → %s minutes', (typed, minutes) => {
    expect(parseDuration(typed)).toBe(minutes);
  });

  it.each([
    ['2 hours', 120],
    ['1.5 hours', 90],
    ['90 min', 90],
    ['an hour and a half', 90],
    ['2 hours and 30 minutes', 150],
  ])('in English: %s → %s minutes', (typed, minutes) => {
    expect(parseDuration(typed, { locale: 'en' })).toBe(minutes);
  });

  it.each([
    ['đến 11h', 210],
    ['tới 11 giờ', 210],
    ['den 11h30', 240],
    ['đến 4 giờ chiều', 510],
    ['until 11:30', 240],
    ['till 1pm', 330],
  ])('an end time from a 7:30 start: %s → %s minutes', (typed, minutes) => {
    expect(parseDuration(typed, { start, locale: 'en' })).toBe(minutes);
  });

  it('an end time after a 13:30 start: "đến 4h" is 16:00', () => {
    expect(parseDuration('đến 4h', { start: local('2026-12-03T13:30') })).toBe(150);
  });

  it('an end time without a start, or before the start, is not a duration', () => {
    expect(parseDuration('đến 11h')).toBeNull();
    expect(parseDuration('đến 7h sáng', { start })).toBeNull();
  });
});

describe('months, for a due date or a wedding (#19)', () => {
  it.each([
    ['cuối tháng 4 năm sau', { y: 2027, m: 4 }, 'late'],
    ['đầu tháng 5', { y: 2027, m: 5 }, 'early'],
    ['giữa tháng 12', { y: 2026, m: 12 }, 'mid'],
    ['tháng 4', { y: 2027, m: 4 }, null],
    ['thang tu nam sau', { y: 2027, m: 4 }, null],
    ['5/2027', { y: 2027, m: 5 }, null],
    ['tháng 5 năm 2027', { y: 2027, m: 5 }, null],
    ['tháng 5/27', { y: 2027, m: 5 }, null],
  ])('%s', (typed, month, part) => {
    const m = parseMonth(typed);
    expect(m && resolveMonth(m, NOW)).toEqual(month);
    expect(m?.part).toBe(part);
  });

  it.each([
    ['late April 2027', { y: 2027, m: 4 }, 'late'],
    ['end of April next year', { y: 2027, m: 4 }, 'late'],
    ['mid-May', { y: 2027, m: 5 }, 'mid'],
    ['April', { y: 2027, m: 4 }, null],
  ])('in English: %s', (typed, month, part) => {
    const m = parseMonth(typed, { locale: 'en' });
    expect(m && resolveMonth(m, NOW)).toEqual(month);
    expect(m?.part).toBe(part);
  });

  it('suggests a day in the part of the month said', () => {
    expect([approxDay('early'), approxDay('mid'), approxDay('late'), approxDay(null)]).toEqual([5, 15, 25, 15]);
  });

  it.each([['năm'], ['tháng 13'], ['hello'], ['28/4/2027']])('%s is not a month', (typed) => {
    expect(parseMonth(typed, { locale: 'en' })).toBeNull();
  });
});

describe('examples in prompts are computed from now, never in the past (#19)', () => {
  it('on 30/11 the schedule example is after 30/11', () => {
    const on30 = local('2026-11-30T10:00');
    expect(hintDay(on30, 1)).toBe('1/12');
    expect(hintDay(on30, 7, true)).toBe('7/12/2026');
    expect(hintMonth(on30, 6)).toBe('5/2027');
  });
});

describe('a relative typed with kinship words (#19)', () => {
  it.each([
    ['mẹ Lan 1954', 'Lan', 'mother'],
    ['Mẹ Lan, 1954', 'Lan', 'mother'],
    ['me lan 1954', 'Lan', 'mother'],
    ['Bố tôi Nguyễn Văn Nam, 1950', 'Nguyễn Văn Nam', 'father'],
    ['bo toi nguyen van nam 1950', 'Nguyen Van Nam', 'father'],
    ['bà ngoại Hoa sinh năm 1940', 'Hoa', 'grandmother'],
    ['ong noi Tuan 1938', 'Tuan', 'grandfather'],
    ['Ông Phạm Văn Tư 1939', 'Phạm Văn Tư', 'grandfather'],
    ['chú Ba 1950', 'Ba', 'other'],
    ['ba Hai 1948', 'Hai', null], // bố or bà: asked
    ['Mẹ, 1952', 'Mẹ', 'mother'],
    ['me 1952', 'Mẹ', 'mother'],
    ['my mother Lan 1954', 'Lan', 'mother'],
    ['grandma Hoa 1940', 'Hoa', 'grandmother'],
    ['Nguyễn Thị Hoa, 1952', 'Nguyễn Thị Hoa', null],
    ['Chu Văn An 1950', 'Chu Văn An', null], // a surname, not "chú"
    ['Bá Lộc 1950', 'Bá Lộc', null],
  ])('%s → %s (%s)', (typed, name, relationship) => {
    expect(parseRelative(typed, NOW)).toEqual({ name, birthYear: Number(/\d{4}/.exec(typed)![0]), relationship });
  });
});
