import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ManualClock } from '../../src/core/clock.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { singleProcessLock } from '../../src/outbox/leader.js';
import { i18nRender } from '../../src/outbox/render.js';
import type { ClaimedMessage, Sender } from '../../src/outbox/types.js';
import type { TestApp } from '../support/app.js';
import { bookInChat, createSessionInChat, grantRole, outboxRows, pending, rendered, sql$, staffApp, buttonValue, who } from '../support/staff.js';

let app: TestApp;
const STAFF = '8001';
const local = (s: string) => new Date(`${s}+07:00`);

beforeAll(async () => {
  app = await staffApp(); // Monday 23/11/2026 10:00 local
  await grantRole(app, STAFF, 'staff');
});
afterAll(() => app.close());

async function subscribe(id: string, programme = 'elderly') {
  await app.press(`a:sub:${programme}`, who(id));
  if (programme === 'elderly') await app.press('f:subscribe:who:self', who(id));
  await app.say('le chan', who(id));
  await app.press('f:subscribe:ward:11383', who(id));
  await app.press('f:subscribe:notice:yes', who(id));
}

const bookingIdOf = async (userId: string, sessionId: number) => {
  const [b] = await sql$<{ id: number }>(app, sql`select b.id from bookings b join contacts c on c.id = b.contact_id where c.platform_user_id = ${userId} and b.session_id = ${sessionId} and b.status <> 'cancelled'`);
  return b?.id;
};

describe('a session and its invitations', () => {
  it('invites the subscribers of that programme in that ward, once each, with a Đăng ký button', async () => {
    await subscribe('p1', 'elderly');
    await subscribe('p2', 'elderly');
    await subscribe('p3', 'prenatal'); // another programme: not invited
    const id = await createSessionInChat(app, STAFF);
    const invites = await outboxRows(app, `inv:${id}:%`);
    expect(invites).toHaveLength(2);
    const text = rendered(app, invites[0]!);
    expect(text.text).toContain('thứ Năm 10/12 lúc 7:30');
    expect(text.text).toContain('Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng');
    expect(text.choices).toEqual([{ label: 'Đăng ký', value: `a:book:${id}` }]);
    expect(Buffer.byteLength(`a:book:${id}`)).toBeLessThanOrEqual(64);
    expect(rendered(app, invites[0]!, 'en').text).toContain('Thursday 10/12 at 7:30');
  });
});

describe('booking and its reminders', () => {
  it('books from the invitation and queues reminders at 08:00 three days and one day before, and 07:00 on the day', async () => {
    const id = await createSessionInChat(app, STAFF, { programme: 'premarital' });
    const replies = await bookInChat(app, 'b1', id);
    expect(replies.at(-1)!.text).toContain('Đã đăng ký');
    expect(replies.at(-1)!.text).toContain('nhắc lịch');
    const bid = await bookingIdOf('b1', id);
    const rows = await pending(app, `appt:${bid}:%`);
    expect(rows.map((r) => [r.dedupe_key, r.due_at.toISOString()])).toEqual([
      [`appt:${bid}:v1:d-3`, local('2026-12-07T08:00').toISOString()],
      [`appt:${bid}:v1:d-1`, local('2026-12-09T08:00').toISOString()],
      [`appt:${bid}:v1:h-2`, local('2026-12-10T07:00').toISOString()],
    ]);
    const d1 = rendered(app, rows[1]!);
    expect(d1.text).toMatch(/^Nhắc lịch: ngày mai \(thứ Năm 10\/12\) 7:30, khám sức khỏe tiền hôn nhân tại Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng\. Nhớ mang CCCD/);
    expect(d1.choices!.map((c) => c.label)).toEqual(['Sẽ đến', 'Hủy lịch', 'Dừng nhắc']);
    expect(rendered(app, rows[1]!, 'en').text).toContain('Reminder: tomorrow (Thursday 10/12) 7:30');
  });

  it('the reminders go out at those local times on a travelling clock, in the recipient’s language', async () => {
    const clock = new ManualClock(app.clock.now());
    const sent: { key: string; text: string; at: Date }[] = [];
    const render = i18nRender(app.i18n);
    const sender: Sender = {
      async send(m: ClaimedMessage) {
        if (m.dedupeKey.startsWith('appt:')) sent.push({ key: m.dedupeKey, text: render(m, m.locale).text, at: clock.now() });
        return { kind: 'ok' };
      },
    };
    const d = new Dispatcher({ db: app.database.db, channel: 'telegram', sender, clock, leader: singleProcessLock(), limits: { perSecond: 25, perChatPerSecond: 1, burst: 25 }, sleep: async (ms) => clock.advance(ms) });
    const id = await createSessionInChat(app, STAFF, { programme: 'newborn', when: '17/12 9h' });
    await bookInChat(app, 'b2', id);
    const bid = await bookingIdOf('b2', id);
    await d.drain(); // invitations and the like, due now
    sent.length = 0;
    for (const [at, expected] of [
      ['2026-12-14T07:59', 0],
      ['2026-12-14T08:00', 1],
      ['2026-12-16T08:00', 2],
      ['2026-12-17T06:59', 2],
      ['2026-12-17T07:00', 3],
    ] as const) {
      clock.set(local(at));
      await d.drain();
      expect(sent.filter((s) => s.key.startsWith(`appt:${bid}:`)), at).toHaveLength(expected);
    }
    const texts = sent.filter((s) => s.key.startsWith(`appt:${bid}:`)).map((s) => s.text);
    expect(texts[0]).toMatch(/^Nhắc lịch: 3 ngày nữa \(thứ Năm 17\/12\) 9:00, sàng lọc sơ sinh tại /);
    expect(texts[1]).toMatch(/^Nhắc lịch: ngày mai \(thứ Năm 17\/12\) 9:00, sàng lọc sơ sinh tại /);
    expect(texts[2]).toMatch(/^Nhắc lịch: hôm nay lúc 9:00, sàng lọc sơ sinh tại /);
  });

  it('a late booking skips reminders already past but is always confirmed', async () => {
    const id = await createSessionInChat(app, STAFF, { programme: 'premarital', when: 'mai 9h' }); // Tuesday 24/11 9:00
    const replies = await bookInChat(app, 'late1', id);
    expect(replies.at(-1)!.text).toContain('Đã đăng ký');
    const bid = await bookingIdOf('late1', id);
    expect((await pending(app, `appt:${bid}:%`)).map((r) => [r.dedupe_key, r.due_at.toISOString()])).toEqual([
      [`appt:${bid}:v1:h-2`, local('2026-11-24T07:00').toISOString()],
    ]);
    const tooLate = await createSessionInChat(app, STAFF, { programme: 'premarital', when: 'hôm nay 11h' });
    const soon = await bookInChat(app, 'late2', tooLate);
    expect(soon.at(-1)!.text).toContain('Đã đăng ký');
    expect(soon.at(-1)!.text).toContain('sắp diễn ra');
    expect(await pending(app, `appt:${await bookingIdOf('late2', tooLate)}:%`)).toEqual([]);
  });

  it('one person cannot hold two bookings in the same session', async () => {
    const id = await createSessionInChat(app, STAFF, { programme: 'premarital' });
    await bookInChat(app, 'dup1', id);
    const again = await bookInChat(app, 'dup1', id);
    expect(again.at(-1)!.text).toContain('đã đăng ký buổi này rồi');
    const [s] = await sql$<{ booked: number }>(app, sql`select booked from sessions where id = ${id}`);
    expect(s!.booked).toBe(1);
  });

  it('asks for a phone number only when the station needs one; a bad one gets a second chance', async () => {
    const plain = await createSessionInChat(app, STAFF, { programme: 'premarital' });
    const noPhone = await bookInChat(app, 'ph0', plain);
    expect(noPhone.some((r) => r.requestPhone)).toBe(false);

    const id = await createSessionInChat(app, STAFF, { programme: 'premarital', needsPhone: true });
    const ask = await bookInChat(app, 'ph1', id);
    expect(ask.at(-1)!.requestPhone).toBeDefined();
    const bad = await app.say('0912', who('ph1'));
    expect(bad[0]!.text).toContain('chưa đúng');
    expect(bad.at(-1)!.requestPhone).toBeDefined();
    const ok = await app.say('+84 912 345 678', who('ph1'));
    expect(ok.at(-1)!.text).toContain('Đã đăng ký');
    const shared = await bookInChat(app, 'ph2', id);
    expect(shared.at(-1)!.requestPhone).toBeDefined();
    await app.engine.handle({ channel: 'telegram', ...who('ph2'), kind: 'contact', phone: '84987654321' });
    const phones = await sql$<{ phone: string }>(app, sql`select phone from bookings where session_id = ${id} order by id`);
    expect(phones.map((p) => p.phone)).toEqual(['+84912345678', '+84987654321']);
  });

  it('booking needs explicit consent: silence books nothing', async () => {
    const id = await createSessionInChat(app, STAFF, { programme: 'premarital' });
    const notice = await app.press(`a:book:${id}`, who('c1'));
    expect(buttonValue(notice, 'f:book:notice:yes')).toBeDefined();
    const again = await app.say('ừm', who('c1'));
    expect(again[0]!.text).toContain('chọn rõ');
    expect(await bookingIdOf('c1', id)).toBeUndefined();
    await app.press('f:book:notice:no', who('c1'));
    expect(await bookingIdOf('c1', id)).toBeUndefined();
  });
});

describe('capacity', () => {
  it('concurrent bookings for the last places never go over capacity; the others are offered the next sessions', async () => {
    const id = await createSessionInChat(app, STAFF, { programme: 'prenatal', capacity: 3 });
    const next = await createSessionInChat(app, STAFF, { programme: 'prenatal', when: '15/12 8h' });
    const people = Array.from({ length: 12 }, (_, i) => `cc${i}`);
    // Each has consented already, so the last tap is the booking itself.
    for (const p of people) await app.press(`a:book:${id}`, who(p));
    const replies = await Promise.all(people.map((p) => app.press('f:book:notice:yes', who(p))));
    const booked = replies.filter((r) => r.some((m) => m.text.includes('Đã đăng ký')));
    const full = replies.filter((r) => r.some((m) => m.text.includes('đã đủ chỗ')));
    expect(booked).toHaveLength(3);
    expect(full).toHaveLength(9);
    expect(buttonValue(full[0]!, 'a:book:')).toBe(`a:book:${next}`);
    const [s] = await sql$<{ booked: number; n: number }>(
      app,
      sql`select s.booked, (select count(*)::int from bookings b where b.session_id = s.id and b.status = 'booked') as n from sessions s where s.id = ${id}`,
    );
    expect(s).toEqual({ booked: 3, n: 3 });
  });
});

describe('dependents', () => {
  it('a relative adds an elderly mother, consents on her behalf, books for her; /lich shows it', async () => {
    const id = await createSessionInChat(app, STAFF, { programme: 'elderly' });
    const me = who('rel1');
    const whoFor = await app.press(`a:book:${id}`, me);
    expect(whoFor.at(-1)!.choices!.map((c) => c.label)).toEqual(['Cho tôi', 'Cho bố/mẹ/ông/bà']);
    await app.press('f:book:who:new', me);
    const bad = await app.say('Hoa', me);
    expect(bad[0]!.text).toContain('năm sinh');
    const rel = await app.say('Nguyễn Thị Hoa, 1952', me);
    expect(rel.at(-1)!.text).toContain('sinh năm 1952 (74 tuổi)');
    const ward = await app.press('f:book:depRel:mother', me);
    expect(ward.at(-1)!.choices![0]!.label).toBe('Phường Lê Chân');
    const notice = await app.press('f:book:depWard:11383', me);
    expect(notice.at(-1)!.text).toContain('thay cho người thân');
    const done = await app.press('f:book:depNotice:yes', me);
    expect(done.at(-1)!.text).toContain('Đã đăng ký cho mẹ Nguyễn Thị Hoa');

    const consents = await sql$<{ purpose: string; on_behalf_of: string | null; granted: boolean }>(
      app,
      sql`select purpose, on_behalf_of, granted from consents k join contacts c on c.id = k.contact_id where c.platform_user_id = 'rel1' order by k.id`,
    );
    const [dep] = await sql$<{ id: number; birth_year: number; relationship: string; ward_code: string }>(app, sql`select id, birth_year, relationship, ward_code from dependents`);
    expect(dep).toMatchObject({ birth_year: 1952, relationship: 'mother', ward_code: '11383' });
    expect(consents).toEqual([
      { purpose: 'reminders', on_behalf_of: null, granted: true },
      { purpose: 'dependent', on_behalf_of: `dependent:${dep!.id}`, granted: true },
    ]);
    const [bid] = await sql$<{ id: number }>(app, sql`select id from bookings where dependent_id = ${dep!.id}`);
    const [d1] = (await pending(app, `appt:${bid!.id}:v1:d-1`));
    expect(rendered(app, d1!).text).toContain('khám sức khỏe định kỳ người cao tuổi cho mẹ Nguyễn Thị Hoa tại');

    // The relative books for themselves too, and next time picks the mother from a button.
    const again = await app.press(`a:book:${id}`, me);
    expect(again.at(-1)!.choices!.map((c) => c.label)).toEqual(['Cho tôi', 'Cho mẹ Nguyễn Thị Hoa', 'Cho bố/mẹ/ông/bà']);
    await app.press('f:book:who:self', me);
    const dupe = await app.press(`a:book:${id}`, me);
    const already = await app.press(`f:book:who:${dep!.id}`, me);
    expect(dupe.length).toBeGreaterThan(0);
    expect(already.at(-1)!.text).toContain('đã đăng ký buổi này rồi');

    const lich = await app.say('/lich', me);
    expect(lich[0]!.text).toContain('Lịch hẹn sắp tới');
    expect(lich[0]!.text).toContain('cho mẹ Nguyễn Thị Hoa');
    expect(lich[0]!.choices).toHaveLength(2);
  });

  it('cancelling a booking from /lich drops its reminders and frees the place', async () => {
    const id = await createSessionInChat(app, STAFF, { programme: 'premarital' });
    await bookInChat(app, 'cx1', id);
    const bid = await bookingIdOf('cx1', id);
    const lich = await app.say('/lich', who('cx1'));
    const cancel = buttonValue(lich, 'a:bkc:')!;
    expect(cancel).toBe(`a:bkc:${bid}`);
    const confirm = await app.press(cancel, who('cx1'));
    expect(confirm.at(-1)!.text).toContain('hủy lịch này');
    const done = await app.press('f:cancel-booking:confirm:yes', who('cx1'));
    expect(done[0]!.text).toContain('Đã hủy lịch');
    expect(await pending(app, `appt:${bid}:%`)).toEqual([]);
    const [s] = await sql$<{ booked: number }>(app, sql`select booked from sessions where id = ${id}`);
    expect(s!.booked).toBe(0);
    expect((await app.say('/lich', who('cx1')))[0]!.text).toContain('chưa có lịch hẹn');
    // The station sees that a place was given back.
    await app.press(`a:ses:${id}`, who(STAFF));
    const list = await app.press('f:session:page:bookings', who(STAFF));
    expect(list[0]!.text).toBe('Chưa có ai đăng ký.\n1 người đã hủy lịch (chỗ đã được trả lại).');
    // Someone else's booking cannot be cancelled by id.
    await bookInChat(app, 'cx2', id);
    const other = await app.press(`a:bkc:${await bookingIdOf('cx2', id)}`, who('cx1'));
    expect(other[0]!.text).toContain('không thấy lịch hẹn');
  });
});
