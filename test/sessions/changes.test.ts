import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { runDoctor, formatReport } from '../../src/domain/doctor.js';
import type { TestApp } from '../support/app.js';
import { bookInChat, createSessionInChat, grantRole, outboxRows, pending, rendered, sql$, staffApp, buttonValue, who } from '../support/staff.js';

let app: TestApp;
const STAFF = '8101';
const COLLAB = '8102';
const local = (s: string) => new Date(`${s}+07:00`);

beforeAll(async () => {
  app = await staffApp(); // Monday 23/11/2026 10:00 local
  await grantRole(app, STAFF, 'staff');
  await grantRole(app, COLLAB, 'collaborator');
});
afterAll(() => app.close());
// Tests that move the clock put it back at their end; a failing one must not move the next one's.
beforeEach(() => app.clock.set(local('2026-11-23T10:00')));

const bookingId = async (userId: string, sessionId: number) =>
  (await sql$<{ id: number }>(app, sql`select b.id from bookings b join contacts c on c.id = b.contact_id where c.platform_user_id = ${userId} and b.session_id = ${sessionId}`))[0]!.id;

/** A session with two people booked, and the staff member on its page. */
async function booked(when = '10/12 7h30') {
  const id = await createSessionInChat(app, STAFF, { programme: 'premarital', when });
  const tag = `${id}`;
  await bookInChat(app, `a${tag}`, id);
  await bookInChat(app, `b${tag}`, id);
  return { id, a: await bookingId(`a${tag}`, id), b: await bookingId(`b${tag}`, id), userA: `a${tag}` };
}

const remindersDue = async (bid: number) => (await keysDue(bid)).filter(([k]) => /:(d-3|d-1|h-2)$/.test(k!));
const keysDue = async (bid: number) => (await pending(app, `appt:${bid}:%`)).map((r) => [r.dedupe_key.replace(`appt:${bid}:`, ''), r.due_at.toISOString()]);

describe('rescheduling', () => {
  it('recomputes pending reminders in the same transaction and tells the booked people', async () => {
    const { id, a, b } = await booked();
    await app.press(`a:ses:${id}`, who(STAFF));
    const ask = await app.press('f:session:page:time', who(STAFF));
    expect(ask.at(-1)!.text).toContain('Ngày giờ mới');
    const bad = await app.say('hôm qua', who(STAFF));
    expect(bad[0]!.text).toContain('chưa hiểu');
    const done = await app.say('12/12 14h', who(STAFF));
    expect(done[0]!.text).toContain('báo cho 2 người');
    expect(await remindersDue(a)).toEqual([
      ['v2:d-3', local('2026-12-09T08:00').toISOString()],
      ['v2:d-1', local('2026-12-11T08:00').toISOString()],
      ['v2:h-2', local('2026-12-12T12:00').toISOString()],
    ]);
    expect((await remindersDue(b)).map(([k]) => k)).toEqual(['v2:d-3', 'v2:d-1', 'v2:h-2']);
    const old = (await outboxRows(app, `appt:${a}:v1:%`)).map((r) => r.status);
    expect(old).toEqual(['cancelled', 'cancelled', 'cancelled']);
    const [told] = await outboxRows(app, `appt:${a}:v2:changed`);
    expect(rendered(app, told!).text).toContain('nay vào thứ Bảy 12/12 lúc 14:00');
    const [audit] = await sql$<{ action: string }>(app, sql`select action from audit_log where target = ${`session:${id}`} and action = 'session.change'`);
    expect(audit).toBeDefined();
  });

  it('a new time alone keeps the day; a new place re-plans the words too, never re-sending what was sent', async () => {
    const { id, a } = await booked('11/12 7h30');
    // The d-3 reminder already went out.
    await app.database.db.execute(sql`update outbox set status = 'sent' where dedupe_key = ${`appt:${a}:v1:d-3`}`);
    await app.press(`a:ses:${id}`, who(STAFF));
    await app.press('f:session:page:time', who(STAFF));
    await app.say('9:00', who(STAFF));
    expect((await remindersDue(a))[0]).toEqual(['v2:d-3', local('2026-12-08T08:00').toISOString()]);
    // A day later (after d-3's time), the place changes: d-3 is past and is not sent again.
    app.clock.set(local('2026-12-08T12:00'));
    await app.press(`a:ses:${id}`, who(STAFF));
    await app.press('f:session:page:place', who(STAFF));
    await app.say('Nhà văn hóa tổ 5, 20 Lạch Tray', who(STAFF));
    const rows = await pending(app, `appt:${a}:v3:%`);
    expect(rows.map((r) => r.dedupe_key)).toEqual([`appt:${a}:v3:changed`, `appt:${a}:v3:d-1`, `appt:${a}:v3:h-2`]);
    expect(rendered(app, rows[1]!).text).toContain('tại Nhà văn hóa tổ 5, 20 Lạch Tray');
    app.clock.set(local('2026-11-23T10:00'));
  });
});

describe('capacity and the bookings list', () => {
  it('capacity never goes below what is booked; staff see who booked', async () => {
    const { id } = await booked();
    await app.press(`a:ses:${id}`, who(STAFF));
    await app.press('f:session:page:capacity', who(STAFF));
    const low = await app.say('1', who(STAFF));
    expect(low[0]!.text).toContain('ít hơn số người đã đăng ký');
    const ok = await app.say('2', who(STAFF));
    expect(ok[0]!.text).toContain('thành 2');
    const full = await bookInChat(app, `c${id}`, id);
    expect(full.some((m) => m.text.includes('đã đủ chỗ'))).toBe(true);
    const list = await app.press('f:session:page:bookings', who(STAFF));
    expect(list[0]!.text).toMatch(/^2 người đăng ký:\n⬜ #\d+ \(không tên\)\n⬜ #\d+ \(không tên\)$/);
    const [audit] = await sql$<{ n: number }>(app, sql`select count(*)::int as n from audit_log where target = ${`session:${id}`} and action in ('session.capacity', 'session.bookings')`);
    expect(audit!.n).toBe(2);
  });
});

describe('cancelling a session', () => {
  it('drops every reminder and tells the booked people; the session is gone from /lich', async () => {
    const { id, a, b, userA } = await booked();
    await app.press(`a:ses:${id}`, who(STAFF));
    const confirm = await app.press('f:session:page:cancel', who(STAFF));
    expect(confirm.at(-1)!.text).toContain('Hủy buổi khám này');
    const done = await app.press('f:session:cancel:yes', who(STAFF));
    expect(done[0]!.text).toContain('báo cho 2 người');
    expect(await keysDue(a)).toEqual([['cancelled', expect.any(String)]]);
    expect(await keysDue(b)).toEqual([['cancelled', expect.any(String)]]);
    const [notice] = await outboxRows(app, `appt:${a}:cancelled`);
    expect(rendered(app, notice!).text).toContain('đã bị hủy');
    expect((await app.say('/lich', who(userA)))[0]!.text).toContain('chưa có lịch hẹn');
    // The invitation's button now says the session is closed.
    const late = await app.press(`a:book:${id}`, who('newcomer'));
    expect(late[0]!.text).toContain('đã hủy hoặc đã qua');
  });
});

describe('attendance', () => {
  it('per person, then all remaining as no-show after the start; what remains of their reminders is dropped', async () => {
    const { id, a, b } = await booked('24/11 8h');
    await app.press(`a:ses:${id}`, who(COLLAB)); // collaborators mark who came
    const list = await app.press('f:session:page:attend', who(COLLAB));
    expect(buttonValue(list, 'f:session:attend:rest')).toBeUndefined(); // not before the start
    await app.press(`f:session:attend:${a}`, who(COLLAB));
    expect(await keysDue(a)).toEqual([]);
    expect((await keysDue(b)).length).toBeGreaterThan(0);
    app.clock.set(local('2026-11-24T08:30'));
    await app.press(`a:ses:${id}`, who(COLLAB));
    const after = await app.press('f:session:page:attend', who(COLLAB));
    expect(after.at(-1)!.choices!.map((c) => c.label)).toEqual([`✅ #${a} (không tên)`, `⬜ #${b} (không tên)`, 'Còn lại: vắng', 'Quay lại']);
    const rest = await app.press('f:session:attend:rest', who(COLLAB));
    expect(rest[0]!.text).toContain('vắng 1 người');
    const statuses = await sql$<{ id: number; status: string }>(app, sql`select id, status from bookings where session_id = ${id} order by id`);
    expect(statuses).toEqual([{ id: a, status: 'attended' }, { id: b, status: 'no_show' }]);
    app.clock.set(local('2026-11-23T10:00'));
  });
});

describe('stop, delete, blocked', () => {
  it('a person who stops gets nothing more: their rows are skipped at send time', async () => {
    const { a, userA } = await booked();
    const confirm = await app.say('dừng', who(userA));
    await app.press(confirm[0]!.choices![0]!.value, who(userA));
    const { Dispatcher } = await import('../../src/outbox/dispatcher.js');
    const { singleProcessLock } = await import('../../src/outbox/leader.js');
    const sent: string[] = [];
    const { ManualClock } = await import('../../src/core/clock.js');
    const clock = new ManualClock(local('2026-12-10T07:00'));
    const d = new Dispatcher({
      db: app.database.db,
      channel: 'telegram',
      clock,
      leader: singleProcessLock(),
      limits: { perSecond: 1000, perChatPerSecond: 1000, burst: 1000 },
      sleep: async (ms) => clock.advance(ms),
      sender: {
        send: async (m) => {
          sent.push(m.dedupeKey);
          return { kind: 'ok' };
        },
      },
    });
    await d.drain();
    expect(sent.filter((k) => k.startsWith(`appt:${a}:`))).toEqual([]);
    expect((await outboxRows(app, `appt:${a}:v1:%`)).map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped']);
  });

  it('a person who deletes their data leaves no booking and no reminder behind', async () => {
    const { id, a, userA } = await booked();
    await app.say('/xoa', who(userA));
    await app.say('1', who(userA));
    expect(await outboxRows(app, `appt:${a}:%`)).toEqual([]);
    const [s] = await sql$<{ n: number }>(app, sql`select count(*)::int as n from bookings where id = ${a}`);
    expect(s!.n).toBe(0);
    // The place is free again.
    const [session] = await sql$<{ booked: number }>(app, sql`select booked from sessions where id = ${id}`);
    expect(session!.booked).toBe(1);
  });
});

describe('doctor', () => {
  it('repairs a deleted reminder, a stale one and an orphan, and prints what it fixed; a second run finds nothing', async () => {
    const { id, a, b } = await booked('20/12 8h');
    await runDoctor(app.database.db, app.clock.now()); // whatever earlier tests left
    await app.database.db.execute(sql`delete from outbox where dedupe_key = ${`appt:${a}:v1:d-1`}`);
    await app.database.db.execute(sql`update outbox set due_at = due_at + interval '1 day' where dedupe_key = ${`appt:${b}:v1:d-3`}`);
    await app.database.db.execute(sql`update bookings set status = 'cancelled' where id = ${b}`);
    await app.database.db.execute(sql`update sessions set booked = booked - 1 where id = ${id}`);
    const report = await runDoctor(app.database.db, app.clock.now());
    expect(report.missing).toEqual([`appt:${a}:v1:d-1`]);
    expect(report.orphaned.sort()).toEqual([`appt:${b}:v1:d-1`, `appt:${b}:v1:d-3`, `appt:${b}:v1:h-2`].sort());
    expect(formatReport(report)).toContain(`queued missing reminder appt:${a}:v1:d-1`);
    expect((await keysDue(a)).map(([k]) => k)).toEqual(['v1:d-3', 'v1:d-1', 'v1:h-2']);
    expect(await keysDue(b)).toEqual([]);
    const again = await runDoctor(app.database.db, app.clock.now());
    expect([...again.missing, ...again.stale, ...again.orphaned]).toEqual([]);
  });

  it('replaces a reminder whose due time no longer matches its session', async () => {
    const { a } = await booked('21/12 8h');
    await runDoctor(app.database.db, app.clock.now()); // whatever earlier tests left
    await app.database.db.execute(sql`update outbox set due_at = due_at + interval '3 hours' where dedupe_key = ${`appt:${a}:v1:d-1`}`);
    const report = await runDoctor(app.database.db, app.clock.now());
    expect(report.stale).toEqual([`appt:${a}:v1:d-1`]);
    expect((await keysDue(a))[1]).toEqual(['v1:d-1', local('2026-12-20T08:00').toISOString()]);
  });
});
