import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ManualClock } from '../../src/core/clock.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { singleProcessLock } from '../../src/outbox/leader.js';
import { isQuietHour } from '../../src/outbox/quiet-hours.js';
import type { ClaimedMessage, Sender } from '../../src/outbox/types.js';
import { isLossMessage } from '../../flows/journey-common.js';
import type { TestApp } from '../support/app.js';
import { createSessionInChat, grantRole, outboxRows, pending, rendered, sql$, staffApp, buttonValue, who } from '../support/staff.js';

let app: TestApp;
const STAFF = '8101';
const local = (s: string) => new Date(`${s}+07:00`);
const texts = (replies: { text: string }[]) => replies.map((r) => r.text).join('\n');

beforeAll(async () => {
  app = await staffApp(); // Monday 23/11/2026 10:00 local
  await grantRole(app, STAFF, 'staff');
});
afterAll(() => app.close());
// Tests that move the clock put it back at their end; a failing one must not move the next one's.
beforeEach(() => app.clock.set(local('2026-11-23T10:00')));

const journeyOf = async (userId: string, kind = 'pregnancy') => {
  const [j] = await sql$<{ id: number; status: string; version: number; end_reason: string | null }>(
    app,
    sql`select j.id, j.status, j.version, j.end_reason from journeys j join contacts c on c.id = j.contact_id
        where c.platform_user_id = ${userId} and j.kind = ${kind} order by j.id desc limit 1`,
  );
  return j!;
};

/** A pregnant woman joins by chat: how → value → confirm → ward (first time) → consent. */
async function join(userId: string, how: 'due' | 'lmp' | 'week', value: string, ward = { typed: 'le chan', code: '11383' }) {
  const me = who(userId);
  const hub = await app.say('/mangthai', me);
  expect(buttonValue(hub, 'a:jp')).toBe('a:jp');
  await app.press('a:jp', me);
  await app.press(`f:journey-pregnancy:how:${how}`, me);
  const confirm = await app.say(value, me);
  const week = /tuần thai thứ (\d+)/.exec(texts(confirm))?.[1];
  let replies = await app.press('f:journey-pregnancy:confirm:yes', me);
  if (texts(replies).includes('xã/phường nào')) {
    await app.say(ward.typed, me);
    replies = await app.press(`f:journey-pregnancy:ward:${ward.code}`, me);
  }
  expect(texts(replies)).toContain('đồng ý nhận nhắc');
  const done = await app.press('f:journey-pregnancy:notice:yes', me);
  return { confirm, week: Number(week), done, journey: await journeyOf(userId) };
}

describe('pregnancy: joining early', () => {
  it('confirms the computed week, asks consent, and plans every screening window at 09:00 local', async () => {
    // 8 weeks today: due in 280 − 56 = 224 days → 5/7/2027. In a ward without prenatal sessions
    // (the staff member here makes them in Lê Chân), so the reminders name the ward's health station.
    const { confirm, week, done, journey } = await join('p1', 'due', '5/7/2027', { typed: 'ngo quyen', code: '11329' });
    expect(texts(confirm)).toContain('Bạn đang ở tuần thai thứ 8');
    expect(week).toBe(8);
    expect(texts(done)).toContain('Đã lưu');
    // What each coming reminder is for, not only its date (#19).
    expect(texts(done)).toContain('Mình sẽ nhắc:\n• 7/12/2026: sàng lọc thalassemia (trước tuần 21)\n• 14/12/2026: siêu âm độ mờ da gáy và sàng lọc quý I (11–13 tuần 6 ngày)');
    const [consent] = await sql$<{ granted: boolean }>(app, sql`select granted from consents c join contacts k on k.id = c.contact_id where k.platform_user_id = 'p1' order by c.id desc limit 1`);
    expect(consent!.granted).toBe(true);

    const rows = await pending(app, `j:${journey.id}:%`);
    const plan = rows.map((r) => [r.dedupe_key.replace(`j:${journey.id}:`, ''), r.due_at.toISOString()]);
    expect(plan).toEqual([
      ['thal:v1:open', local('2026-12-07T09:00').toISOString()], // 10w0d
      ['nt:v1:open', local('2026-12-14T09:00').toISOString()], // 11w0d
      ['nt:v1:late', local('2026-12-27T09:00').toISOString()], // 12w6d
      ['tri2:v1:open', local('2027-01-11T09:00').toISOString()], // 15w0d
      ['thal:v1:late', local('2027-02-14T09:00').toISOString()], // 19w6d
      ['morph:v1:open', local('2027-02-15T09:00').toISOString()], // 20w0d
      ['tri2:v1:late', local('2027-02-28T09:00').toISOString()], // 21w6d
      ['gdm:v1:open', local('2027-03-15T09:00').toISOString()], // 24w0d
      ['morph:v1:late', local('2027-03-14T09:00').toISOString()], // 23w6d
      ['gdm:v1:late', local('2027-04-11T09:00').toISOString()], // 27w6d
      ['nbs:v1:open', local('2027-06-07T09:00').toISOString()], // 36w0d
      ['born:v1:open', local('2027-06-28T09:00').toISOString()], // 39w0d
      ['born:v1:late', local('2027-07-12T09:00').toISOString()], // 41w0d
    ].sort((a, b) => a[1]!.localeCompare(b[1]!) || a[0]!.localeCompare(b[0]!)));
    for (const r of rows) expect(isQuietHour(r.due_at)).toBe(false);

    const nt = rendered(app, rows.find((r) => r.dedupe_key.includes(':nt:v1:open'))!);
    expect(nt.text).toContain('Tuần thai thứ 11');
    expect(nt.text).toContain('độ mờ da gáy');
    expect(nt.text).toContain('Vì sao:');
    expect(nt.text).toContain('Trạm Y tế Phường Ngô Quyền');
    expect(nt.choices!.map((c) => c.label)).toEqual(['Đã làm', 'Nhắc lại sau 3 ngày', 'Dừng nhắc']);
    for (const c of nt.choices!) expect(Buffer.byteLength(c.value)).toBeLessThanOrEqual(64);
    expect(rendered(app, rows[0]!, 'en').text).toContain('Week 10 of pregnancy');
  });

  it('a reminder offers the ward’s upcoming prenatal sessions of that window, with a button to book', async () => {
    const sid = await createSessionInChat(app, STAFF, { programme: 'prenatal', when: '5/12/2026 8h' });
    const { journey } = await join('p2', 'week', '11 tuần 2 ngày');
    const rows = await pending(app, `j:${journey.id}:nt:%`);
    const msg = rendered(app, rows[0]!);
    expect(msg.text).toContain('Buổi khám sắp tới ở Phường Lê Chân');
    expect(msg.text).toContain('5/12 8:00');
    expect(msg.choices!.map((c) => c.value)).toContain(`a:book:${sid}`);
  });

  it('the messages go out at those times on a travelling clock, and "Đã làm" ends a window (and the second-trimester one)', async () => {
    const { journey } = await join('p3', 'lmp', '28/9/2026'); // 8w0d today
    const id = journey.id;
    const clock = new ManualClock(app.clock.now());
    const sent: { key: string; at: Date }[] = [];
    const sender: Sender = {
      async send(m: ClaimedMessage) {
        if (m.dedupeKey.startsWith(`j:${id}:`)) sent.push({ key: m.dedupeKey.replace(`j:${id}:`, ''), at: clock.now() });
        return { kind: 'ok' };
      },
    };
    const d = new Dispatcher({ db: app.database.db, channel: 'telegram', sender, clock, leader: singleProcessLock(), limits: { perSecond: 25, perChatPerSecond: 1, burst: 25 }, sleep: async (ms) => clock.advance(ms) });
    clock.set(local('2026-12-07T08:59'));
    await d.drain();
    expect(sent).toEqual([]);
    clock.set(local('2026-12-07T09:00'));
    await d.drain();
    expect(sent.map((s) => s.key)).toEqual(['thal:v1:open']);
    clock.set(local('2026-12-14T09:00'));
    await d.drain();
    expect(sent.map((s) => s.key)).toEqual(['thal:v1:open', 'nt:v1:open']);

    app.clock.set(local('2026-12-15T10:00'));
    const done = await app.press(`a:jd:${id}:nt`, who('p3'));
    app.clock.set(local('2026-11-23T10:00'));
    expect(texts(done)).toContain('không nhắc mốc này nữa');
    const left = (await pending(app, `j:${id}:%`)).map((r) => r.dedupe_key.replace(`j:${id}:`, ''));
    expect(left.some((k) => k.startsWith('nt:') || k.startsWith('tri2:'))).toBe(false);
    expect(left).toContain('morph:v1:open');

    clock.set(local('2027-02-15T09:05'));
    await d.drain();
    clock.advance(2_000); // two due for one chat: the second waits its per-chat second
    await d.drain();
    expect(sent.map((s) => s.key)).toEqual(['thal:v1:open', 'nt:v1:open', 'thal:v1:late', 'morph:v1:open']);
  });

  it('"Nhắc lại sau 3 ngày" queues the same window again three days on at 09:00', async () => {
    const { journey } = await join('p4', 'week', '12');
    app.clock.set(local('2026-11-23T22:30')); // pressed late at night
    const r = await app.press(`a:jz:${journey.id}:nt`, who('p4'));
    expect(texts(r)).toContain('26/11/2026');
    const again = (await pending(app, `j:${journey.id}:nt:%`)).find((x) => x.dedupe_key.endsWith(':z20261123'))!;
    expect(again.due_at.toISOString()).toBe(local('2026-11-26T09:00').toISOString());
    expect(rendered(app, again).text).toMatch(/^📅 Nhắc lại: Tuần thai thứ 12/);
    app.clock.set(local('2026-11-23T10:00'));
  });
});

describe('pregnancy: joining late', () => {
  it('plans only the windows still ahead, with a gentle note about what she may have missed', async () => {
    const { confirm, done, journey } = await join('late1', 'week', '22');
    expect(texts(confirm)).toContain('tuần thai thứ 22');
    expect(texts(done)).toContain('Có thể bạn đã qua thời điểm của: sàng lọc thalassemia (trước tuần 21); siêu âm độ mờ da gáy');
    const wins = new Set((await pending(app, `j:${journey.id}:%`)).map((r) => r.dedupe_key.split(':')[2]));
    expect([...wins].sort()).toEqual(['born', 'gdm', 'morph', 'nbs', 'tri2']);
    const next = (await pending(app, `j:${journey.id}:%`))[0]!;
    expect(next.due_at.toISOString()).toBe(local('2026-11-24T09:00').toISOString());
  });

  it('refuses a week outside 4–42 and a date it cannot read, and asks again', async () => {
    const me = who('late2');
    await app.press('a:jp', me);
    await app.press('f:journey-pregnancy:how:week', me);
    expect(texts(await app.say('45', me))).toContain('từ tuần 4 đến tuần 42');
    expect(texts(await app.say('mười bốn', me))).toContain('Mình chưa hiểu');
    await app.press('a:jp', me);
    await app.press('f:journey-pregnancy:how:due', me);
    expect(texts(await app.say('32/13/2027', me))).toContain('Mình chưa hiểu ngày này');
    expect(texts(await app.say('20-5-2027', me))).toContain('Bạn đang ở tuần thai thứ');
  });
});

describe('pregnancy: changing the date, pausing, stopping', () => {
  it('a new due date re-plans the pending reminders under a new version, nothing of the old one left', async () => {
    const { journey } = await join('c1', 'due', '5/7/2027');
    const me = who('c1');
    const manage = await app.press(`a:jm:${journey.id}`, me);
    expect(buttonValue(manage, `a:jp:c${journey.id}`)).toBeDefined();
    await app.press(`a:jp:c${journey.id}`, me);
    await app.press('f:journey-pregnancy:how:due', me);
    await app.say('12/7/2027', me);
    const done = await app.press('f:journey-pregnancy:confirm:yes', me);
    expect(texts(done)).toContain('Đã đổi ngày dự sinh thành 12/7/2027');
    const rows = await pending(app, `j:${journey.id}:%`);
    expect(rows.every((r) => r.dedupe_key.includes(':v2:'))).toBe(true);
    expect(rows.find((r) => r.dedupe_key.endsWith('thal:v2:open'))!.due_at.toISOString()).toBe(local('2026-12-14T09:00').toISOString());
    expect((await journeyOf('c1')).version).toBe(2);
  });

  it('"Dừng nhắc" on a reminder offers pause, stop this journey, stop everything; pause and resume re-plan', async () => {
    const { journey } = await join('s1', 'week', '9');
    const me = who('s1');
    const menu = await app.press(`a:js:${journey.id}`, me);
    expect(menu[0]!.choices!.map((c) => c.label)).toEqual(['Tạm dừng nhắc', 'Dừng hành trình này', 'Dừng mọi tin nhắn', 'Tiếp tục nhắc']);
    expect(texts(await app.press(`a:jpa:${journey.id}`, me))).toContain('Đã tạm dừng');
    expect(await pending(app, `j:${journey.id}:%`)).toEqual([]);
    expect(texts(await app.say('/lich', me))).toContain('(đang tạm dừng)');
    expect(texts(await app.press(`a:jre:${journey.id}`, me))).toContain('Đã bật lại');
    expect((await pending(app, `j:${journey.id}:%`)).length).toBeGreaterThan(0);
    expect(texts(await app.press(`a:jst:${journey.id}`, me))).toContain('Đã dừng hành trình');
    expect(await pending(app, `j:${journey.id}:%`)).toEqual([]);
    expect(texts(await app.say('/lich', me))).not.toContain('Mang thai: tuần');
    // An old button later: nothing comes back.
    expect(texts(await app.press(`a:jz:${journey.id}:nt`, me))).toContain('đã kết thúc');
    expect(await pending(app, `j:${journey.id}:%`)).toEqual([]);
  });

  it('/lich shows the active journey beside appointments', async () => {
    await join('l1', 'due', '5/7/2027');
    const lich = await app.say('/lich', who('l1'));
    expect(texts(lich)).toContain('Hành trình đang theo dõi:');
    expect(texts(lich)).toContain('Mang thai: tuần 8, dự sinh 5/7/2027');
    expect(buttonValue(lich, 'a:jm:')).toBeDefined();
  });

  it('/huy ends every journey and its pending reminders; /batlai brings them back from now', async () => {
    const { journey } = await join('h1', 'week', '10');
    const me = who('h1');
    await app.say('/huy', me);
    await app.press('f:stop:confirm:yes', me);
    expect(await pending(app, `j:${journey.id}:%`)).toEqual([]);
    expect((await journeyOf('h1')).status).toBe('ended');
    const r = await app.say('/batlai', me);
    const yes = r.flatMap((x) => x.choices ?? []).find((c) => c.value.startsWith('f:resume:') && !c.value.endsWith(':no'))!;
    await app.press(yes.value, me);
    expect((await journeyOf('h1')).status).toBe('active');
    expect((await pending(app, `j:${journey.id}:%`)).length).toBeGreaterThan(0);
  });

  it('/xoa erases the journeys and their outbox rows', async () => {
    const { journey } = await join('x1', 'week', '10');
    const me = who('x1');
    const r = await app.say('/xoa', me);
    const yes = r.flatMap((x) => x.choices ?? []).find((c) => c.value.startsWith('f:delete:') && !c.value.endsWith(':no'))!;
    await app.press(yes.value, me);
    expect(await sql$(app, sql`select id from journeys where id = ${journey.id}`)).toEqual([]);
    expect(await outboxRows(app, `j:${journey.id}:%`)).toEqual([]);
  });
});

describe('pregnancy: the loss path', () => {
  it('recognises words of a loss with and without diacritics, not questions or a threatened miscarriage', () => {
    for (const t of ['Tôi không còn mang thai', 'em bị sảy thai rồi', 'toi bi say thai roi', 'bác sĩ bảo thai lưu', 'thai luu', 'mình mất con rồi', 'em sẩy mất bé rồi', 'be khong qua khoi'])
      expect(isLossMessage(t), t).toBe(true);
    for (const t of ['sảy thai có triệu chứng gì?', 'dấu hiệu sảy thai', 'dọa sảy thai phải làm sao', 'mắt con bị đỏ', 'sảy thai có nguy hiểm không', 'tôi đang mang thai'])
      expect(isLossMessage(t), t).toBe(false);
  });

  it('stops every pregnancy message at once — journey, invitations, booking reminders — kindly, and nothing is ever sent again', async () => {
    const { journey } = await join('loss1', 'week', '12');
    const me = who('loss1');
    const sid = await createSessionInChat(app, STAFF, { programme: 'prenatal', when: '15/12/2026 8h' });
    const invite = await outboxRows(app, `inv:${sid}:%`);
    expect(invite.some((r) => r.status === 'pending')).toBe(true);
    await app.press(`a:book:${sid}`, me);
    const [cid] = await sql$<{ id: number }>(app, sql`select id from contacts where platform_user_id = 'loss1'`);
    expect((await sql$(app, sql`select id from outbox where contact_id = ${cid!.id} and status = 'pending' and dedupe_key like 'appt:%'`)).length).toBeGreaterThan(0);

    const reply = await app.say('em bị sảy thai rồi', me);
    expect(texts(reply)).toContain('Mình rất tiếc');
    expect(texts(reply)).toContain('115');
    expect(buttonValue(reply, 'a:counsel')).toBeDefined();
    const j = await journeyOf('loss1');
    expect([j.status, j.end_reason]).toEqual(['ended', 'loss']);
    expect(await sql$(app, sql`select dedupe_key from outbox where contact_id = ${cid!.id} and status = 'pending'`)).toEqual([]);
    expect(await sql$(app, sql`select id from bookings where contact_id = ${cid!.id} and status = 'booked'`)).toEqual([]);

    // A new prenatal session in her ward: not invited. A year of dispatching: nothing about a pregnancy or a baby.
    await createSessionInChat(app, STAFF, { programme: 'prenatal', when: '18/12/2026 8h' });
    const clock = new ManualClock(app.clock.now());
    const toHer: string[] = [];
    const sender: Sender = {
      async send(m: ClaimedMessage) {
        if (m.contactId === cid!.id) toHer.push(m.dedupeKey);
        return { kind: 'ok' };
      },
    };
    const d = new Dispatcher({ db: app.database.db, channel: 'telegram', sender, clock, leader: singleProcessLock(), limits: { perSecond: 25, perChatPerSecond: 1, burst: 25 }, sleep: async (ms) => clock.advance(ms) });
    for (let day = 0; day < 300; day += 7) {
      clock.set(new Date(local('2026-11-23T12:00').getTime() + day * 86_400_000));
      await d.drain();
    }
    expect(toHer).toEqual([]);
    // Old buttons do nothing; /lich shows no pregnancy.
    await app.press(`a:jz:${journey.id}:nt`, me);
    expect(await pending(app, `j:${journey.id}:%`)).toEqual([]);
    expect(texts(await app.say('/lich', me))).not.toContain('Mang thai');
  });

  it('the button "Tôi không còn mang thai" does the same; a loss typed with a danger sign also gets the 115 answer', async () => {
    const { journey } = await join('loss2', 'week', '14');
    const manage = await app.press(`a:jm:${journey.id}`, who('loss2'));
    expect(manage[0]!.choices!.map((c) => c.label)).toContain('Tôi không còn mang thai');
    const r = await app.press(`a:jl:${journey.id}`, who('loss2'));
    expect(texts(r)).toContain('Mình rất tiếc');
    expect(await pending(app, `j:${journey.id}:%`)).toEqual([]);

    await join('loss3', 'week', '14');
    const danger = await app.say('tôi bị sảy thai, co giật', who('loss3'));
    expect(texts(danger)).toContain('115');
    expect(texts(danger)).toContain('Mình rất tiếc');
    expect((await journeyOf('loss3')).end_reason).toBe('loss');
  });

  it('a question about miscarriage from someone pregnant goes to the FAQ and stops nothing', async () => {
    const { journey } = await join('q1', 'week', '14');
    const r = await app.say('sảy thai có triệu chứng gì?', who('q1'));
    expect(texts(r)).not.toContain('Mình rất tiếc');
    expect((await pending(app, `j:${journey.id}:%`)).length).toBeGreaterThan(0);
  });

  it('after a loss she may start a new journey herself', async () => {
    await join('loss4', 'week', '10');
    await app.say('Tôi không còn mang thai', who('loss4'));
    const again = await join('loss4', 'week', '6');
    expect(again.journey.status).toBe('active');
    expect((await pending(app, `j:${again.journey.id}:%`)).length).toBeGreaterThan(0);
  });
});
