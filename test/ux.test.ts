import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../src/core/messages.js';
import { seedSubscribers } from './broadcasts/support.js';
import type { TestApp } from './support/app.js';
import { buttonValue, createSessionInChat, grantRole, LE_CHAN, pending, rendered, sql$, staffApp, who } from './support/staff.js';

/**
 * Issue #19: conversations that explain themselves. Each test is a newcomer's
 * conversation through the engine, with the words the issue quotes.
 */
let app: TestApp;
const STAFF = '1901';
const local = (s: string) => new Date(`${s}+07:00`);
const last = (replies: OutboundMessage[]) => replies.at(-1)!;
const texts = (replies: OutboundMessage[]) => replies.map((r) => r.text).join('\n');
const labels = (replies: OutboundMessage[]) => last(replies).choices?.map((c) => c.label) ?? [];

beforeAll(async () => {
  app = await staffApp(); // Monday 23/11/2026 10:00 in Hải Phòng
  await grantRole(app, STAFF, 'staff', [LE_CHAN]);
});
afterAll(() => app.close());
beforeEach(() => app.clock.set(local('2026-11-23T10:00')));

/** Subscribes to the elderly checkups for oneself in Lê Chân. */
async function subscribeSelf(userId: string) {
  const me = who(userId);
  await app.press('a:sub:elderly', me);
  await app.press('f:subscribe:who:self', me);
  await app.say('le chan', me);
  await app.press(`f:subscribe:ward:${LE_CHAN}`, me);
  await app.press('f:subscribe:notice:yes', me);
}

/** Adds "mẹ Lan 1954" from /nguoithan, in Lê Chân, with her checkup reminders on; returns her id. */
async function addMother(userId: string): Promise<number> {
  const me = who(userId);
  await app.say('/nguoithan', me);
  await app.press('f:relatives:list:new', me);
  await app.say('mẹ Lan 1954', me);
  await app.press('f:relatives:depRel:mother', me);
  await app.press(`f:relatives:depWard:${LE_CHAN}`, me);
  await app.press('f:relatives:depNotice:yes', me);
  const [d] = await sql$<{ id: number }>(
    app,
    sql`select d.id from dependents d join contacts c on c.id = d.contact_id where c.platform_user_id = ${userId} order by d.id desc limit 1`,
  );
  await app.press(`a:rel:${d!.id}`, me);
  await app.press('f:relatives:relative:sub', me);
  return d!.id;
}

/**
 * Starts a pregnancy for a fresh person as the first journey test does: due "đầu tháng 7 năm sau", the day
 * guessed (5/7/2027, week 8 on 23/11/2026), in Lê Chân, reminders on.
 */
async function startPregnancy(userId: string) {
  const me = who(userId);
  await app.press('a:jp', me);
  await app.press('f:journey-pregnancy:how:due', me);
  await app.say('đầu tháng 7 năm sau', me);
  await app.press('f:journey-pregnancy:approx:guess', me);
  await app.press('f:journey-pregnancy:confirm:yes', me);
  await app.say('le chan', me);
  await app.press(`f:journey-pregnancy:ward:${LE_CHAN}`, me);
  const done = await app.press('f:journey-pregnancy:notice:yes', me);
  expect(texts(done)).toContain('Mình sẽ nhắc:\n• 7/12/2026: sàng lọc thalassemia (trước tuần 21)');
}

/**
 * The stop/resume/erase story's starting point, for a fresh person: subscribed to the elderly checkups in
 * Lê Chân, "mẹ Lan 1954" added with her reminders on, and a place booked for her in a session of the
 * person's own (thứ Năm 10/12, 7:30), so no other test's bookings or cancellations are counted with it.
 */
async function bookedForMother(userId: string) {
  const me = who(userId);
  await subscribeSelf(userId);
  const lan = await addMother(userId);
  const sessionId = await createSessionInChat(app, STAFF, { when: '10/12 7h30' });
  const booked = await app.press(`a:book:${sessionId}-${lan}`, me);
  // The confirmation starts with who it is for and what, not "…cho me Lan! khám…".
  expect(last(booked).text).toMatch(
    /^Đã đăng ký cho mẹ Lan buổi khám sức khỏe định kỳ người cao tuổi vào thứ Năm 10\/12 lúc 7:30 tại Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng\. Nhớ mang CCCD/,
  );
  return { me, sessionId, lan };
}

/** The story one step on: "dừng", confirmed, the booking kept (as the first story test leaves it). */
async function stoppedKeepingBooking(userId: string) {
  const story = await bookedForMother(userId);
  await app.say('dừng', story.me);
  await app.press('f:stop:confirm:yes', story.me);
  const kept = await app.press('f:stop:bookings:keep', story.me);
  expect(kept[0]!.text).toMatch(/^Vẫn giữ 1 lịch hẹn:/);
  return story;
}

/** And on again: /batlai, the notice agreed to (as the second story test leaves it). */
async function resumedAfterStop(userId: string) {
  const story = await stoppedKeepingBooking(userId);
  await app.say('/batlai', story.me);
  const back = await app.press('f:resume:notice:yes', story.me);
  expect(back[0]!.text).toMatch(/^Đã bật lại:/);
  return story;
}

describe('a relative typed with a kinship word (#19)', () => {
  it('"mẹ Lan" is stored as Lan, the relationship offered first, ticked; messages name Lan', async () => {
    const me = who('k1');
    await app.say('/nguoithan', me);
    await app.press('f:relatives:list:new', me);
    const rel = await app.say('mẹ Lan 1954', me);
    expect(last(rel).text).toBe('Lan, sinh năm 1954 (72 tuổi). Người này là: Mẹ, đúng không? Bấm để xác nhận, hoặc chọn lại bên dưới.');
    expect(labels(rel)).toEqual(['✓ Mẹ', 'Bố', 'Bà', 'Ông', 'Người thân khác']);
    const ward = await app.press('f:relatives:depRel:mother', me);
    expect(last(ward).text).toMatch(/^Lan sống ở/);
    await app.say('le chan', me);
    await app.press(`f:relatives:depWard:${LE_CHAN}`, me);
    const page = await app.press('f:relatives:depNotice:yes', me);
    expect(texts(page)).toContain('Đã lưu Lan.');
    expect(texts(page)).toContain('Lan (Mẹ, sinh năm 1954) · Phường Lê Chân');
    const [d] = await sql$<{ name: string; relationship: string }>(
      app,
      sql`select d.name, d.relationship from dependents d join contacts c on c.id = d.contact_id where c.platform_user_id = 'k1'`,
    );
    expect(d).toEqual({ name: 'Lan', relationship: 'mother' });
  });

  it('typed without diacritics ("me lan 1954") too; a plain name is asked about as before', async () => {
    const me = who('k2');
    await app.say('/nguoithan', me);
    await app.press('f:relatives:list:new', me);
    const rel = await app.say('me lan 1954', me);
    expect(labels(rel)[0]).toBe('✓ Mẹ');
    expect(last(rel).text).toMatch(/^Lan, sinh năm 1954/);
    await app.say('/nguoithan', me);
    await app.press('f:relatives:list:new', me);
    const plain = await app.say('Nguyễn Văn Nam, 1950', me);
    expect(last(plain).text).toBe('Nguyễn Văn Nam, sinh năm 1950 (76 tuổi). Người này là gì của bạn?');
    expect(labels(plain)[0]).toBe('Mẹ');
  });
});

describe('say what will happen: journeys and their reminders (#19)', () => {
  it('after a journey starts, each coming reminder is named with its purpose and date, not only "Lần nhắc tới"', async () => {
    const me = who('j1');
    await app.press('a:jp', me);
    await app.press('f:journey-pregnancy:how:due', me);
    // A month typed for the due date: the day is asked, one offered.
    const approx = await app.say('đầu tháng 7 năm sau', me);
    expect(last(approx).text).toContain('Dự sinh vào đầu tháng 7/2027.');
    expect(labels(approx)).toEqual(['Tạm tính ngày 5/7/2027']);
    const confirm = await app.press('f:journey-pregnancy:approx:guess', me);
    expect(last(confirm).text).toBe('Bạn đang ở tuần thai thứ 8 (dự sinh 5/7/2027). Đúng không?');
    await app.press('f:journey-pregnancy:confirm:yes', me);
    await app.say('le chan', me);
    await app.press(`f:journey-pregnancy:ward:${LE_CHAN}`, me);
    const done = await app.press('f:journey-pregnancy:notice:yes', me);
    expect(texts(done)).not.toContain('Lần nhắc tới');
    expect(texts(done)).toContain(
      'Mình sẽ nhắc:\n• 7/12/2026: sàng lọc thalassemia (trước tuần 21)\n• 14/12/2026: siêu âm độ mờ da gáy và sàng lọc quý I (11–13 tuần 6 ngày)\n• 27/12/2026: siêu âm độ mờ da gáy và sàng lọc quý I (11–13 tuần 6 ngày) (nhắc lần cuối)\n… và 10 lần nhắc nữa (gõ /nhac để xem hết)',
    );
  });

  it("/lich and the journey's own page list the coming reminders with their purpose", async () => {
    const me = who('j4');
    await startPregnancy('j4');
    const lich = await app.say('/lich', me);
    expect(lich[0]!.text).toContain('• Mang thai: tuần 8, dự sinh 5/7/2027\n   Mình sẽ nhắc:\n   • 7/12/2026: sàng lọc thalassemia (trước tuần 21)');
    const [j] = await sql$<{ id: number }>(app, sql`select j.id from journeys j join contacts c on c.id = j.contact_id where c.platform_user_id = 'j4'`);
    const page = await app.press(`a:jm:${j!.id}`, me);
    expect(page[0]!.text).toContain('Mang thai: tuần 8, dự sinh 5/7/2027. Bạn muốn làm gì?\nMình sẽ nhắc:\n• 7/12/2026: sàng lọc thalassemia (trước tuần 21)');
    expect(page[0]!.text).toContain('• 11/1/2027: sàng lọc quý II (15–22 tuần)');
    const hub = await app.say('/hanhtrinh', me);
    expect(hub[0]!.text).toContain('• Mang thai: tuần 8, dự sinh 5/7/2027\n  Lần nhắc tới 7/12/2026: sàng lọc thalassemia (trước tuần 21)');
    // Paused: said so, with no dates.
    await app.press(`a:jpa:${j!.id}`, me);
    const paused = await app.press(`a:jm:${j!.id}`, me);
    expect(paused[0]!.text).toContain('Đang tạm dừng: mình không nhắc cho đến khi bạn bật lại.');
    await app.press(`a:jre:${j!.id}`, me);
  });

  let askers = 0;
  it.each([['mình sẽ được nhắc những mốc nào?'], ['minh se duoc nhac nhung moc nao'], ['khi nào bot nhắc tôi?'], ['/nhac'], ['lịch nhắc của tôi']])(
    '"%s" is understood: every reminder to come',
    async (asked) => {
      const asker = `j5-${++askers}`; // a person of its own for each wording
      await startPregnancy(asker);
      const replies = await app.say(asked, who(asker));
      expect(replies[0]!.text).toMatch(
        /^Những lần mình sẽ nhắc bạn:\n\nMang thai: tuần 8, dự sinh 5\/7\/2027\nMình sẽ nhắc:\n• 7\/12\/2026: sàng lọc thalassemia \(trước tuần 21\)/,
      );
      expect(replies[0]!.text).toContain('siêu âm hình thái (20–24 tuần)');
    },
  );

  it('someone with nothing planned is told how to get reminders; a question about something else is not taken for it', async () => {
    const none = await app.say('mình sẽ được nhắc những mốc nào?', who('j2'));
    expect(none[0]!.text).toContain('Hiện mình chưa có lời nhắc nào sắp gửi cho bạn.');
    const other = await app.say('nhắc lại giúp tôi cách uống thuốc', who('j2'));
    expect(other[0]!.text).not.toContain('lời nhắc');
  });

  it('in English, with an English date', async () => {
    const me = who('j3');
    await app.say('/ngonngu', me);
    await app.press('f:language:choose:en', me);
    await app.press('a:jp', me);
    await app.press('f:journey-pregnancy:how:due', me);
    const confirm = await app.say('April 28, 2027', me);
    expect(last(confirm).text).toBe('You are in week 17 of pregnancy (due 28/4/2027). Is that right?');
    await app.press('a:jp', me);
    await app.press('f:journey-pregnancy:how:due', me);
    const approx = await app.say('late April 2027', me);
    expect(last(approx).text).toContain('Due late 4/2027.');
    expect(labels(approx)).toEqual(['Count from 25/4/2027 for now']);
    const asked = await app.say('when will you remind me?', me);
    expect(asked[0]!.text).toContain('I have no reminder to send you yet.');
  });
});

describe('say what just happened: stop, resume, erase (#19)', () => {
  // Each test is one step of the story, played by a person of its own from the step before (the helpers above).
  it('"dừng" names each subscription and says the booked appointment stays, unreminded; then asks whether to keep it', async () => {
    const { me, sessionId, lan } = await bookedForMother('s1');
    const confirm = await app.say('dừng', me);
    expect(last(confirm).text).toBe(
      [
        'Bác muốn dừng nhận mọi tin nhắn và nhắc lịch từ mình?',
        'Sẽ dừng:',
        '• Khám sức khỏe người cao tuổi (Phường Lê Chân)',
        '• Khám sức khỏe người cao tuổi cho mẹ Lan (Phường Lê Chân)',
        '• Tin truyền thông sức khỏe (Phường Lê Chân)',
        'Lịch hẹn vẫn giữ, nhưng mình sẽ không nhắc nữa:',
        '• thứ Năm 10/12, 7:30 · khám sức khỏe định kỳ người cao tuổi cho mẹ Lan · Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng',
      ].join('\n'),
    );
    const stopped = await app.press('f:stop:confirm:yes', me);
    expect(stopped[0]!.retiresPressed).toBe(true); // the answered question loses its buttons
    expect(stopped[0]!.text).toContain(
      'Đã dừng mọi tin nhắn và nhắc lịch. Những mục đã dừng:\n• Khám sức khỏe người cao tuổi (Phường Lê Chân)\n• Khám sức khỏe người cao tuổi cho mẹ Lan (Phường Lê Chân)',
    );
    expect(last(stopped).text).toContain('Bác vẫn còn 1 lịch hẹn.');
    expect(labels(stopped)).toEqual(['Giữ lịch hẹn', 'Hủy lịch hẹn']);
    const kept = await app.press('f:stop:bookings:keep', me);
    expect(kept[0]!.text).toBe(
      'Vẫn giữ 1 lịch hẹn:\n• thứ Năm 10/12, 7:30 · khám sức khỏe định kỳ người cao tuổi cho mẹ Lan · Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng\nMình sẽ không nhắc nữa, bác nhớ đến đúng giờ nhé. Xem hoặc hủy: /lich.',
    );
    const [b] = await sql$<{ status: string }>(app, sql`select status from bookings where session_id = ${sessionId} and dependent_id = ${lan}`);
    expect(b!.status).toBe('booked');
    const lich = await app.say('/lich', me);
    expect(lich[0]!.text).toContain('Không nhắc (bác đã dừng nhận tin; gõ /batlai để bật lại)');
  });

  it('/batlai names what will come back before asking, in a short notice, and names what came back', async () => {
    const { me } = await stoppedKeepingBooking('s2');
    const notice = await app.say('/batlai', me);
    expect(last(notice).text).toMatch(
      /^Sẽ bật lại:\n• Khám sức khỏe người cao tuổi \(Phường Lê Chân\)\n• Khám sức khỏe người cao tuổi cho mẹ Lan \(Phường Lê Chân\)\n• Tin truyền thông sức khỏe \(Phường Lê Chân\)\n\nTrước khi lưu/,
    );
    expect(labels(notice)).toEqual(['Đồng ý, bật lại', 'Không đồng ý']);
    const back = await app.press('f:resume:notice:yes', me);
    expect(back[0]!.text).toBe(
      'Đã bật lại:\n• Khám sức khỏe người cao tuổi (Phường Lê Chân)\n• Khám sức khỏe người cao tuổi cho mẹ Lan (Phường Lê Chân)\n• Tin truyền thông sức khỏe (Phường Lê Chân)',
    );
    expect(back[0]!.text).not.toContain('1 mục');
  });

  it('a booking is reminded again after /batlai, and /lich says when', async () => {
    const { me } = await resumedAfterStop('s3');
    const lich = await app.say('/lich', me);
    expect(lich[0]!.text).toContain('   Nhắc: 7/12 8:00, 9/12 8:00, 10/12 7:00');
  });

  it('"dừng" then "Hủy lịch hẹn" cancels the booking, names it, and gives the place back', async () => {
    const { me, sessionId, lan } = await resumedAfterStop('s4');
    const [before] = await sql$<{ booked: number }>(app, sql`select booked from sessions where id = ${sessionId}`);
    await app.say('dừng', me);
    await app.press('f:stop:confirm:yes', me);
    const cancelled = await app.press('f:stop:bookings:cancel', me);
    expect(cancelled[0]!.text).toBe(
      'Đã hủy 1 lịch hẹn và trả chỗ cho trạm y tế:\n• thứ Năm 10/12, 7:30 · khám sức khỏe định kỳ người cao tuổi cho mẹ Lan · Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng',
    );
    const [after] = await sql$<{ booked: number }>(app, sql`select booked from sessions where id = ${sessionId}`);
    expect(Number(after!.booked)).toBe(Number(before!.booked) - 1);
    const [b] = await sql$<{ id: number; status: string }>(app, sql`select id, status from bookings where session_id = ${sessionId} and dependent_id = ${lan}`);
    expect(b!.status).toBe('cancelled');
    expect(await pending(app, `appt:${b!.id}:%`)).toEqual([]);
  });

  it("/xoa names the parent's booking it will cancel before anything is done, and after", async () => {
    const { me: u, sessionId, lan: mother } = await bookedForMother('x1');
    const [mine] = await sql$<{ id: number }>(app, sql`select id from bookings where session_id = ${sessionId} and dependent_id = ${mother}`);
    const [before] = await sql$<{ booked: number }>(app, sql`select booked from sessions where id = ${sessionId}`);
    const confirm = await app.say('/xoa', u);
    expect(last(confirm).text).toContain('Sẽ xóa:\n• Khám sức khỏe người cao tuổi (Phường Lê Chân)\n• Khám sức khỏe người cao tuổi cho mẹ Lan (Phường Lê Chân)');
    expect(last(confirm).text).toContain('• người thân: Lan (Mẹ)');
    expect(last(confirm).text).toContain(
      'Các lịch hẹn sau sẽ bị hủy và trả chỗ cho trạm y tế:\n• thứ Năm 10/12, 7:30 · khám sức khỏe định kỳ người cao tuổi cho mẹ Lan · Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng',
    );
    expect(last(confirm).text).toContain('Nếu vẫn muốn đi khám mà chỉ không muốn nhận tin, bác gõ "dừng" thay vì xóa.');
    expect(labels(confirm)).toEqual(['Xóa hết, hủy lịch hẹn', 'Không xóa']);
    const done = await app.press('f:delete:confirm:yes', u);
    expect(done[0]!.text).toContain(
      'Đã hủy 1 lịch hẹn và trả chỗ cho trạm y tế:\n• thứ Năm 10/12, 7:30 · khám sức khỏe định kỳ người cao tuổi cho mẹ Lan · Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng',
    );
    const [after] = await sql$<{ booked: number }>(app, sql`select booked from sessions where id = ${sessionId}`);
    expect(Number(after!.booked)).toBe(Number(before!.booked) - 1);
    // The station's record of it: a cancellation, audited (the person's name goes with the erasure).
    // The session is this test's own: its one cancellation is this booking's.
    const audits = await sql$<{ target: string }>(
      app,
      sql`select target from audit_log where action = 'booking.cancel' and (details->>'sessionId')::int = ${sessionId}`,
    );
    expect(audits.map((a) => a.target)).toEqual([`booking:${mine!.id}`]);
  });

  it('removing a relative names the bookings cancelled with her', async () => {
    const u = who('x2');
    const mother = await addMother('x2');
    const sessionId = await createSessionInChat(app, STAFF, { when: '10/12 7h30' });
    await app.press(`a:book:${sessionId}-${mother}`, u);
    await app.press(`a:rel:${mother}`, u);
    const confirm = await app.press('f:relatives:relative:remove', u);
    expect(last(confirm).text).toContain('Lịch hẹn của Lan sẽ bị hủy:\n• thứ Năm 10/12, 7:30 · khám sức khỏe định kỳ người cao tuổi cho mẹ Lan');
    const done = await app.press('f:relatives:remove:yes', u);
    expect(done[0]!.text).toBe(
      'Đã xóa Lan khỏi danh sách. Mình sẽ không nhắc gì về bác nữa.\nĐã hủy 1 lịch hẹn và trả chỗ cho trạm y tế:\n• thứ Năm 10/12, 7:30 · khám sức khỏe định kỳ người cao tuổi cho mẹ Lan · Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng',
    );
  });
});

describe("a station's session, typed as people type it (#19)", () => {
  it('"sáng thứ 5 tuần sau 7h30" and "3 tiếng rưỡi"; the review reads "không cần số điện thoại"; the note is a sentence', async () => {
    const me = who(STAFF);
    await app.press('a:snew', me);
    await app.press('f:session-new:programme:elderly', me);
    await app.say('Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng', me);
    const when = await app.say('sáng thứ 5 tuần sau 7h30', me);
    expect(last(when).text).toContain('kéo dài');
    const capacity = await app.say('3 tiếng rưỡi', me);
    expect(last(capacity).text).toContain('Bao nhiêu chỗ');
    await app.say('30', me);
    await app.say('mang theo thẻ BHYT', me);
    const review = await app.press('f:session-new:phone:no', me);
    expect(last(review).text).toContain('thứ Năm 3/12 lúc 7:30, 210 phút (đến 11:00)');
    expect(last(review).text).toContain('30 chỗ · không cần số điện thoại');
    const created = await app.press('f:session-new:confirm:yes', me);
    const sid = Number(buttonValue(created, 'a:ses:')?.split(':')[2]);
    await app.press(`a:book:${sid}`, who('n1'));
    const booked = await app.press('f:book:who:self', who('n1'));
    const consented = buttonValue(booked, 'f:book:notice:yes') ? await app.press('f:book:notice:yes', who('n1')) : booked;
    // The station's note follows "… tại …." as a sentence of its own, capitalised, with its full stop.
    expect(last(consented).text).toContain('tại Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng. Mang theo thẻ BHYT.\nMình sẽ nhắc lịch');
    const [mine] = await sql$<{ id: number }>(
      app,
      sql`select b.id from bookings b join contacts c on c.id = b.contact_id where c.platform_user_id = 'n1' and b.session_id = ${sid}`,
    );
    const [reminder] = await pending(app, `appt:${mine!.id}:%:d-3`);
    expect(rendered(app, reminder!).text).toContain('Hai Bà Trưng. Mang theo thẻ BHYT.');
  });

  it('an end time: "đến 11h" after a 7:30 start is 210 minutes', async () => {
    const me = who(STAFF);
    await app.press('a:snew', me);
    await app.press('f:session-new:programme:elderly', me);
    await app.say('Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng', me);
    await app.say('thứ 2 tuần sau', me); // a day alone: the time is asked, naming the day
    const time = await app.say('7h30', me);
    expect(texts(time)).toContain('kéo dài');
    await app.say('đến 11h', me);
    await app.say('20', me);
    await app.press('f:session-new:note:none', me);
    const review = await app.press('f:session-new:phone:yes', me);
    expect(last(review).text).toContain('thứ Hai 30/11 lúc 7:30, 210 phút (đến 11:00)');
    expect(last(review).text).toContain('20 chỗ · người đăng ký để lại số điện thoại');
    await app.press('f:session-new:confirm:no', me);
  });

  it('a day alone is asked a time naming the day understood', async () => {
    const me = who(STAFF);
    await app.press('a:snew', me);
    await app.press('f:session-new:programme:elderly', me);
    await app.say('Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng', me);
    const asked = await app.say('sáng thứ 5 tuần sau', me);
    expect(last(asked).text).toBe('Mấy giờ bắt đầu, thứ Năm 3/12? Ví dụ: 7h30, 8:00, 2 giờ chiều');
    await app.say('/menu', me);
  });
});

describe('examples are never in the past (#19)', () => {
  it('on 30/11 the schedule prompt suggests a day after 30/11, and "tối nay 8h" is understood', async () => {
    app.clock.set(local('2026-11-30T10:00'));
    await seedSubscribers(app, { n: 2, prefix: 'ex-', ward: LE_CHAN, programme: 'prenatal' });
    const me = who(STAFF);
    await app.say('/guitin', me);
    await app.press('f:broadcast:audience:prenatal', me);
    await app.press('f:broadcast:audience:done', me);
    await app.say('Ngày 1/12 là Ngày Thế giới phòng chống AIDS.', me);
    await app.press('f:broadcast:photo:none', me);
    const whenQ = await app.press('f:broadcast:preview:later', me);
    expect(last(whenQ).text).toContain('Ví dụ: 2/12 8h');
    expect(last(whenQ).text).not.toContain('25/11');
    const scheduled = await app.say('tối nay 8h', me);
    expect(scheduled[0]!.text).toContain('lúc 20:00 ngày 30/11');
  });
});

describe('the broadcast wizard does what it says (#19)', () => {
  it('shows each group\'s count before choosing; "Tất cả người đăng ký" ticks every group and stays; the preview\'s count is the one sent', async () => {
    await seedSubscribers(app, { n: 3, prefix: 'bw-eld-', ward: LE_CHAN, programme: 'elderly' });
    const me = who(STAFF);
    const audience = await app.say('/guitin', me);
    const counted = Object.fromEntries(last(audience).choices!.map((c) => [c.value.split(':').pop(), c.label]));
    expect(counted.elderly).toMatch(/^Khám sức khỏe người cao tuổi \(\d+\)$/);
    expect(counted.all).toMatch(/^Tất cả người đăng ký \(\d+\)$/);
    const all = await app.press('f:broadcast:audience:all', me);
    // On Telegram the toggle edits the message it belongs to (no new copy, no stale "Tiếp tục").
    expect(all[0]!.replacesPressed).toBe(true);
    // Still the same question: every group ticked, and "Tiếp tục" still works.
    expect(last(all).text).toContain('Đã chọn:');
    expect(labels(all).filter((l) => l.startsWith('✓ ')).length).toBe(labels(all).length - 1);
    const none = await app.press('f:broadcast:audience:all', me);
    expect(labels(none).some((l) => l.startsWith('✓ '))).toBe(false);
    await app.press('f:broadcast:audience:elderly', me);
    const elderly = Number(/\((\d+)\)$/.exec(counted.elderly!)![1]);
    const text = await app.press('f:broadcast:audience:done', me);
    expect(last(text).text).toContain(`${elderly} người sẽ nhận`);
    await app.say('Tháng 12: khám sức khỏe định kỳ miễn phí tại trạm y tế.', me);
    const preview = await app.press('f:broadcast:photo:none', me);
    expect(last(preview).text).toContain(`Xem trước (${elderly} người sẽ nhận`);
    // Someone erases their data between the preview and "Gửi ngay": the send says why its figure differs.
    await app.say('/xoa', who('bw-eld-1'));
    await app.press('f:delete:confirm:yes', who('bw-eld-1'));
    const sent = await app.press('f:broadcast:preview:now', me);
    expect(sent[0]!.text).toContain(`tới ${elderly - 1} người`);
    expect(sent[0]!.text).toContain(`Lúc xem trước là ${elderly} người, nay là ${elderly - 1}`);
  });
});

describe('in English (#19)', () => {
  it('"stop" names what stops; /batlai names what comes back', async () => {
    const me = who('en1');
    await app.say('/ngonngu', me);
    await app.press('f:language:choose:en', me);
    await subscribeSelf('en1');
    const confirm = await app.say('stop', me);
    expect(last(confirm).text).toBe(
      'Do you want to stop all messages and reminders from me?\nThis will stop:\n• Checkups for older people (Phường Lê Chân)\n• Health campaign news (Phường Lê Chân)',
    );
    const stopped = await app.press('f:stop:confirm:yes', me);
    expect(stopped[0]!.text).toBe(
      'Stopped all messages and reminders. What stopped:\n• Checkups for older people (Phường Lê Chân)\n• Health campaign news (Phường Lê Chân)\nYou can still ask questions. To receive messages again, type /batlai; to delete all your data, type /xoa.',
    );
    const notice = await app.say('/batlai', me);
    expect(last(notice).text).toMatch(
      /^This will come back:\n• Checkups for older people \(Phường Lê Chân\)\n• Health campaign news \(Phường Lê Chân\)\n\nBefore we save anything/,
    );
    const back = await app.press('f:resume:notice:yes', me);
    expect(back[0]!.text).toBe('Resumed:\n• Checkups for older people (Phường Lê Chân)\n• Health campaign news (Phường Lê Chân)');
  });
});

describe('Telegram chats that stay tidy (#19)', () => {
  it("a relative's reminders toggle edits their page in place, saying what it did at its top", async () => {
    const me = who('t1');
    const mother = await addMother('t1'); // reminders on
    await app.press(`a:rel:${mother}`, me);
    const off = await app.press('f:relatives:relative:unsub', me);
    expect(off).toHaveLength(1);
    expect(off[0]!.replacesPressed).toBe(true);
    expect(off[0]!.text).toMatch(/^Đã dừng nhắc lịch cho mẹ Lan\. Lịch hẹn đã đăng ký vẫn giữ nguyên\.\nLan \(Mẹ, sinh năm 1954\)/);
    const on = await app.press('f:relatives:relative:sub', me);
    expect(on[0]!.replacesPressed).toBe(true);
    expect(on[0]!.text).toMatch(/^Đã bật: mình sẽ nhắc lịch khám sức khỏe định kỳ cho mẹ Lan/);
  });
});

describe('a label typed where its word is also a command (#19)', () => {
  it('"English" when asked for a language switches to English (it used to ask again, for ever); /ngonngu still asks', async () => {
    const zaloUser = { channel: 'zalo' as const, userId: 'ux-lang', chatId: 'ux-lang' };
    const asked = await app.say('/ngonngu', zaloUser);
    expect(labels(asked)).toContain('English');
    expect(texts(await app.say('English', zaloUser))).toContain('Switched to English');
    expect(labels(await app.say('/ngonngu', zaloUser))).toContain('Tiếng Việt');
    expect(texts(await app.say('tieng viet', zaloUser))).toContain('Đã chuyển sang tiếng Việt');
    // Outside the step the word is the command as before.
    expect(labels(await app.say('english', zaloUser))).toContain('English');
  });
});

describe('a number typed on Zalo after an invitation answers the invitation (#19)', () => {
  it('"1" books the session the invitation named, not the first item of the menu shown days before', async () => {
    const zaloUser = { channel: 'zalo' as const, userId: 'ux-inv1', chatId: 'ux-inv1' };
    await seedSubscribers(app, { n: 1, prefix: 'ux-inv', ward: LE_CHAN, programme: 'elderly', channel: 'zalo' });
    // The main menu, numbered, is on their screen first.
    expect(labels(await app.say('/menu', zaloUser)).length).toBeGreaterThan(2);
    app.clock.advance(60_000);
    const session = await createSessionInChat(app, STAFF);
    const [invite] = await sql$<{ id: number; payload: { choices?: { value: string }[] } }>(
      app,
      sql`select o.id, o.payload from outbox o join contacts c on c.id = o.contact_id where c.platform_user_id = 'ux-inv1' and o.dedupe_key like ${`%${session}%`}`,
    );
    expect(invite?.payload.choices?.length).toBeGreaterThan(0);
    // The dispatcher sent it a minute later.
    app.clock.advance(60_000);
    await sql$(app, sql`update outbox set status = 'sent', queued = false, sent_at = ${app.clock.now().toISOString()}::timestamptz where id = ${invite!.id}`);
    app.clock.advance(60_000);
    const replies = await app.say('1', zaloUser);
    // The booking of that very session starts: its day and place, then for whom.
    expect(texts(replies)).toContain('Trạm Y tế phường Lê Chân');
    expect(texts(replies)).toContain('Bạn đăng ký cho ai?');
    const consent = await app.say('1', zaloUser);
    expect(texts(consent)).toContain('Trước khi lưu');
    expect(texts(await app.say('1', zaloUser))).toContain('Đã đăng ký buổi khám');
    const [booking] = await sql$<{ n: number }>(
      app,
      sql`select count(*)::int as n from bookings b join contacts c on c.id = b.contact_id where c.platform_user_id = 'ux-inv1' and b.session_id = ${session}`,
    );
    expect(booking!.n).toBe(1);
  });
});
