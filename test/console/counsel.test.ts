import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { ADMIN, createSessionInChat, grantRole, LE_CHAN, NGO_QUYEN, outboxRows, rendered, sql$, staffApp, who } from '../support/staff.js';
import { askCounsellor, audits, type Browserless, signIn } from './support.js';

/**
 * The console catches up with #16: counsellors answer on the web (the list,
 * a conversation, claim, reply, transfer, close: the chat's domain, its
 * checks, its audit, its relay by the outbox), never seeing who the person
 * is; and the counselling figures by ward and month.
 */
let app: TestApp;
const CNS = '7801'; // a counsellor of Lê Chân
const CNS2 = '7802'; // another of Lê Chân
const CNS_NQ = '7803'; // a counsellor of Ngô Quyền
const STAFF_NQ = '7804'; // station staff of Ngô Quyền
const STAFF_LC = '7805'; // station staff of Lê Chân
const PERSON = 'person-lan';
const QUESTION = 'Em muốn hỏi về thuốc tiêm tránh thai ạ';
const users = {} as Record<'cns' | 'cns2' | 'cnsNq' | 'staffNq' | 'staffLc' | 'admin', Browserless>;
let ticket: { id: number; tag: string; contactId: number };
/** Every page a counsellor was shown (in this test), to check that the person is nowhere in them. */
let shownToCounsellors: string[] = [];

const minutes = (n: number) => app.clock.set(new Date(app.clock.now().getTime() + n * 60_000));
async function seen(c: Browserless, path: string, status = 200): Promise<string> {
  const html = await c.page(path, status);
  shownToCounsellors.push(html);
  return html;
}
async function posted(res: Response): Promise<string> {
  const html = await res.clone().text();
  shownToCounsellors.push(html);
  return html;
}

/**
 * A new app (`app`) and everyone in it: the counsellors and stations signed in, and the
 * person's conversation (`ticket`) just opened, waiting unclaimed; nothing shown yet.
 */
async function setUp(): Promise<void> {
  app = await staffApp(); // Monday 23/11/2026 10:00, working hours
  shownToCounsellors = [];
  await grantRole(app, CNS, 'counsellor', [LE_CHAN]);
  await grantRole(app, CNS2, 'counsellor', [LE_CHAN]);
  await grantRole(app, CNS_NQ, 'counsellor', [NGO_QUYEN]);
  await grantRole(app, STAFF_NQ, 'staff', [NGO_QUYEN]);
  await grantRole(app, STAFF_LC, 'staff', [LE_CHAN]);
  await sql$(app, sql`update contacts set display_name = 'Chị Hạnh (tư vấn)' where platform_user_id = ${CNS2}`);
  ticket = await askCounsellor(app, PERSON, LE_CHAN, QUESTION);
  // The person once booked with their phone: it is in the database, and must stay off the counsellor's pages.
  const session = await createSessionInChat(app, STAFF_LC, { when: '10/12 7h30' });
  await sql$(app, sql`insert into bookings (session_id, contact_id, phone, status, created_at) values (${session}, ${ticket.contactId}, '+84912345678', 'booked', now())`);
  users.cns = await signIn(app, CNS);
  users.cns2 = await signIn(app, CNS2);
  users.cnsNq = await signIn(app, CNS_NQ);
  users.staffNq = await signIn(app, STAFF_NQ);
  users.staffLc = await signIn(app, STAFF_LC);
  users.admin = await signIn(app, ADMIN);
}

/** The counsellor takes the conversation on the web and answers it once. */
async function claimedAndAnswered(): Promise<void> {
  const claim = await users.cns.post(`/staff/counsel/${ticket.id}/claim`);
  expect(claim.status).toBe(303);
  await seen(users.cns, claim.headers.get('location')!);
  const sent = await users.cns.post(`/staff/counsel/${ticket.id}/reply`, { text: 'Chào bạn, thuốc tiêm tránh thai tiêm 3 tháng một lần.' });
  expect(sent.status).toBe(303);
  await seen(users.cns, sent.headers.get('location')!);
}

// The conversation's steps, in the order a counsellor meets them. Each test below runs on an app of
// its own (`setUp`), first bringing the conversation to where its step starts; the last runs them all.

async function signsIn(): Promise<void> {
  expect((await audits(app, 'console.signin')).filter((a) => a.actor === CNS).map((a) => a.details?.role)).toEqual(['counsellor']);
  const home = await seen(users.cns, '/staff');
  expect(home).toContain('Bạn đang phụ trách 0 cuộc trò chuyện; 1 cuộc đang chờ cán bộ nhận.');
  expect(home).toContain('Cán bộ tư vấn · Phường Lê Chân');
  expect(home).toContain('href="/staff/counsel"');
  for (const href of ['/staff/sessions', '/staff/indicators', '/staff/denominators', '/staff/broadcasts', '/staff/counsel/figures', '/staff/roles']) expect(home, href).not.toContain(`href="${href}"`);
  // What is not theirs is refused kindly (and the figures are the stations': a counsellor does not read them).
  for (const path of ['/staff/sessions', '/staff/indicators', '/staff/counsel/figures', '/staff/counsel/figures.csv']) {
    const res = await users.cns.get(path);
    expect(res.status, path).toBe(403);
    expect(await res.text()).toContain('Bạn không có quyền xem trang này.');
  }
  // And the stations do not get the counsellors' list.
  expect((await users.staffLc.get('/staff/counsel')).status).toBe(403);
  expect(await users.staffLc.page('/staff')).not.toContain('href="/staff/counsel"');
}

async function lists(): Promise<void> {
  minutes(12);
  const list = await seen(users.cns, '/staff/counsel');
  expect(list).toContain(`<a href="/staff/counsel/${ticket.id}">${ticket.tag}</a>`);
  const row = list.slice(list.indexOf(`data-ticket="${ticket.id}"`), list.indexOf('</tr>', list.indexOf(`data-ticket="${ticket.id}"`)));
  expect(row).toContain('Phường Lê Chân');
  expect(row).toContain('Kế hoạch hóa gia đình, sức khỏe sinh sản');
  expect(row).toContain('12 phút');
  expect(row).toContain('Chờ cán bộ nhận');
  // Ngô Quyền's counsellor does not see Lê Chân's.
  expect(await seen(users.cnsNq, '/staff/counsel')).not.toContain(ticket.tag);
}

async function claimsAndAnswers(): Promise<void> {
  const before = await seen(users.cns, `/staff/counsel/${ticket.id}`);
  expect(before).toContain(QUESTION);
  expect(before).toContain(`action="/staff/counsel/${ticket.id}/claim"`);
  expect(before).not.toContain('name="text"');

  const claim = await users.cns.post(`/staff/counsel/${ticket.id}/claim`);
  expect(claim.status).toBe(303);
  expect(await seen(users.cns, claim.headers.get('location')!)).toContain('Bạn đã nhận cuộc trò chuyện');
  expect((await audits(app, 'ticket.claim')).map((a) => [a.actor, a.target])).toEqual([[CNS, `ticket:${ticket.id}`]]);
  const told = (await outboxRows(app, `tk:${ticket.id}:claim%`))[0]!;
  expect(rendered(app, told).text).toContain('Cán bộ tư vấn đã nhận câu hỏi của bạn');

  const answer = 'Chào bạn, thuốc tiêm tránh thai tiêm 3 tháng một lần.\nBạn cần gì thêm không?';
  const sent = await users.cns.post(`/staff/counsel/${ticket.id}/reply`, { text: `  ${answer}\r\n` });
  expect(sent.status).toBe(303);
  const page = await seen(users.cns, sent.headers.get('location')!);
  expect(page).toContain('Đã gửi tới người hỏi.');
  expect(page).toContain('Bạn cần gì thêm không?');
  const [m] = await sql$<{ id: number; sender: string; text: string }>(app, sql`select id, sender, text from ticket_messages where ticket_id = ${ticket.id} and sender = 'counsellor'`);
  expect(m!.text).toBe(answer);
  const relay = (await outboxRows(app, `tk:${ticket.id}:m${m!.id}:${ticket.contactId}`))[0]!;
  expect(relay).toMatchObject({ status: 'pending', priority: 0 });
  expect(relay.payload.key).toBe('counsel.relay.toPerson');
  expect(rendered(app, relay).text).toBe(`💬 Cán bộ tư vấn (${ticket.tag}):\n${answer}`);
  const [to] = await sql$<{ channel: string; chat_id: string }>(app, sql`select channel, chat_id from outbox where dedupe_key = ${relay.dedupe_key}`);
  expect(to).toEqual({ channel: 'telegram', chat_id: `chat-${PERSON}` });

  // The person writes back in chat: on the page, and counted as waiting in the list.
  expect(await app.say('Dạ em cảm ơn, tiêm ở trạm được không ạ?', who(PERSON))).toEqual([]);
  minutes(3);
  expect(await seen(users.cns, `/staff/counsel/${ticket.id}`)).toContain('tiêm ở trạm được không ạ?');
  const list = await seen(users.cns, '/staff/counsel');
  expect(list).toContain('Bạn phụ trách · 1 tin chưa trả lời');
  expect(list).toContain('3 phút');
}

async function badReplies(): Promise<void> {
  const count = async () => (await sql$<{ n: number }>(app, sql`select count(*)::int as n from ticket_messages where ticket_id = ${ticket.id}`))[0]!.n;
  const n = await count();
  const empty = await users.cns.post(`/staff/counsel/${ticket.id}/reply`, { text: '   ' });
  expect(empty.status).toBe(422);
  expect(await posted(empty)).toContain('Bạn gõ nội dung trả lời rồi bấm Gửi nhé.');
  const long = 'Nội dung rất dài. '.repeat(60);
  const tooLong = await users.cns.post(`/staff/counsel/${ticket.id}/reply`, { text: long });
  expect(tooLong.status).toBe(422);
  const kept = await posted(tooLong);
  expect(kept).toContain('Tin trả lời dài quá 1000 ký tự');
  expect(kept).toContain(long.trim());
  expect(kept).not.toMatch(/Error|at .*\.ts:\d+/);
  const forged = await users.cns.post(`/staff/counsel/${ticket.id}/reply`, { text: 'giả mạo' }, { csrf: null });
  expect(forged.status).toBe(403);
  const crossSite = await users.cns.post(`/staff/counsel/${ticket.id}/reply`, { text: 'giả mạo' }, { origin: 'https://evil.example' });
  expect(crossSite.status).toBe(403);
  expect(await count()).toBe(n);
  expect((await audits(app, 'console.csrf.refused')).at(-1)).toMatchObject({ actor: CNS, target: `/staff/counsel/${ticket.id}/reply` });
}

async function otherWard(): Promise<void> {
  const page = await users.cnsNq.get(`/staff/counsel/${ticket.id}`);
  expect(page.status).toBe(403);
  const text = await posted(page);
  expect(text).toContain('Bạn chỉ làm được việc này ở xã/phường mình phụ trách.');
  expect(text).not.toContain(QUESTION);
  expect((await users.cnsNq.post(`/staff/counsel/${ticket.id}/claim`, {}, { csrf: users.cnsNq.csrf })).status).toBe(403);
  const refusals = (await audits(app, 'staff.denied')).filter((a) => a.actor === CNS_NQ && a.target === `ticket:${ticket.id}`);
  expect(refusals.map((a) => a.details)).toEqual([
    { action: 'counsel.answer', reason: 'outside-ward', wardCode: LE_CHAN },
    { action: 'counsel.answer', reason: 'outside-ward', wardCode: LE_CHAN },
  ]);
  expect((await users.cns.get('/staff/counsel/99999')).status).toBe(404);
}

async function handsOver(): Promise<void> {
  const page = await seen(users.cns, `/staff/counsel/${ticket.id}`);
  const cns2Id = (await sql$<{ id: number }>(app, sql`select id from contacts where platform_user_id = ${CNS2}`))[0]!.id;
  expect(page).toContain(`<option value="${cns2Id}">Chị Hạnh (tư vấn)</option>`);
  expect(page).toContain('<option value="pool">Trả lại nhóm tư vấn</option>');
  expect((await users.cns.post(`/staff/counsel/${ticket.id}/transfer`, { to: 'nobody' })).status).toBe(422);
  const moved = await users.cns.post(`/staff/counsel/${ticket.id}/transfer`, { to: String(cns2Id) });
  expect(moved.status).toBe(303);
  expect((await audits(app, 'ticket.transfer')).at(-1)).toMatchObject({ actor: CNS, target: `ticket:${ticket.id}`, details: { tag: ticket.tag, to: cns2Id } });

  // Now a colleague's: its messages are theirs, and the first counsellor can no longer answer.
  const theirs = await seen(users.cns, `/staff/counsel/${ticket.id}`);
  expect(theirs).toContain('Một cán bộ tư vấn khác đang phụ trách cuộc trò chuyện này.');
  expect(theirs).not.toContain(QUESTION);
  const late = await users.cns.post(`/staff/counsel/${ticket.id}/reply`, { text: 'Mình bổ sung' });
  expect(late.status).toBe(409);
  expect(await posted(late)).toContain('Cuộc trò chuyện này đã có cán bộ khác nhận.');

  await seen(users.cns2, `/staff/counsel/${ticket.id}`);
  const released = await users.cns2.post(`/staff/counsel/${ticket.id}/transfer`, { to: 'pool' });
  expect(released.status).toBe(303);
  expect(await seen(users.cns2, released.headers.get('location')!)).toContain('Đã trả cuộc trò chuyện lại nhóm tư vấn.');
  expect((await audits(app, 'ticket.transfer')).at(-1)).toMatchObject({ actor: CNS2, details: { to: 'pool' } });
  expect((await users.cns2.post(`/staff/counsel/${ticket.id}/claim`)).status).toBe(303);

  const closed = await users.cns2.post(`/staff/counsel/${ticket.id}/close`);
  expect(closed.status).toBe(303);
  const after = await seen(users.cns2, closed.headers.get('location')!);
  expect(after).toContain('Đã kết thúc cuộc trò chuyện');
  expect(after).not.toContain('name="text"');
  expect((await audits(app, 'ticket.close')).at(-1)).toMatchObject({ actor: CNS2, target: `ticket:${ticket.id}`, details: { by: 'counsellor' } });
  const rate = (await outboxRows(app, `tk:${ticket.id}:closed:${ticket.contactId}`))[0]!;
  expect(rendered(app, rate).choices!.map((c) => c.label)).toEqual(['👍 Có ích', '👎 Chưa ích']);
  const again = await users.cns2.post(`/staff/counsel/${ticket.id}/close`);
  expect(again.status).toBe(409);
  expect(await posted(again)).toContain('Cuộc trò chuyện này đã kết thúc.');
}

describe('counsellors on the web', () => {
  beforeEach(setUp);
  afterEach(() => app.close());

  it('a counsellor signs in with /web and meets their conversations, not the stations’ pages', signsIn);

  it('lists conversations by pseudonym, ward, topic and how long the person has waited', lists);

  it('claims, answers (relayed to the person by the outbox, as a chat answer is), and reads the person’s next message', claimsAndAnswers);

  it('says kindly what is wrong with a reply (empty, too long, an old form), and sends nothing', async () => {
    await claimedAndAnswered();
    await badReplies();
  });

  it('another ward’s counsellor is refused the conversation, each refusal audited', otherWard);

  it('hands a conversation to a colleague or back to the pool, and closes it; the person is asked to rate it', async () => {
    await claimedAndAnswered();
    await handsOver();
  });

  it('never shows a counsellor the person’s name, account, chat or phone, on any page', async () => {
    // Every page of the whole conversation, from the first to the last step.
    for (const step of [signsIn, lists, claimsAndAnswers, badReplies, otherWard, handsOver]) await step();
    expect(shownToCounsellors.length).toBeGreaterThan(15);
    const all = shownToCounsellors.join('\n');
    expect(all).toContain(ticket.tag);
    for (const secret of ['Nguyễn Thị Lan', PERSON, `chat-${PERSON}`, '+84912345678', '0912 345 678', '912345678']) expect(all).not.toContain(secret);
  });
});

/** A figure in one of the page's tables: its row (data-row) and column (data-col). */
function cellOf(page: string, table: string, row: string, col: string): string | undefined {
  const from = page.indexOf(`id="${table}"`);
  const at = page.indexOf(`data-row="${row}"`, from);
  if (from < 0 || at < 0) return undefined;
  return new RegExp(`data-col="${col}">([^<]*)<`).exec(page.slice(at, page.indexOf('</tr>', at)))?.[1];
}

describe('the counselling figures', () => {
  // The figures read the whole city's conversations: an app of their own, made once (these tests only read it).
  beforeAll(async () => {
    await setUp();
    // The person's conversation: taken and answered on the web after 12 minutes, then closed.
    minutes(12);
    await claimedAndAnswered();
    const closed = await users.cns.post(`/staff/counsel/${ticket.id}/close`);
    expect(closed.status).toBe(303);
    // Two more conversations in Lê Chân this month (one answered after 30 minutes), one in Ngô Quyền.
    await askCounsellor(app, 'fig-1', LE_CHAN, 'câu hỏi một');
    const answered = await askCounsellor(app, 'fig-2', LE_CHAN, 'câu hỏi hai');
    await askCounsellor(app, 'fig-3', NGO_QUYEN, 'câu hỏi ba');
    await app.press(`a:tkc:${answered.id}`, who(CNS));
    minutes(30);
    await app.say('Mình trả lời bạn đây', who(CNS));
  });
  afterAll(() => app.close());

  it('by month and ward, against no target: the administrator sees every count', async () => {
    const page = await users.admin.page(`/staff/counsel/figures?year=2026&ward=${LE_CHAN}`);
    expect(page).toContain('Thành phố chưa giao chỉ tiêu cho việc này');
    expect(page).not.toContain('Chỉ tiêu thành phố');
    const nov = (table: string, row: string, col: string) => cellOf(page, table, row, col);
    expect(nov('counsel-months', `${LE_CHAN}|2026-11`, 'opened')).toBe('3');
    expect(nov('counsel-months', `${LE_CHAN}|2026-11`, 'answered')).toBe('2');
    expect(nov('counsel-months', `${LE_CHAN}|2026-11`, 'closed')).toBe('1');
    // The first answers came after 12 and 30 minutes.
    expect(nov('counsel-months', `${LE_CHAN}|2026-11`, 'median')).toBe('21');
    expect(nov('counsel-wards', `${NGO_QUYEN}|2026`, 'opened')).toBe('1');
    expect(nov('counsel-wards', 'city|2026', 'opened')).toBe('4');
    // A chart drawn by the chart library the console serves.
    expect(page).toContain('<script src="/staff/assets/chart.umd.js" defer></script>');
    expect(page).toContain('"type":"bar"');
  });

  it('another ward’s small counts are "<5" to a station (its median with them); its own are exact', async () => {
    const nq = await users.staffNq.page(`/staff/counsel/figures?year=2026&ward=${LE_CHAN}`);
    expect(nq).toContain('để không lộ ai');
    const cell = cellOf;
    expect(cell(nq, 'counsel-months', `${LE_CHAN}|2026-11`, 'opened')).toBe('&lt;5');
    expect(cell(nq, 'counsel-months', `${LE_CHAN}|2026-11`, 'median')).toBe('&lt;5');
    expect(cell(nq, 'counsel-wards', `${NGO_QUYEN}|2026`, 'opened')).toBe('1');
    expect(cell(nq, 'counsel-wards', `${LE_CHAN}|2026`, 'opened')).toBe('&lt;5');
    // The city's row is there; its counts follow the indicators' rule (4 people: "<5" to a ward's station).
    expect(cell(nq, 'counsel-wards', 'city|2026', 'opened')).toBe('&lt;5');
    const lc = await users.staffLc.page(`/staff/counsel/figures?year=2026&ward=${LE_CHAN}`);
    expect(cell(lc, 'counsel-months', `${LE_CHAN}|2026-11`, 'opened')).toBe('3');
    expect(cell(lc, 'counsel-months', `${LE_CHAN}|2026-11`, 'median')).toBe('21');
  });

  it('CSV: UTF-8 with a BOM, fixed headers, one row per ward × month and the city, with the same rule; audited', async () => {
    const csv = async (c: Browserless) => {
      const res = await c.get('/staff/counsel/figures.csv?year=2026');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="counselling-2026.csv"');
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      return new TextDecoder().decode(bytes).split('\r\n').filter(Boolean);
    };
    const admin = await csv(users.admin);
    expect(admin[0]).toBe('month,ward_code,ward_name,conversations,answered,closed,alerted_unclaimed,danger_signs,rated_helpful,rated_not_helpful,median_minutes_to_first_answer');
    expect(admin).toContain(`2026-11,${LE_CHAN},Phường Lê Chân,3,2,1,0,0,0,0,21`);
    expect(admin).toContain(`2026-11,${NGO_QUYEN},Phường Ngô Quyền,1,0,0,0,0,0,0,`);
    expect(admin).toContain('2026-11,city,Toàn thành phố,4,2,1,0,0,0,0,21');
    expect(admin).toHaveLength(4);
    const nq = await csv(users.staffNq);
    expect(nq).toContain(`2026-11,${LE_CHAN},Phường Lê Chân,<5,<5,<5,0,0,0,0,<5`);
    expect(nq).toContain(`2026-11,${NGO_QUYEN},Phường Ngô Quyền,1,0,0,0,0,0,0,`);
    expect((await audits(app, 'console.export')).filter((a) => a.target === 'counsel-figures').map((a) => a.actor)).toEqual([ADMIN, STAFF_NQ]);
  });
});
