import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/paths.js';
import { isDenied } from '../../src/core/actor.js';
import { findContact } from '../../src/domain/contacts.js';
import { Person } from '../../src/domain/person.js';
import { buildIndicators, COLUMNS, type IndicatorInput, type MonthTally, periodsOf, shownRow } from '../../src/domain/reports.js';
import { milestoneOf, statusChange } from '../../src/domain/tallies.js';
import { tallyOutbox } from '../../src/domain/tallies-jobs.js';
import type { TestApp } from '../support/app.js';
import { ADMIN, bookInChat, createSessionInChat, grantRole, LE_CHAN, NGO_QUYEN, sql$, staffApp, who } from '../support/staff.js';
import { audits, signIn, tallied, tallyRows } from './support.js';

// ---- the rules, pure ----

const A = '11383';
const B = '11329';
const month = (wardCode: string, programme: string, metric: string, m: number, n: number): MonthTally => ({ wardCode, programme, metric, month: m, n });

function input(months: MonthTally[], extra: Partial<IndicatorInput> = {}): IndicatorInput {
  return { year: 2026, grain: 'month', lastMonth: 12, months, opening: new Map(), wardCodes: [A, B], denominators: new Map(), targets: null, ...extra };
}

const sample = [
  month(A, 'elderly', 'attended', 1, 3),
  month(A, 'elderly', 'attended', 2, 4),
  month(A, 'elderly', 'attended', 3, 10),
  month(A, 'elderly', 'walkins', 2, 2),
  month(A, 'elderly', 'bookings', 1, 9),
  month(A, 'elderly', 'bookings.cancelled', 1, 2),
  month(A, 'elderly', 'subscribers.started', 1, 5),
  month(A, 'elderly', 'subscribers.started', 3, 2),
  month(A, 'elderly', 'subscribers.stopped', 2, 1),
  month(A, 'elderly', 'milestone.checkup', 4, 1),
  month(B, 'elderly', 'attended', 1, 1),
  month(B, 'elderly', 'attended', 5, 7),
  month(B, 'newborn', 'milestone.heel', 2, 6),
  month(B, 'elderly', 'reminders.sent', 2, 30),
  month(B, 'elderly', 'broadcast.reach', 3, 120),
];

describe('counting rules (pure)', () => {
  it('a quarter is the sum of its months, a year of its quarters; the active count is the level at the period’s end', () => {
    const byMonth = buildIndicators(input(sample));
    const byQuarter = buildIndicators(input(sample, { grain: 'quarter' }));
    const byYear = buildIndicators(input(sample, { grain: 'year' }));
    for (const ward of [A, B, null]) {
      for (const programme of ['elderly', 'newborn'] as const) {
        const months = byMonth.filter((r) => r.wardCode === ward && r.programme === programme);
        const quarters = byQuarter.filter((r) => r.wardCode === ward && r.programme === programme);
        expect(months).toHaveLength(12);
        expect(quarters.map((q) => q.period.key)).toEqual(['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']);
        for (const [qi, q] of quarters.entries()) {
          const inside = months.slice(qi * 3, qi * 3 + 3);
          for (const col of COLUMNS) {
            const expected = col === 'subscribersActive' ? inside[2]!.values[col] : inside.reduce((s, m) => s + m.values[col], 0);
            expect(q.values[col], `${ward} ${programme} ${q.period.key} ${col}`).toBe(expected);
          }
        }
        const year = byYear.find((r) => r.wardCode === ward && r.programme === programme)!;
        for (const col of COLUMNS) {
          if (col === 'subscribersActive') expect(year.values[col]).toBe(quarters[3]!.values[col]);
          else expect(year.values[col]).toBe(quarters.reduce((s, q) => s + q.values[col], 0));
        }
      }
    }
    const q1 = byQuarter.find((r) => r.wardCode === A && r.programme === 'elderly' && r.period.key === '2026-Q1')!;
    expect(q1.values).toMatchObject({ attended: 17, walkIns: 2, examined: 19, bookings: 7, subscribersNew: 7, subscribersStopped: 1, subscribersActive: 6 });
  });

  it('the city is the sum of its wards, in every column and period', () => {
    for (const grain of ['month', 'quarter', 'year'] as const) {
      const rows = buildIndicators(input(sample, { grain }));
      for (const city of rows.filter((r) => r.wardCode === null)) {
        const wards = rows.filter((r) => r.wardCode !== null && r.programme === city.programme && r.period.key === city.period.key);
        expect(wards).toHaveLength(2);
        for (const col of COLUMNS) expect(city.values[col]).toBe(wards.reduce((s, w) => s + w.values[col], 0));
      }
    }
  });

  it('coverage is cumulative over the year against the ward’s denominator × perUnit; the city’s over the wards that have one', () => {
    const targets = {
      year: 2026,
      source: 'test',
      programmes: {
        premarital: { target: 73.5, indicator: 'x', denominator: 'marriages', perUnit: 2, numerator: ['attended', 'walkins'] },
        prenatal: { target: 75, indicator: 'x', denominator: 'births', perUnit: 1, numerator: ['attended', 'walkins'] },
        newborn: { target: 70, indicator: 'x', denominator: 'births', perUnit: 1, numerator: ['attended', 'walkins', 'milestone.heel'] },
        elderly: { target: 76, indicator: 'x', denominator: 'elderly', perUnit: 1, numerator: ['attended', 'walkins'] },
      },
    } as const;
    const rows = buildIndicators(
      input([...sample, month(A, 'premarital', 'attended', 1, 3)], { grain: 'quarter', targets: targets as never, denominators: new Map([[A, { elderly: 100, marriages: 10 }], [B, { births: 12 }]]) }),
    );
    const q = (ward: string | null, programme: string, key: string) => rows.find((r) => r.wardCode === ward && r.programme === programme && r.period.key === key)!;
    expect(q(A, 'elderly', '2026-Q1')).toMatchObject({ denominator: 100, coverage: 19, target: 76 });
    expect(q(A, 'elderly', '2026-Q2').coverage).toBe(19); // cumulative: nothing more examined in Q2
    expect(q(B, 'elderly', '2026-Q2').coverage).toBeNull(); // no denominator: counts only
    expect(q(B, 'newborn', '2026-Q1')).toMatchObject({ denominator: 12, coverage: 50 }); // 6 heel pricks of 12 births
    expect(q(A, 'premarital', '2026-Q1')).toMatchObject({ denominator: 20, coverage: 15 }); // 3 of 10 couples × 2
    // The city's elderly coverage is over ward A alone (B has no elderly denominator), and says so.
    expect(q(null, 'elderly', '2026-Q4')).toMatchObject({ denominator: 100, coverage: 19, wardsWithDenominator: 1 });
    expect(q(null, 'elderly', '2026-Q1').values.examined).toBe(19 + 1);
  });

  it('periods stop at the month in progress of the current year', () => {
    expect(periodsOf(2026, 'month', 11).map((p) => p.key).at(-1)).toBe('2026-11');
    expect(periodsOf(2026, 'quarter', 11).at(-1)).toEqual({ key: '2026-Q4', grain: 'quarter', from: 10, to: 11 });
    expect(periodsOf(2027, 'year', 0)).toEqual([]);
  });

  it('small cells: 1 to 4 show "<5" outside the reader’s wards (and the coverage built on them), never in their own', () => {
    const rows = buildIndicators(input(sample, { grain: 'quarter', denominators: new Map([[B, { elderly: 50 }]]), targets: { year: 2026, source: 't', programmes: { elderly: { target: 76, indicator: 'x', denominator: 'elderly', perUnit: 1, numerator: ['attended'] } } } as never }));
    const q1 = (ward: string | null) => rows.find((r) => r.wardCode === ward && r.programme === 'elderly' && r.period.key === '2026-Q1')!;
    // A staff member of ward A: A's figures as they are, B's small counts hidden, the city's too.
    expect(shownRow(q1(A), [A]).values).toMatchObject({ walkIns: 2, attended: 17 });
    const b = shownRow(q1(B), [A]);
    expect(b.values).toMatchObject({ attended: '<5', examined: '<5', noShow: 0, remindersSent: 30 });
    expect(b.coverage).toBe('<5');
    expect(shownRow(q1(B), [B]).coverage).toBe(2);
    expect(shownRow(q1(null), [A]).values.walkIns).toBe('<5');
    // An administrator sees every figure.
    expect(shownRow(q1(B), null).values.attended).toBe(1);
    expect(shownRow(q1(null), null).values.walkIns).toBe(2);
  });

  it('a booking’s status change moves one count; a journey window counts once; the newborn’s two heel-prick windows are one milestone', () => {
    const s = { startsAt: new Date('2026-12-10T00:30:00Z'), wardCode: A, programme: 'elderly' };
    expect(statusChange(s, 'attended', 'no_show').map((t) => [t.metric, t.delta])).toEqual([['attended', -1], ['no_show', 1]]);
    expect(statusChange(s, 'booked', 'attended')).toMatchObject([{ day: '2026-12-10', metric: 'attended', delta: 1 }]);
    expect(statusChange(s, 'attended', 'attended')).toEqual([]);
    expect(milestoneOf('pregnancy', 'nt', {})).toBe('milestone.nt');
    expect(milestoneOf('pregnancy', 'nt', { nt: '2026-01-01' })).toBeNull();
    expect(milestoneOf('newborn', 'check', {})).toBe('milestone.heel');
    expect(milestoneOf('newborn', 'check', { heel: '2026-01-01' })).toBeNull();
  });
});

// ---- the events, counted in their own transaction ----

let app: TestApp;
const STAFF = '7101';
const OTHER = '7103';
beforeAll(async () => {
  app = await staffApp();
  await grantRole(app, STAFF, 'staff', [LE_CHAN]);
  await grantRole(app, OTHER, 'staff', [NGO_QUYEN]);
});
afterAll(() => app.close());

/** A Person in a transaction, as the engine or the console builds one. */
async function asPerson<T>(userId: string, fn: (p: Person) => Promise<T>): Promise<T> {
  return app.database.db.transaction(async (tx) => {
    const contact = await findContact(tx, 'telegram', userId);
    return fn(new Person(tx, { channel: 'telegram', userId, chatId: userId, displayName: `Người ${userId}` }, contact, app.clock.now(), 'vi'));
  });
}

describe('events counted with the event, in the same transaction', () => {
  it('subscribers started, stopped (/huy), back (/batlai), moved ward; erased (/xoa) counts as stopped', async () => {
    const before = { started: await tallied(app, 'subscribers.started', LE_CHAN), stopped: await tallied(app, 'subscribers.stopped', LE_CHAN) };
    await asPerson('8001', (p) => p.optIn(['elderly', 'campaigns'], LE_CHAN));
    await asPerson('8002', (p) => p.optIn(['elderly'], LE_CHAN));
    await asPerson('8002', (p) => p.optIn(['elderly'], LE_CHAN)); // again: nothing new
    expect(await tallied(app, 'subscribers.started', LE_CHAN)).toBe(before.started + 3);
    await app.say('/huy', who('8001'));
    await app.press('f:stop:confirm:yes', who('8001'));
    expect(await tallied(app, 'subscribers.stopped', LE_CHAN)).toBe(before.stopped + 2);
    await asPerson('8001', (p) => p.resume());
    expect(await tallied(app, 'subscribers.started', LE_CHAN)).toBe(before.started + 5);
    await asPerson('8002', (p) => p.optIn(['elderly'], NGO_QUYEN)); // moved: stopped here, started there
    expect(await tallied(app, 'subscribers.stopped', LE_CHAN)).toBe(before.stopped + 3);
    expect(await tallied(app, 'subscribers.started', NGO_QUYEN)).toBeGreaterThanOrEqual(1);
    await asPerson('8001', (p) => p.erase());
    expect(await tallied(app, 'subscribers.stopped', LE_CHAN)).toBe(before.stopped + 5);
    const [active] = await sql$<{ n: number }>(app, sql`select count(*)::int as n from subscriptions where ward_code = ${LE_CHAN} and ended_at is null`);
    expect((await tallied(app, 'subscribers.started', LE_CHAN)) - (await tallied(app, 'subscribers.stopped', LE_CHAN))).toBe(active!.n);
  });

  it('a session’s invitations, its bookings and cancellations, attendance and its corrections, the rest marked absent, walk-ins', async () => {
    await asPerson('8101', (p) => p.optIn(['elderly'], LE_CHAN));
    await asPerson('8102', (p) => p.optIn(['elderly'], LE_CHAN));
    const invitedBefore = await tallied(app, 'invitations', LE_CHAN);
    const id = await createSessionInChat(app, STAFF, { when: '10/12 7h30' });
    const [{ n: subscribers }] = (await sql$<{ n: number }>(app, sql`select count(*)::int as n from subscriptions where ward_code = ${LE_CHAN} and programme = 'elderly' and ended_at is null`)) as [{ n: number }];
    expect(await tallied(app, 'invitations', LE_CHAN)).toBe(invitedBefore + subscribers);

    const day = async (metric: string) => (await tallyRows(app, metric)).filter((r) => r.day === '2026-12-10' && r.ward_code === LE_CHAN).reduce((s, r) => s + r.count, 0);
    for (const u of ['8101', '8102', '8103', '8104']) await bookInChat(app, u, id);
    expect(await day('bookings')).toBe(4);
    const [b1, b2, b3, b4] = (await sql$<{ id: number }>(app, sql`select id from bookings where session_id = ${id} order by id`)).map((r) => r.id);
    await app.press(`a:bkc:${b4}`, who('8104'));
    await app.press('f:cancel-booking:confirm:yes', who('8104'));
    expect(await day('bookings.cancelled')).toBe(1);

    const staff = (fn: (p: Person) => Promise<unknown>) => asPerson(STAFF, fn);
    await staff((p) => p.staff.markAttendance(id, b1!, true));
    await staff((p) => p.staff.markAttendance(id, b2!, true));
    await staff((p) => p.staff.markAttendance(id, b2!, true)); // twice: still one
    expect(await day('attended')).toBe(2);
    await staff((p) => p.staff.markAttendance(id, b2!, false)); // a correction moves it
    expect([await day('attended'), await day('no_show')]).toEqual([1, 1]);
    app.clock.set(new Date('2026-12-10T03:00:00Z'));
    try {
      expect(await staff((p) => p.staff.markRestNoShow(id))).toBe(1);
      expect(await day('no_show')).toBe(2);
      const w = await asPerson(STAFF, (p) => p.staff.addWalkIn(id, { name: 'Bà Nguyễn Thị Lan', birthYear: 1950 }));
      await asPerson(STAFF, (p) => p.staff.addWalkIn(id, { name: 'Ông Trần Văn Hải', birthYear: null }));
      expect(await day('walkins')).toBe(2);
      if (isDenied(w)) throw new Error('walk-in refused');
      await asPerson(STAFF, (p) => p.staff.removeWalkIn(id, w.id));
      expect(await day('walkins')).toBe(1);
    } finally {
      app.clock.set(new Date('2026-11-23T03:00:00Z'));
    }
    expect(b3).toBeDefined();
  });

  it('a failed transaction counts nothing (the count commits with its event or not at all)', async () => {
    const before = await tallied(app, 'walkins');
    const id = await createSessionInChat(app, STAFF, { when: '11/12 7h30' });
    await expect(
      asPerson(STAFF, async (p) => {
        await p.staff.addWalkIn(id, { name: 'Người thử', birthYear: null });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await tallied(app, 'walkins')).toBe(before);
    expect(await sql$(app, sql`select 1 from walk_ins where session_id = ${id}`)).toHaveLength(0);
  });

  it('a session moved to another month takes its counts with it; a cancelled session’s bookings count as cancelled', async () => {
    const id = await createSessionInChat(app, STAFF, { when: '28/12 7h30' });
    await bookInChat(app, '8201', id);
    await bookInChat(app, '8202', id);
    const of = async (dayStr: string, metric: string) => (await tallyRows(app, metric)).filter((r) => r.day === dayStr && r.ward_code === LE_CHAN).reduce((s, r) => s + r.count, 0);
    expect(await of('2026-12-28', 'bookings')).toBe(2);
    await asPerson(STAFF, (p) => p.staff.changeSession(id, { startsAt: new Date('2027-01-05T00:30:00Z') }));
    expect(await of('2026-12-28', 'bookings')).toBe(0);
    expect(await of('2027-01-05', 'bookings')).toBe(2);
    await asPerson(STAFF, (p) => p.staff.cancelSession(id));
    expect(await of('2027-01-05', 'bookings.cancelled')).toBe(2);
  });

  it('a journey’s "Đã làm" counts once, in its ward and programme', async () => {
    await asPerson('8301', async (p) => {
      await p.optIn(['prenatal'], LE_CHAN);
      await p.journeys.start('pregnancy', new Date('2027-05-20T00:00:00Z'), LE_CHAN);
    });
    const [j] = await sql$<{ id: number }>(app, sql`select j.id from journeys j join contacts c on c.id = j.contact_id where c.platform_user_id = '8301'`);
    await app.press(`a:jd:${j!.id}:nt`, who('8301'));
    await app.press(`a:jd:${j!.id}:nt`, who('8301'));
    const rows = (await tallyRows(app, 'milestone.nt')).filter((r) => r.ward_code === LE_CHAN);
    expect(rows).toEqual([{ day: '2026-11-23', ward_code: LE_CHAN, programme: 'prenatal', metric: 'milestone.nt', count: 1 }]);
  });
});

describe('the figures survive /xoa', () => {
  it('a person who booked, came and marked a milestone erases their data: the station’s counts stay, the person is gone', async () => {
    const id = await createSessionInChat(app, STAFF, { when: '15/12 8h' });
    await bookInChat(app, '8401', id);
    const [b] = await sql$<{ id: number }>(app, sql`select id from bookings where session_id = ${id}`);
    await asPerson(STAFF, (p) => p.staff.markAttendance(id, b!.id, true));
    await asPerson('8401', (p) => p.journeys.start('pregnancy', new Date('2027-05-01T00:00:00Z'), LE_CHAN));
    const [j] = await sql$<{ id: number }>(app, sql`select j.id from journeys j join contacts c on c.id = j.contact_id where c.platform_user_id = '8401'`);
    await app.press(`a:jd:${j!.id}:thal`, who('8401'));
    const snapshot = async () =>
      (await tallyRows(app)).filter((r) => (r.day === '2026-12-15' && ['bookings', 'attended', 'bookings.cancelled'].includes(r.metric)) || r.metric === 'milestone.thal');
    const before = await snapshot();
    expect(before.find((r) => r.metric === 'attended')?.count).toBe(1);
    expect(before.find((r) => r.metric === 'milestone.thal')?.count).toBe(1);
    await app.say('/xoa', who('8401'));
    await app.press('f:delete:confirm:yes', who('8401'));
    expect(await findContact(app.database.db, 'telegram', '8401')).toBeNull();
    expect(await sql$(app, sql`select 1 from bookings where session_id = ${id}`)).toHaveLength(0);
    expect(await snapshot()).toEqual(before);
    // And the page says so too, once December has begun.
    app.clock.set(new Date('2026-12-20T03:00:00Z'));
    try {
      const c = await signIn(app, STAFF);
      const page = await c.page(`/staff/indicators?year=2026&grain=month&programme=elderly&ward=${LE_CHAN}`);
      expect(/data-period="2026-12">[\s\S]*?data-col="attended">(\d+)</.exec(page)?.[1]).toBe(String(await tallied(app, 'attended', LE_CHAN)));
    } finally {
      app.clock.set(new Date('2026-11-23T03:00:00Z'));
    }
  });
});

describe('outbox figures (a periodic job) only grow', () => {
  it('reminders delivered and failed, and a broadcast’s reach, by ward; rows cleaned up or erased later keep their count', async () => {
    const id = await createSessionInChat(app, STAFF, { when: '12/12 7h30' });
    await bookInChat(app, '8501', id);
    await bookInChat(app, '8502', id);
    const rows = await sql$<{ id: number; dedupe_key: string }>(app, sql`select o.id, o.dedupe_key from outbox o where o.kind = 'reminder' and o.dedupe_key like 'appt:%' and o.status = 'pending' and exists (select 1 from bookings b where b.id = split_part(o.dedupe_key, ':', 2)::int and b.session_id = ${id}) order by o.id`);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const now = app.clock.now();
    await sql$(app, sql`update outbox set status = 'sent', sent_at = ${now.toISOString()}::timestamptz where id in ${rows.slice(0, 3).map((r) => r.id)}`);
    await sql$(app, sql`update outbox set status = 'failed', due_at = ${now.toISOString()}::timestamptz where id = ${rows[3]!.id}`);
    await tallyOutbox(app.database.db, now);
    expect(await tallied(app, 'reminders.sent', LE_CHAN)).toBe(3);
    expect(await tallied(app, 'reminders.failed', LE_CHAN)).toBe(1);
    await app.say('/xoa', who('8501'));
    await app.press('f:delete:confirm:yes', who('8501'));
    expect(await findContact(app.database.db, 'telegram', '8501')).toBeNull();
    await sql$(app, sql`delete from outbox where id in ${rows.slice(0, 2).map((r) => r.id)}`);
    await tallyOutbox(app.database.db, now);
    expect(await tallied(app, 'reminders.sent', LE_CHAN)).toBe(3);

    // A broadcast to the ward's elderly subscribers: its reach is who it was delivered to.
    await asPerson('8601', (p) => p.optIn(['elderly'], LE_CHAN));
    const b = await asPerson(ADMIN, (p) => p.broadcasts.create({ audience: { programmes: ['elderly'], wardCodes: [LE_CHAN], relatives: false }, text: 'Ngày 1/10 là Ngày Quốc tế Người cao tuổi', campaign: null, at: null }));
    if (isDenied(b)) throw new Error('broadcast refused');
    await sql$(app, sql`update outbox set status = 'sent', sent_at = ${now.toISOString()}::timestamptz where dedupe_key like ${`bc:${b.id}:%`}`);
    await tallyOutbox(app.database.db, now);
    const [reach] = await sql$<{ n: number }>(app, sql`select count(*)::int as n from outbox where dedupe_key like ${`bc:${b.id}:%`} and status = 'sent'`);
    expect(reach!.n).toBeGreaterThan(0);
    expect(await tallied(app, 'broadcast.reach', LE_CHAN)).toBe(reach!.n);
  });
});

describe('another ward’s staff', () => {
  it('is refused a session’s bookings, attendance, walk-ins and denominators outside their ward, each refusal audited; the figures show them "<5"', async () => {
    const id = await createSessionInChat(app, STAFF, { when: '16/12 7h30' });
    await bookInChat(app, '8701', id);
    const [b] = await sql$<{ id: number }>(app, sql`select id from bookings where session_id = ${id}`);
    const before = (await audits(app, 'staff.denied')).filter((a) => a.actor === OTHER).length;
    const results = await asPerson(OTHER, async (p) => [
      await p.staff.bookingPage(id),
      await p.staff.markAttendance(id, b!.id, true),
      await p.staff.addWalkIn(id, { name: 'Người lạ', birthYear: null }),
      await p.staff.setDenominators(LE_CHAN, 2026, { elderly: 500 }),
    ]);
    for (const r of results) expect(isDenied(r) && r.reason).toBe('outside-ward');
    const denied = (await audits(app, 'staff.denied')).filter((a) => a.actor === OTHER).slice(before);
    expect(denied.map((d) => d.details!.action)).toEqual(['session.bookings', 'session.attendance', 'session.attendance', 'denominators.edit']);

    // Through the console: the same refusal, 403, audited once more.
    const c = await signIn(app, OTHER);
    expect((await c.get(`/staff/sessions/${id}/bookings`)).status).toBe(403);
    const res = await c.post(`/staff/sessions/${id}/attendance`, { booking: String(b!.id), attended: '1' });
    expect(res.status).toBe(403);
    expect((await audits(app, 'staff.denied')).filter((a) => a.actor === OTHER).length).toBe(before + 6);
    const [status] = await sql$<{ status: string }>(app, sql`select status from bookings where id = ${b!.id}`);
    expect(status!.status).toBe('booked');

    // Lê Chân's few December walk-ins (this one, and any another test added) are "<5" to Ngô Quyền's
    // staff, exact to Lê Chân's (once December has begun).
    expect(isDenied(await asPerson(STAFF, (p) => p.staff.addWalkIn(id, { name: 'Bà Lê Thị Sen', birthYear: 1949 })))).toBe(false);
    const [walkIns] = await sql$<{ n: number }>(
      app,
      sql`select count(*)::int as n from walk_ins w join sessions s on s.id = w.session_id
          where s.ward_code = ${LE_CHAN} and s.programme = 'elderly'
            and s.starts_at >= '2026-11-30T17:00:00Z' and s.starts_at < '2026-12-31T17:00:00Z'`,
    );
    expect(walkIns!.n).toBeGreaterThan(0);
    expect(walkIns!.n).toBeLessThan(5);
    app.clock.set(new Date('2026-12-20T03:00:00Z'));
    try {
      const c2 = await signIn(app, OTHER);
      const theirs = await c2.page(`/staff/indicators?year=2026&grain=month&programme=elderly&ward=${LE_CHAN}`);
      expect(/data-period="2026-12">[\s\S]*?data-col="walkIns">([^<]+)</.exec(theirs)?.[1]).toBe('&lt;5');
      const mine = await (await signIn(app, STAFF)).page(`/staff/indicators?year=2026&grain=month&programme=elderly&ward=${LE_CHAN}`);
      expect(/data-period="2026-12">[\s\S]*?data-col="walkIns">([^<]+)</.exec(mine)?.[1]).toBe(String(walkIns!.n));
    } finally {
      app.clock.set(new Date('2026-11-23T03:00:00Z'));
    }
  });
});

describe('the migration’s back-fill', () => {
  it('counts what happened before the tallies existed as the events would have', async () => {
    const fresh = await staffApp();
    try {
      await grantRole(fresh, '9101', 'staff', [LE_CHAN]);
      const as = <T>(userId: string, fn: (p: Person) => Promise<T>) =>
        fresh.database.db.transaction(async (tx) => fn(new Person(tx, { channel: 'telegram', userId, chatId: userId, displayName: userId }, await findContact(tx, 'telegram', userId), fresh.clock.now(), 'vi')));
      await as('9201', (p) => p.optIn(['elderly'], LE_CHAN));
      await as('9202', (p) => p.optIn(['elderly', 'campaigns'], LE_CHAN));
      await as('9203', (p) => p.optIn(['elderly'], NGO_QUYEN));
      await fresh.say('/huy', who('9203'));
      await fresh.press('f:stop:confirm:yes', who('9203'));
      const id = await createSessionInChat(fresh, '9101', { when: '10/12 7h30' });
      for (const u of ['9201', '9202', '9204']) await bookInChat(fresh, u, id);
      const [b1, b2, b3] = (await sql$<{ id: number }>(fresh, sql`select id from bookings where session_id = ${id} order by id`)).map((r) => r.id);
      await as('9101', (p) => p.staff.markAttendance(id, b1!, true));
      await as('9101', (p) => p.staff.markAttendance(id, b2!, false));
      await fresh.press(`a:bkc:${b3}`, who('9204'));
      await fresh.press('f:cancel-booking:confirm:yes', who('9204'));
      await as('9205', async (p) => {
        await p.optIn(['newborn'], LE_CHAN);
        await p.journeys.start('newborn', new Date('2026-11-22T01:00:00Z'), LE_CHAN);
      });
      const [j] = await sql$<{ id: number }>(fresh, sql`select j.id from journeys j join contacts c on c.id = j.contact_id where c.platform_user_id = '9205'`);
      await fresh.press(`a:jd:${j!.id}:heel`, who('9205'));

      const all = () => sql$<{ day: string; ward_code: string; programme: string; metric: string; count: number }>(fresh, sql`select to_char(day, 'YYYY-MM-DD') as day, ward_code, programme, metric, count::int as count from tallies order by 1, 2, 3, 4`);
      const live = await all();
      expect(live.length).toBeGreaterThan(8);
      const migration = readFileSync(join(projectRoot, 'migrations', '0013_staff_console.sql'), 'utf8');
      const backfill = migration.split('--> statement-breakpoint').at(-1)!;
      expect(backfill).toContain('INSERT INTO "tallies"');
      await fresh.database.db.execute(sql`delete from tallies`);
      await fresh.database.db.execute(sql.raw(backfill));
      expect(await all()).toEqual(live);
    } finally {
      await fresh.close();
    }
  });
});
