import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCounselJob, loadCounselContent, nextWorkingStart, ticketFigures, inWorkingHours } from '../../src/domain/tickets.js';
import type { OutboundMessage } from '../../src/core/messages.js';
import { findContact } from '../../src/domain/contacts.js';
import { Person } from '../../src/domain/person.js';
import { testApp, type TestApp } from '../support/app.js';
import { ADMIN, grantRole, LE_CHAN, NGO_QUYEN, outboxRows, rendered, sql$, staffApp, who } from '../support/staff.js';

/**
 * Conversations with a counsellor (#16): "Hỏi cán bộ tư vấn" opens a ticket;
 * the person's messages reach the counsellors of their ward (or the city's),
 * the first to claim it answers, on whatever channel each of them uses; the
 * counsellors see a pseudonym, never who it is.
 */
const local = (s: string) => new Date(`${s}+07:00`);
const texts = (replies: readonly { text: string }[]) => replies.map((r) => r.text).join('\n');
const values = (replies: readonly OutboundMessage[]) => replies.flatMap((r) => r.choices ?? []).map((c) => c.value);
const zalo = (id: string) => ({ channel: 'zalo' as const, userId: id, chatId: id });
const content = loadCounselContent();

/** Someone who once told the bot their ward (a subscription): a contact with a ward and a display name. */
async function resident(app: TestApp, userId: string, ward: string | null, channel = 'telegram') {
  await sql$(
    app,
    sql`insert into contacts (channel, platform_user_id, chat_id, display_name, ward_code) values (${channel}, ${userId}, ${`chat-${userId}`}, 'Nguyễn Thị Lan', ${ward})`,
  );
}

/** What someone's counselling desk answers, in a transaction as the console's pages run it. */
const asDesk = <T>(app: TestApp, userId: string, fn: (desk: Person['counsel']) => Promise<T>, channel = 'telegram') =>
  app.database.db.transaction(async (tx) => {
    const me = new Person(tx as never, { channel, userId, chatId: userId }, await findContact(tx as never, channel, userId), app.clock.now(), 'vi');
    return fn(me.counsel);
  });

const ticketOf = async (app: TestApp, userId: string) => {
  const [t] = await sql$<{
    id: number;
    pseudonym: string;
    pool: string;
    status: string;
    owner: string | null;
    flagged_at: Date | null;
    closed_by: string | null;
    rating: number | null;
    contact_id: number | null;
  }>(
    app,
    sql`select t.id, t.pseudonym, t.pool, t.status, o.platform_user_id as owner, t.flagged_at, t.closed_by, t.rating, t.contact_id
        from tickets t join contacts c on c.id = t.contact_id left join contacts o on o.id = t.owner_contact_id
        where c.platform_user_id = ${userId} order by t.id desc limit 1`,
  );
  return t!;
};
const rowsFor = async (app: TestApp, ticket: number) => outboxRows(app, `tk:${ticket}:%`);
const channelOf = async (app: TestApp, key: string) =>
  (await sql$<{ channel: string; chat_id: string }>(app, sql`select channel, chat_id from outbox where dedupe_key = ${key}`))[0];
const audits = (app: TestApp, action: string, target: string) =>
  sql$<{ actor: string | null; details: Record<string, unknown> }>(
    app,
    sql`select c.platform_user_id as actor, a.details from audit_log a left join contacts c on c.id = a.actor_contact_id where a.action = ${action} and a.target = ${target} order by a.id`,
  );

describe('until a counsellor is there', () => {
  let bare: TestApp;
  beforeAll(async () => {
    bare = await testApp();
  });
  afterAll(() => bare.close());

  it('"Hỏi cán bộ tư vấn" names the ward health station (no phone: none is verified), with 115 and 111', async () => {
    await resident(bare, 's1', LE_CHAN);
    const r = await bare.press('a:counsel', who('s1'));
    expect(texts(r)).toContain('Trạm Y tế phường Lê Chân');
    expect(texts(r)).not.toMatch(/điện thoại|\d{4} ?\d{3} ?\d{3}/);
    expect(texts(r)).toContain('115');
    expect(texts(r)).toContain('111');
    expect((await sql$(bare, sql`select id from tickets`)).length).toBe(0);
  });

  it('the loss path\'s "Nói chuyện với tư vấn viên" names the station too, and never the child line (111)', async () => {
    await resident(bare, 's2', NGO_QUYEN);
    const station = await bare.press('a:counsel:loss', who('s2'));
    expect(texts(station)).toContain('Trạm Y tế phường Ngô Quyền');
    expect(texts(station)).toContain('115');
    expect(texts(station)).not.toContain('111');
    // Ward unknown: the general words, still without 111 for a grieving mother; with it otherwise.
    expect(texts(await bare.press('a:counsel:loss', who('s3')))).not.toContain('111');
    expect(texts(await bare.press('a:counsel', who('s3')))).toContain('111');
  });
});

describe('a conversation with a counsellor', () => {
  let app: TestApp;
  const WARD_ZALO = 'cz1';
  const WARD_TG = 'ct1';
  const CITY = 'cc1';
  const OTHER_WARD = 'cn1';

  beforeAll(async () => {
    app = await staffApp(); // Monday 23/11/2026 10:00 in Hải Phòng: working hours
    await grantRole(app, WARD_ZALO, 'counsellor', [LE_CHAN], 'zalo');
    await grantRole(app, WARD_TG, 'counsellor', [LE_CHAN]);
    await grantRole(app, CITY, 'counsellor', []);
    await grantRole(app, OTHER_WARD, 'counsellor', [NGO_QUYEN]);
  });
  afterAll(() => app.close());

  it('opens with who answers, when, what to do if urgent, and that it is confidential', async () => {
    await resident(app, 'p0', LE_CHAN);
    const r = await app.press('a:counsel:srh.contraception', who('p0'));
    const t = await ticketOf(app, 'p0');
    expect(t.pool).toBe(LE_CHAN);
    expect(texts(r)).toContain('cán bộ tư vấn phụ trách Phường Lê Chân');
    expect(texts(r)).toContain(`#T${t.pseudonym}`);
    expect(texts(r)).toContain('7:30–11:30, 13:30–17:00, thứ Hai đến thứ Sáu');
    expect(texts(r)).toContain('bây giờ là giờ làm việc');
    expect(texts(r)).toContain('115');
    expect(texts(r)).toContain('111');
    expect(texts(r)).toContain('không thấy tên, số điện thoại hay tài khoản');
    expect(values(r)).toContain('f:counsel:chat:end');
    // Nobody is told before the person writes.
    expect(await rowsFor(app, t.id)).toEqual([]);
  });

  it('outside working hours: when to expect a reply (the next working morning)', async () => {
    app.clock.set(local('2026-11-28T22:00')); // Saturday night
    try {
      const r = await app.press('a:counsel', who('p-night'));
      expect(texts(r)).toContain('bây giờ ngoài giờ, bạn sẽ nhận được trả lời từ 7:30 thứ Hai 30/11');
      expect(texts(r)).toContain('cán bộ tư vấn của thành phố'); // ward unknown: the city pool
    } finally {
      app.clock.set(local('2026-11-23T10:00'));
    }
  });

  it('relays both ways across channels: a person on Telegram, their ward counsellors on Zalo and Telegram; pseudonymous', async () => {
    await resident(app, 'p1', LE_CHAN);
    await app.press('a:counsel:srh.contraception', who('p1'));
    const first = await app.say('Em muốn hỏi về thuốc tiêm tránh thai ạ', { ...who('p1'), displayName: 'Nguyễn Thị Lan' });
    expect(texts(first)).toContain('Đã gửi cho cán bộ tư vấn');
    const t = await ticketOf(app, 'p1');
    const tag = `#T${t.pseudonym}`;

    // Both counsellors of Lê Chân hear of it, each on their own channel; the city and another ward do not.
    const news = await rowsFor(app, t.id);
    const recipients = await sql$<{ uid: string; channel: string }>(
      app,
      sql`select c.platform_user_id as uid, o.channel from outbox o join contacts c on c.id = o.contact_id where o.dedupe_key like ${`tk:${t.id}:new:%`} order by 1`,
    );
    expect(recipients).toEqual([
      { uid: WARD_TG, channel: 'telegram' },
      { uid: WARD_ZALO, channel: 'zalo' },
    ]);
    const notice = rendered(app, news[0]!);
    expect(notice.text).toContain(tag);
    expect(notice.text).toContain('Phường Lê Chân');
    expect(notice.text).toContain('Kế hoạch hóa gia đình');
    expect(notice.text).toContain('Em muốn hỏi về thuốc tiêm tránh thai ạ');
    expect(notice.choices!.map((c) => c.label)).toEqual(['Nhận trả lời']);

    // The Zalo counsellor claims it first: the other one is too late.
    const claimed = await app.press(notice.choices![0]!.value, zalo(WARD_ZALO));
    expect(texts(claimed)).toContain(`Bạn đã nhận ${tag}`);
    expect(texts(claimed)).toContain('Em muốn hỏi về thuốc tiêm tránh thai ạ');
    expect(texts(await app.press(notice.choices![0]!.value, who(WARD_TG)))).toContain('đã có cán bộ khác nhận');
    expect((await ticketOf(app, 'p1')).owner).toBe(WARD_ZALO);
    expect((await audits(app, 'ticket.claim', `ticket:${t.id}`)).map((a) => a.actor)).toEqual([WARD_ZALO]);
    const told = (await rowsFor(app, t.id)).find((r) => r.dedupe_key.includes(':claim'))!;
    expect(rendered(app, told).text).toContain('Cán bộ tư vấn đã nhận câu hỏi của bạn');
    // The claim made the notice to the other counsellor moot if it had not gone yet.
    expect((await rowsFor(app, t.id)).filter((r) => r.dedupe_key.includes(':new:')).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);

    // The counsellor answers on Zalo: it goes to the person on Telegram, at once (priority 0).
    const sent = await app.say('Chào bạn, thuốc tiêm tránh thai tiêm 3 tháng một lần.', zalo(WARD_ZALO));
    expect(texts(sent)).toContain(`→ ${tag} ✓`);
    const toPerson = (await rowsFor(app, t.id)).filter((r) => r.payload.key === 'counsel.relay.toPerson');
    expect(toPerson).toHaveLength(1);
    expect(toPerson[0]!.priority).toBe(0);
    expect(await channelOf(app, toPerson[0]!.dedupe_key)).toEqual({ channel: 'telegram', chat_id: 'chat-p1' });
    expect(rendered(app, toPerson[0]!).text).toBe(`💬 Cán bộ tư vấn (${tag}):\nChào bạn, thuốc tiêm tránh thai tiêm 3 tháng một lần.`);

    // The person answers: no automatic answer from the bot; relayed to the counsellor on Zalo, at once.
    const again = await app.say('kham tien hon nhan co bat buoc ko', who('p1'));
    expect(again).toEqual([]);
    const back = (await rowsFor(app, t.id)).filter((r) => r.payload.key === 'counsel.relay.toCounsellor');
    expect(back).toHaveLength(1);
    expect(back[0]!.priority).toBe(0);
    expect(await channelOf(app, back[0]!.dedupe_key)).toEqual({ channel: 'zalo', chat_id: WARD_ZALO });
    expect(rendered(app, back[0]!).text).toContain('kham tien hon nhan co bat buoc ko');

    // Never the person's name, platform id or chat: not in what counsellors receive, nor in what they read in chat.
    const toCounsellors = (await rowsFor(app, t.id)).filter((r) => r.contact_id !== t.contact_id);
    const seen = [
      ...toCounsellors.map((r) => JSON.stringify(r.payload) + rendered(app, r).text),
      texts(claimed),
      texts(await app.say('/tuvan', zalo(WARD_ZALO))),
    ].join('\n');
    for (const secret of ['Nguyễn Thị Lan', 'Lan', 'p1', 'chat-p1']) expect(seen).not.toContain(secret);
    expect(seen).toContain(tag);
  });

  it('the other way round: a person on Zalo whose ward is unknown, the city counsellor on Telegram', async () => {
    await app.press('a:counsel', zalo('pz'));
    const t = await ticketOf(app, 'pz');
    expect(t.pool).toBe('city');
    await app.say('cho em hỏi chút', zalo('pz'));
    const [notice] = (await rowsFor(app, t.id)).filter((r) => r.dedupe_key.includes(':new:'));
    expect(notice!.contact_id).not.toBe(t.contact_id);
    expect(rendered(app, notice!).text).toContain('chưa rõ xã/phường');
    await app.press(`a:tkc:${t.id}`, who(CITY));
    await app.say('Bạn cứ hỏi nhé', who(CITY));
    const reply = (await rowsFor(app, t.id)).find((r) => r.payload.key === 'counsel.relay.toPerson')!;
    expect(await channelOf(app, reply.dedupe_key)).toEqual({ channel: 'zalo', chat_id: 'pz' });
    // On Zalo there are no buttons: the prompt says to type "kết thúc", and typing it ends the conversation.
    const ended = await app.say('kết thúc', zalo('pz'));
    expect(texts(ended)).toContain(`Đã kết thúc cuộc trò chuyện #T${t.pseudonym}`);
    expect((await ticketOf(app, 'pz')).closed_by).toBe('person');
  });

  it('a danger sign inside a ticket: the safety answer at once to the person, the ticket flagged to its counsellor', async () => {
    await resident(app, 'p2', LE_CHAN);
    await app.press('a:counsel', who('p2'));
    await app.say('em có chuyện muốn hỏi', who('p2'));
    const t = await ticketOf(app, 'p2');
    await app.press(`a:tkc:${t.id}`, who(WARD_TG));
    const r = await app.say('con em đang bị co giật', who('p2'));
    expect(texts(r)).toContain('115'); // the safety answer, first
    expect((await ticketOf(app, 'p2')).flagged_at).not.toBeNull();
    const flagged = (await rowsFor(app, t.id)).find((x) => x.payload.key === 'counsel.relay.flagged')!;
    expect(flagged.priority).toBe(0);
    expect(rendered(app, flagged).text).toContain('dấu hiệu nguy hiểm');
    expect(rendered(app, flagged).text).toContain('con em đang bị co giật');
    // Still in the conversation afterwards.
    expect(await app.say('cảm ơn', who('p2'))).toEqual([]);
    expect((await rowsFor(app, t.id)).filter((x) => x.payload.key === 'counsel.relay.toCounsellor').map((x) => rendered(app, x).text)).toEqual([
      expect.stringContaining('cảm ơn'),
    ]);
  });

  it('a counsellor\'s answer that names a danger sign is relayed as it is, with no safety answer to the counsellor', async () => {
    await resident(app, 'p2b', LE_CHAN);
    await app.press('a:counsel', who('p2b'));
    await app.say('con em hay bị sốt', who('p2b'));
    const t = await ticketOf(app, 'p2b');
    await app.press(`a:tkc:${t.id}`, who(WARD_TG));
    const r = await app.say('Nếu bé bị co giật thì gọi 115 ngay nhé', who(WARD_TG));
    expect(texts(r)).toBe(`→ #T${t.pseudonym} ✓`);
    const relayed = (await rowsFor(app, t.id)).find((x) => x.payload.key === 'counsel.relay.toPerson')!;
    expect(rendered(app, relayed).text).toContain('Nếu bé bị co giật thì gọi 115 ngay nhé');
    expect((await ticketOf(app, 'p2b')).flagged_at).toBeNull();
  });

  it('a danger sign before anyone claimed it reaches the whole pool at once, even at night', async () => {
    await resident(app, 'p3', LE_CHAN);
    await app.press('a:counsel', who('p3'));
    await app.say('em hỏi chút', who('p3'));
    const t = await ticketOf(app, 'p3');
    app.clock.set(local('2026-11-23T23:30'));
    try {
      await app.say('vợ em đang co giật', who('p3'));
    } finally {
      app.clock.set(local('2026-11-23T10:00'));
    }
    const urgent = (await rowsFor(app, t.id)).filter((x) => x.payload.key === 'counsel.relay.flagged');
    expect(urgent).toHaveLength(2);
    for (const u of urgent) {
      expect(u.priority).toBe(0);
      expect(u.due_at.toISOString()).toBe(local('2026-11-23T23:30').toISOString()); // not moved to 07:00
    }
  });

  it("the global commands still run inside a ticket: /menu shows the menu; a counsellor's reply brings the person back", async () => {
    await resident(app, 'p4', LE_CHAN);
    await app.press('a:counsel', who('p4'));
    await app.say('câu hỏi đầu tiên', who('p4'));
    const t = await ticketOf(app, 'p4');
    const menu = await app.say('/menu', who('p4'));
    expect(values(menu)).toContain('a:ask');
    // Left the conversation: the bot answers again.
    expect(texts(await app.say('kham tien hon nhan co bat buoc ko', who('p4')))).toContain('Không bắt buộc');
    await app.press(`a:tkc:${t.id}`, who(WARD_TG));
    await app.say('Mình trả lời bạn đây', who(WARD_TG));
    // The answer puts them back in the conversation: what they type next goes to the counsellor.
    expect(await app.say('kham tien hon nhan co bat buoc ko', who('p4'))).toEqual([]);
    expect((await rowsFor(app, t.id)).filter((x) => x.payload.key === 'counsel.relay.toCounsellor')).toHaveLength(1);
  });

  it('"Kết thúc" by the person closes it (audited), the counsellor is told, and 👍 / 👎 once', async () => {
    await resident(app, 'p5', LE_CHAN);
    await app.press('a:counsel', who('p5'));
    await app.say('xin chào cán bộ', who('p5'));
    const t = await ticketOf(app, 'p5');
    await app.press(`a:tkc:${t.id}`, who(WARD_TG));
    const ended = await app.press('f:counsel:chat:end', who('p5'));
    expect(texts(ended)).toContain('Cuộc trò chuyện có giúp ích cho bạn không?');
    expect(values(ended)).toEqual([`a:tkv:${t.id}-u`, `a:tkv:${t.id}-d`]);
    expect((await ticketOf(app, 'p5')).status).toBe('closed');
    expect((await audits(app, 'ticket.close', `ticket:${t.id}`)).map((a) => a.details.by)).toEqual(['person']);
    const told = (await rowsFor(app, t.id)).find((x) => x.payload.key === 'counsel.closed.person')!;
    expect(rendered(app, told).text).toContain('người hỏi đã kết thúc');
    expect(texts(await app.press(`a:tkv:${t.id}-u`, who('p5')))).toContain('Cảm ơn');
    expect(texts(await app.press(`a:tkv:${t.id}-d`, who('p5')))).toContain('đã kết thúc'); // once
    expect((await ticketOf(app, 'p5')).rating).toBe(1);
    // Someone else cannot rate it.
    expect(texts(await app.press(`a:tkv:${t.id}-d`, who('p6')))).toContain('đã kết thúc');
    // After it closed, the bot answers again.
    expect(texts(await app.say('kham tien hon nhan co bat buoc ko', who('p5')))).toContain('Không bắt buộc');
  });

  it('"Kết thúc" by the counsellor: the person is told and asked to rate; the counsellor\'s next message goes nowhere', async () => {
    await resident(app, 'p7', LE_CHAN);
    await app.press('a:counsel', who('p7'));
    await app.say('một câu hỏi', who('p7'));
    const t = await ticketOf(app, 'p7');
    await app.press(`a:tkc:${t.id}`, who(WARD_TG));
    const ended = await app.press('f:counsel-desk:reply:end', who(WARD_TG));
    expect(texts(ended)).toContain(`Đã kết thúc #T${t.pseudonym}`);
    const told = (await rowsFor(app, t.id)).find((x) => x.payload.key === 'counsel.closed.toPerson')!;
    expect(rendered(app, told).choices!.map((c) => c.label)).toEqual(['👍 Có ích', '👎 Chưa ích']);
    expect((await audits(app, 'ticket.close', `ticket:${t.id}`)).map((a) => [a.actor, a.details.by])).toEqual([[WARD_TG, 'counsellor']]);
    // Out of the conversation: a counsellor's typing is no longer relayed.
    expect(texts(await app.say('xin chào', who(WARD_TG)))).not.toContain('✓');
  });

  it('transfer: only the owner (or an administrator), to a counsellor who may answer it; audited; the new owner answers', async () => {
    await resident(app, 'p8', LE_CHAN);
    await app.press('a:counsel', who('p8'));
    await app.say('cần tư vấn', who('p8'));
    const t = await ticketOf(app, 'p8');
    await app.press(`a:tkc:${t.id}`, who(WARD_TG));
    // Someone who does not own it may not hand it on.
    expect(texts(await app.press(`a:tkt:${t.id}`, zalo(WARD_ZALO)))).toContain('Chuyển');
    expect(texts(await app.press(`f:counsel-desk:transfer:pool`, zalo(WARD_ZALO)))).toContain('nhận cuộc trò chuyện này trước');
    // The owner: the ward's other counsellor and the city's are offered, not another ward's.
    const ask = await app.press('f:counsel-desk:reply:transfer', who(WARD_TG));
    const labels = ask.at(-1)!.choices!.map((c) => c.label);
    expect(labels).toContain('Trả lại nhóm tư vấn');
    const [zaloId] = await sql$<{ id: number }>(app, sql`select id from contacts where platform_user_id = ${WARD_ZALO}`);
    const [otherId] = await sql$<{ id: number }>(app, sql`select id from contacts where platform_user_id = ${OTHER_WARD}`);
    const offered = ask.at(-1)!.choices!.map((c) => c.value);
    expect(offered).toContain(`f:counsel-desk:transfer:${zaloId!.id}`);
    expect(offered).not.toContain(`f:counsel-desk:transfer:${otherId!.id}`);
    expect(texts(await app.press(`f:counsel-desk:transfer:${zaloId!.id}`, who(WARD_TG)))).toContain(`Đã chuyển #T${t.pseudonym}`);
    expect((await ticketOf(app, 'p8')).owner).toBe(WARD_ZALO);
    expect((await audits(app, 'ticket.transfer', `ticket:${t.id}`)).map((a) => a.actor)).toEqual([WARD_TG]);
    const notice = (await rowsFor(app, t.id)).find((x) => x.payload.key === 'counsel.notice.transferred')!;
    expect(await channelOf(app, notice.dedupe_key)).toEqual({ channel: 'zalo', chat_id: WARD_ZALO });
    // The old owner can no longer answer; the new one can.
    expect(texts(await app.press(`a:tkr:${t.id}`, who(WARD_TG)))).toContain('đã có cán bộ khác nhận');
    await app.press(`a:tkr:${t.id}`, zalo(WARD_ZALO));
    expect(texts(await app.say('Mình tiếp nhận nhé', zalo(WARD_ZALO)))).toContain('✓');
  });

  it("the transcript is the owner's: another counsellor of the ward gets the ticket without its lines, an administrator with them", async () => {
    await resident(app, 'p8b', LE_CHAN);
    await app.press('a:counsel', who('p8b'));
    await app.say('em cần hỏi riêng', who('p8b'));
    const t = await ticketOf(app, 'p8b');
    const read = (uid: string, channel = 'telegram') => asDesk(app, uid, (desk) => desk.transcript(t.id), channel);
    // Waiting: any counsellor who may claim it reads what was asked.
    const waiting = await read(WARD_ZALO, 'zalo');
    expect('lines' in waiting && waiting.lines?.map((l) => l.text)).toEqual(['em cần hỏi riêng']);
    await app.press(`a:tkc:${t.id}`, who(WARD_TG));
    const owner = await read(WARD_TG);
    expect('lines' in owner && owner.lines?.length).toBe(1);
    const colleague = await read(WARD_ZALO, 'zalo');
    expect('lines' in colleague && colleague.lines).toBeNull();
    const admin = await read(ADMIN);
    expect('lines' in admin && admin.lines?.length).toBe(1);
  });

  it('a counsellor of another ward may not claim it (refused, audited); the city counsellors and the administrators may', async () => {
    await resident(app, 'p9', LE_CHAN);
    await app.press('a:counsel', who('p9'));
    await app.say('hỏi', who('p9'));
    const t = await ticketOf(app, 'p9');
    expect(texts(await app.press(`a:tkc:${t.id}`, who(OTHER_WARD)))).toContain('xã/phường mình phụ trách');
    const denied = await sql$<{ details: Record<string, unknown> }>(
      app,
      sql`select details from audit_log where action = 'staff.denied' and target = ${`ticket:${t.id}`}`,
    );
    expect(denied.map((d) => d.details.reason)).toEqual(['outside-ward']);
    // Someone with no role at all.
    expect(texts(await app.press(`a:tkc:${t.id}`, who('nobody')))).toContain('chỉ dành cho cán bộ');
    expect(texts(await app.press(`a:tkc:${t.id}`, who(CITY)))).toContain(`Bạn đã nhận #T${t.pseudonym}`);
  });

  it("/tuvan lists a counsellor's conversations and those waiting; for anyone else it opens a conversation", async () => {
    await resident(app, 'p10', NGO_QUYEN);
    await app.press('a:counsel', who('p10'));
    await app.say('hỏi về sức khỏe', who('p10'));
    const t = await ticketOf(app, 'p10');
    const list = await app.say('/tuvan', who(OTHER_WARD));
    expect(values(list)).toContain(`a:tkc:${t.id}`);
    await app.press(`a:tkc:${t.id}`, who(OTHER_WARD));
    const mine = await app.say('/tuvan', who(OTHER_WARD));
    expect(values(mine)).toContain(`a:tkr:${t.id}`);
    expect(texts(mine)).toContain('đang phụ trách: 1');
    // Lê Chân's counsellors do not see Ngô Quyền's waiting conversations.
    expect(values(await app.say('/tuvan', who(WARD_TG)))).not.toContain(`a:tkc:${t.id}`);
    // A person: put through to a counsellor.
    expect(texts(await app.say('/tuvan', who('p11')))).toContain('Mình đã mở cuộc trò chuyện');
  });

  it('"dừng" closes the open ticket (with everything else); its counsellor is told', async () => {
    await resident(app, 'p12', LE_CHAN);
    await app.press('a:counsel', who('p12'));
    await app.say('hỏi', who('p12'));
    const t = await ticketOf(app, 'p12');
    await app.press(`a:tkc:${t.id}`, who(WARD_TG));
    await app.say('dừng', who('p12'));
    await app.press('f:stop:confirm:yes', who('p12'));
    expect((await ticketOf(app, 'p12')).closed_by).toBe('stop');
    const told = (await rowsFor(app, t.id)).find((x) => x.payload.key === 'counsel.closed.stop');
    expect(told).toBeDefined();
  });

  it('someone who stopped every message is told to resume first: the answers could not reach them', async () => {
    await resident(app, 'p12b', LE_CHAN);
    await sql$(app, sql`update contacts set opted_out_at = now() where platform_user_id = 'p12b'`);
    const r = await app.press('a:counsel', who('p12b'));
    expect(texts(r)).toContain('/batlai');
    expect(await sql$(app, sql`select t.id from tickets t join contacts c on c.id = t.contact_id where c.platform_user_id = 'p12b'`)).toEqual([]);
  });

  it("/xoa erases the ticket's messages and every relayed copy; the anonymous row stays for the figures", async () => {
    await resident(app, 'p13', LE_CHAN);
    await app.press('a:counsel', who('p13'));
    await app.say('một bí mật rất riêng tư', who('p13'));
    const t = await ticketOf(app, 'p13');
    await app.press(`a:tkc:${t.id}`, who(WARD_TG));
    await app.say('Mình đã đọc', who(WARD_TG));
    await app.say('/xoa', who('p13'));
    await app.press('f:delete:confirm:yes', who('p13'));
    expect(await sql$(app, sql`select id from ticket_messages where ticket_id = ${t.id}`)).toEqual([]);
    const left = await rowsFor(app, t.id);
    expect(left.map((r) => r.payload.key)).toEqual(['counsel.closed.erase']);
    expect(JSON.stringify(left)).not.toContain('bí mật');
    const [row] = await sql$<{ contact_id: number | null; status: string; closed_by: string; first_response_at: Date | null }>(
      app,
      sql`select contact_id, status, closed_by, first_response_at from tickets where id = ${t.id}`,
    );
    expect(row).toMatchObject({ contact_id: null, status: 'closed', closed_by: 'erase' });
    expect(row!.first_response_at).not.toBeNull();
  });

  it('a relayed "$t(" stays as typed and the message keeps its words', async () => {
    await resident(app, 'p14', LE_CHAN);
    await app.press('a:counsel', who('p14'));
    await app.say('thử $t(welcome.intro) {{tag}}', who('p14'));
    const t = await ticketOf(app, 'p14');
    const notice = (await rowsFor(app, t.id)).find((x) => x.dedupe_key.includes(':new:'))!;
    const text = rendered(app, notice).text;
    expect(text).toContain(`#T${t.pseudonym} · Phường Lê Chân · Câu hỏi chung`);
    expect(text.replace(/\u2060/g, '')).toContain('thử $t(welcome.intro) {{tag}}');
  });
});

describe('waiting unclaimed: the administrators are alerted (travelling clock)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await staffApp();
    await grantRole(app, 'cw', 'counsellor', [LE_CHAN]);
  });
  afterAll(() => app.close());

  const alerts = async (ticket: number) => (await rowsFor(app, ticket)).filter((r) => r.dedupe_key.includes(':alert:'));

  it(`after ${content.unclaimedAlertMinutes} minutes of working time; once; with buttons to take it or hand it on`, async () => {
    await resident(app, 'u1', LE_CHAN);
    await app.press('a:counsel', who('u1'));
    await app.say('có ai không ạ', who('u1')); // Monday 10:00
    const t = await ticketOf(app, 'u1');
    const job = (at: string) => app.database.db.transaction((tx) => runCounselJob(tx, local(at), content));
    expect((await job('2026-11-23T10:29')).alerted).toEqual([]);
    expect(await alerts(t.id)).toEqual([]);
    expect((await job('2026-11-23T10:30')).alerted).toEqual([`#T${t.pseudonym}`]);
    const [alert] = await alerts(t.id);
    const [admin] = await sql$<{ id: number }>(app, sql`select id from contacts where platform_user_id = ${ADMIN}`);
    expect(alert!.contact_id).toBe(admin!.id);
    const shown = rendered(app, alert!);
    expect(shown.text).toContain('đã chờ 30 phút');
    expect(shown.choices!.map((c) => c.value)).toEqual([`a:tkc:${t.id}`, `a:tkt:${t.id}`]);
    expect((await job('2026-11-23T11:30')).alerted).toEqual([]);
    // The administrator takes it over.
    expect(texts(await app.press(`a:tkc:${t.id}`, who(ADMIN)))).toContain(`Bạn đã nhận #T${t.pseudonym}`);
  });

  it('asked on Saturday night: counted from Monday 7:30, so the alert comes at 8:00', async () => {
    app.clock.set(local('2026-11-28T22:00'));
    await resident(app, 'u2', LE_CHAN);
    await app.press('a:counsel', who('u2'));
    await app.say('em cần giúp', who('u2'));
    app.clock.set(local('2026-11-23T10:00'));
    const t = await ticketOf(app, 'u2');
    const job = (at: string) => app.database.db.transaction((tx) => runCounselJob(tx, local(at), content));
    expect(nextWorkingStart(content.hours, local('2026-11-28T22:00')).toISOString()).toBe(local('2026-11-30T07:30').toISOString());
    expect((await job('2026-11-29T12:00')).alerted).toEqual([]);
    expect((await job('2026-11-30T07:59')).alerted).toEqual([]);
    expect((await job('2026-11-30T08:00')).alerted).toEqual([`#T${t.pseudonym}`]);
  });

  it('a claimed ticket is never alerted; one opened without a word closes after a day', async () => {
    await resident(app, 'u3', LE_CHAN);
    await app.press('a:counsel', who('u3'));
    await app.say('hỏi', who('u3'));
    const t = await ticketOf(app, 'u3');
    await app.press(`a:tkc:${t.id}`, who('cw'));
    await resident(app, 'u4', LE_CHAN);
    await app.press('a:counsel', who('u4'));
    const job = (at: string) => app.database.db.transaction((tx) => runCounselJob(tx, local(at), content));
    const r = await job('2026-11-24T10:01');
    expect(r.alerted).toEqual([]);
    expect(r.closedEmpty).toBe(1);
    expect((await ticketOf(app, 'u4')).closed_by).toBe('empty');
  });

  it('working hours: the periods and days of content/counsel.yaml', () => {
    expect(inWorkingHours(content.hours, local('2026-11-23T07:29'))).toBe(false);
    expect(inWorkingHours(content.hours, local('2026-11-23T07:30'))).toBe(true);
    expect(inWorkingHours(content.hours, local('2026-11-23T12:00'))).toBe(false);
    expect(nextWorkingStart(content.hours, local('2026-11-23T12:00')).toISOString()).toBe(local('2026-11-23T13:30').toISOString());
    expect(inWorkingHours(content.hours, local('2026-11-29T09:00'))).toBe(false); // Sunday
  });

  it('a day off on a weekday (New Year, Tết) is closed: a message on New Year\'s Eve evening is answered on Monday 4 January', () => {
    expect(content.hours.closed).toContain('2027-01-01');
    expect(inWorkingHours(content.hours, local('2027-01-01T09:00'))).toBe(false); // a Friday
    expect(nextWorkingStart(content.hours, local('2026-12-31T18:00')).toISOString()).toBe(local('2027-01-04T07:30').toISOString());
    // A Tết week the department adds: the next working morning is after it.
    const tet = { ...content.hours, closed: ['2027-02-05', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11', '2027-02-12'] };
    expect(nextWorkingStart(tet, local('2027-02-04T18:00')).toISOString()).toBe(local('2027-02-15T07:30').toISOString());
  });
});

describe('figures for the console: opened, answered, median first response, by ward and month', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await staffApp();
    await grantRole(app, 'cf', 'counsellor', [LE_CHAN]);
    await grantRole(app, 'cg', 'counsellor', []);
  });
  afterAll(() => app.close());

  async function conversation(userId: string, ward: string | null, answerAfterMinutes: number | null) {
    await resident(app, userId, ward);
    await app.press('a:counsel', who(userId));
    await app.say('câu hỏi', who(userId));
    if (answerAfterMinutes === null) return;
    const t = await ticketOf(app, userId);
    const answerer = t.pool === 'city' ? 'cg' : 'cf';
    app.clock.advance(answerAfterMinutes * 60_000);
    await app.press(`a:tkc:${t.id}`, who(answerer));
    await app.say('trả lời', who(answerer));
    app.clock.advance(-answerAfterMinutes * 60_000);
  }

  it('counts each ward and the city; the median of the answered ones; an erased person still counts', async () => {
    await conversation('f1', LE_CHAN, 10);
    await conversation('f2', LE_CHAN, 30);
    await conversation('f3', LE_CHAN, null);
    await conversation('f4', null, 60);
    await app.say('/xoa', who('f1'));
    await app.press('f:delete:confirm:yes', who('f1'));
    const figures = await ticketFigures(app.database.db, { from: local('2026-01-01T00:00'), to: local('2027-01-01T00:00') });
    const nov = figures.filter((f) => f.month === '2026-11');
    expect(nov.find((f) => f.wardCode === LE_CHAN && !f.city)).toMatchObject({ opened: 3, answered: 2, medianFirstResponseMinutes: 20 });
    expect(nov.find((f) => f.wardCode === null && !f.city)).toMatchObject({ opened: 1, answered: 1, medianFirstResponseMinutes: 60 });
    expect(nov.find((f) => f.city)).toMatchObject({ opened: 4, answered: 3, medianFirstResponseMinutes: 30 });
  });

  it('through the desk: whoever may read the indicators; a counsellor may not', async () => {
    const admin = {
      admin: await asDesk(app, ADMIN, (desk) => desk.figures(2026)),
      counsellor: await asDesk(app, 'cf', (desk) => desk.figures(2026)),
    };
    expect(Array.isArray(admin.admin)).toBe(true);
    expect(Array.isArray(admin.counsellor)).toBe(false);
  });
});
