import { sql } from 'drizzle-orm';
import { GrammyError } from 'grammy';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ZaloApi } from '../../src/channels/zalo/api.js';
import { dropReminders } from '../../src/domain/reminders.js';
import { znsPhoneOf } from '../../src/channels/zns/index.js';
import { Dispatcher, type DispatcherOptions } from '../../src/outbox/dispatcher.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { singleProcessLock } from '../../src/outbox/leader.js';
import { i18nRender } from '../../src/outbox/render.js';
import { classify } from '../../src/channels/telegram/sender.js';
import type { Sender } from '../../src/outbox/types.js';
import { createZaloSender, zaloLimits } from '../../src/channels/zalo/sender.js';
import { cannotReach, znsFallback } from '../../src/channels/zns/fallback.js';
import { createZnsSender, postgresZnsTokenStore, seedTokens, ZnsClient, znsLimits, znsTemplateData, type ZnsTokens } from '../../src/channels/zns/sender.js';
import { loadZnsConfig, type ZnsConfig } from '../../src/config/zns.js';
import type { TestApp } from '../support/app.js';
import { createSessionInChat, grantRole, sql$, staffApp, buttonValue } from '../support/staff.js';
import { fakeZalo, ZALO_BASE, ZALO_TOKEN, ZNS_API, ZNS_OAUTH } from '../support/zalo.js';

const zalo = fakeZalo();
let app: TestApp;
const STAFF = '8101';
const local = (s: string) => new Date(`${s}+07:00`);

const config: ZnsConfig = {
  appId: 'app-1',
  appSecret: 'app-secret',
  seedRefreshToken: 'refresh-0',
  templates: { reminder: '201234', 'session.changed': '201235' },
  apiBase: ZNS_API,
  oauthBase: ZNS_OAUTH,
  perSecond: 2,
};

beforeAll(async () => {
  zalo.server.listen({ onUnhandledRequest: 'error' });
  app = await staffApp(); // Monday 23/11/2026 10:00 local
  await grantRole(app, STAFF, 'staff');
  app.settings.znsOffered = true;
});
// The tests below that need another time set it; the others start where staffApp does.
beforeEach(() => app.clock.set(local('2026-11-23T10:00')));
afterEach(() => {
  zalo.reset();
  zalo.zns.sent.length = 0;
  app.settings.znsOffered = true;
});
afterAll(async () => {
  zalo.server.close();
  await app.close();
});

const zaloUser = (id: string) => ({ channel: 'zalo' as const, userId: id, chatId: id });
const db = () => app.database.db;

/** The Zalo dispatcher as npm start builds it when ZNS is on: undeliverable messages are handed to ZNS. */
const zaloDispatcher = (over: Partial<DispatcherOptions> = {}) =>
  new Dispatcher({
    db: db(),
    channel: 'zalo',
    sender: createZaloSender({ api: new ZaloApi({ token: ZALO_TOKEN, baseUrl: ZALO_BASE, retries: 0 }), render: i18nRender(app.i18n), i18n: app.i18n }),
    clock: app.clock,
    leader: singleProcessLock(),
    limits: zaloLimits(),
    sleep: async (ms) => app.clock.advance(ms),
    onPermanentFailure: znsFallback({ db: db(), clock: app.clock, templates: config.templates }),
    ...over,
  });

const znsDispatcher = () =>
  new Dispatcher({
    db: db(),
    channel: 'zns',
    sender: createZnsSender({
      config,
      client: new ZnsClient({ config, store: postgresZnsTokenStore(db(), seedTokens(config, app.clock.now())), clock: app.clock }),
      phoneOf: (id) => znsPhoneOf(db(), id),
      data: znsTemplateData(app.i18n),
    }),
    clock: app.clock,
    leader: singleProcessLock(),
    limits: znsLimits(config),
    sleep: async (ms) => app.clock.advance(ms),
  });

/** Zalo refuses to message this chat first (the wording is assumed: see zalo-sender.ts). */
const notFollowing = (chatId: string) =>
  zalo.fail((call) =>
    call.method === 'sendMessage' && call.body.chat_id === chatId
      ? { status: 403, body: { ok: false, error_code: 403, description: 'User has not followed the bot' } }
      : undefined,
  );

const row = async (key: string) =>
  (await sql$<{ status: string; last_error: string | null; channel: string; chat_id: string; due_at: Date; kind: string }>(
    app,
    sql`select status, last_error, channel, chat_id, due_at, kind from outbox where dedupe_key = ${key}`,
  ))[0];

const contactId = async (userId: string) =>
  Number((await sql$<{ id: number }>(app, sql`select id from contacts where platform_user_id = ${userId}`))[0]!.id);

/** A contact who chatted with the bot on Zalo and, when a number is given, agreed to ZNS reminders at it. */
async function zaloContact(userId: string, phone?: string, channel = 'zalo'): Promise<number> {
  const [c] = await sql$<{ id: number }>(
    app,
    sql`insert into contacts (channel, platform_user_id, chat_id) values (${channel}, ${userId}, ${userId})
        on conflict (channel, platform_user_id) do update set chat_id = excluded.chat_id returning id`,
  );
  const id = Number(c!.id);
  if (phone) {
    await sql$(app, sql`insert into zns_recipients (contact_id, phone, consented_at) values (${id}, ${phone}, now())`);
    await sql$(app, sql`insert into consents (contact_id, notice_version, purpose, granted) values (${id}, 'test', 'zns', true)`);
  }
  return id;
}

const reminder = (key: string, contact: number, kind = 'reminder') => ({
  dedupeKey: key,
  contactId: contact,
  kind,
  payload: {
    key: 'reminders.d-1',
    params: { programme: 'elderly', weekday: 4, date: '10/12', time: '7:30', place: 'Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng', note: '' },
  },
  priority: 2,
  dueAt: app.clock.now(),
});

/** A Zalo contact's reminder (of a kind) that the bot cannot deliver, run through the Zalo dispatcher at 10:00. */
async function unreachableOnZalo(userId: string, key: string, phone?: string, kind = 'reminder'): Promise<number> {
  app.clock.set(local('2026-12-01T10:00'));
  const c = await zaloContact(userId, phone);
  await enqueue(db(), [reminder(key, c, kind)]);
  notFollowing(userId);
  await zaloDispatcher().drain();
  return c;
}

/** No token pair stored yet; Zalo's side holds refresh-0 (the seed in `config`). */
async function firstStart() {
  await sql$(app, sql`delete from zns_tokens`);
  Object.assign(zalo.zns, { accessToken: 'access-0', refreshToken: 'refresh-0', generation: 0, refreshes: 0 });
}

// ------------------------------------------------------------------ token store

describe('the ZNS token pair in zns_tokens', () => {
  const pair = (refreshToken: string): ZnsTokens => ({ accessToken: `a-${refreshToken}`, refreshToken, accessExpiresAt: new Date(app.clock.now().getTime() + 3_600_000) });

  it('two replicas rotating at once refresh once: the second waits on the row lock and sees the new pair', async () => {
    await sql$(app, sql`delete from zns_tokens`);
    const seed = pair('r0');
    const replicas = [postgresZnsTokenStore(db(), seed), postgresZnsTokenStore(db(), seed)];
    let refreshes = 0;
    const seen: string[] = [];
    const results = await Promise.all(
      replicas.map((store) =>
        store.rotate(async (current) => {
          seen.push(current.refreshToken);
          if (current.refreshToken !== 'r0') return null; // someone else refreshed while we waited
          refreshes++;
          await new Promise((r) => setTimeout(r, 150)); // Zalo's answer takes a while; the other replica must wait
          return pair('r1');
        }),
      ),
    );
    expect(refreshes).toBe(1);
    expect(seen).toEqual(['r0', 'r1']);
    expect(results.map((t) => t.refreshToken)).toEqual(['r1', 'r1']);
    const [stored] = await sql$<{ refresh_token: string; n: number }>(app, sql`select refresh_token, (select count(*)::int from zns_tokens) as n from zns_tokens`);
    expect(stored).toEqual({ refresh_token: 'r1', n: 1 });
  });

  it('two ZNS clients on a fresh start refresh once against Zalo, and the single-use token is replaced in the row', async () => {
    await firstStart();
    const clients = [0, 1].map(() => new ZnsClient({ config, store: postgresZnsTokenStore(db(), seedTokens(config, app.clock.now())), clock: app.clock }));
    expect(await Promise.all(clients.map((c) => c.accessToken()))).toEqual(['access-1', 'access-1']);
    expect(zalo.zns.refreshes).toBe(1);
    const [stored] = await sql$<{ refresh_token: string }>(app, sql`select refresh_token from zns_tokens`);
    expect(stored!.refresh_token).toBe('refresh-1');
  });

  it('uses the seed from configuration only while the row is missing', async () => {
    await sql$(app, sql`delete from zns_tokens`);
    expect((await postgresZnsTokenStore(db(), pair('seed-1')).read()).refreshToken).toBe('seed-1');
    await postgresZnsTokenStore(db(), pair('seed-1')).rotate(async () => pair('rotated'));
    // A restart with the old (now dead) seed still in ZNS_REFRESH_TOKEN: the stored pair wins.
    const restarted = postgresZnsTokenStore(db(), pair('seed-1'));
    expect((await restarted.read()).refreshToken).toBe('rotated');
    expect((await restarted.rotate(async (current) => (current.refreshToken === 'rotated' ? null : pair('wrong')))).refreshToken).toBe('rotated');
  });
});

// ------------------------------------------------------------------ consent at booking

describe('the ZNS question at booking', () => {
  async function bookWithPhone(userId: string, sessionId: number, phone: string) {
    const me = zaloUser(userId);
    let replies = await app.press(`a:book:${sessionId}`, me);
    if (buttonValue(replies, 'f:book:notice:yes')) replies = await app.press('f:book:notice:yes', me);
    expect(replies.at(-1)!.text).toContain('số điện thoại');
    return app.say(phone, me);
  }

  it('asks once after the phone step; "yes" keeps the number with a zns consent, the booking goes through', async () => {
    const sessionId = await createSessionInChat(app, STAFF, { programme: 'premarital', needsPhone: true });
    const asked = await bookWithPhone('zb1', sessionId, '0912 345 678');
    expect(asked.at(-1)!.text).toBe(
      'Bạn có muốn nhận nhắc lịch qua Zalo theo số điện thoại này (0912 345 678) không? Khi bot không nhắn được cho bạn, Sở Y tế Hải Phòng sẽ gửi tin nhắc lịch khám tới Zalo của số này. Số chỉ dùng để nhắc lịch; gõ "dừng" bất cứ lúc nào để ngừng.',
    );
    expect(asked.at(-1)!.choices!.map((c) => c.value)).toEqual(['f:book:zns:yes', 'f:book:zns:no']);
    // Typed text instead of a choice: a second chance, nothing stored.
    expect((await app.say('để tôi nghĩ', zaloUser('zb1'))).at(-1)!.choices).toHaveLength(2);
    const done = await app.press('f:book:zns:yes', zaloUser('zb1'));
    expect(done.at(-1)!.text).toContain('Đã đăng ký');
    const id = await contactId('zb1');
    expect(await znsPhoneOf(db(), id)).toBe('+84912345678');
    const consents = await sql$<{ purpose: string; granted: boolean }>(app, sql`select purpose, granted from consents where contact_id = ${id} order by id`);
    expect(consents).toEqual([
      { purpose: 'reminders', granted: true },
      { purpose: 'zns', granted: true },
    ]);
    // The same number at the next booking: not asked again.
    const other = await createSessionInChat(app, STAFF, { programme: 'premarital', needsPhone: true, when: '11/12 8h' });
    const again = await bookWithPhone('zb1', other, '+84 912 345 678');
    expect(again.at(-1)!.text).toContain('Đã đăng ký');
  });

  it('"no" is recorded as a refusal, keeps no number, and leaves the main consent as it was', async () => {
    const sessionId = await createSessionInChat(app, STAFF, { programme: 'premarital', needsPhone: true, when: '12/12 8h' });
    await bookWithPhone('zb2', sessionId, '0987 654 321');
    const done = await app.press('f:book:zns:no', zaloUser('zb2'));
    expect(done.at(-1)!.text).toContain('Đã đăng ký');
    const id = await contactId('zb2');
    expect(await znsPhoneOf(db(), id)).toBeNull();
    const consents = await sql$<{ purpose: string; granted: boolean }>(app, sql`select purpose, granted from consents where contact_id = ${id} order by id`);
    expect(consents).toEqual([
      { purpose: 'reminders', granted: true },
      { purpose: 'zns', granted: false },
    ]);
    // The refusal is not a refusal of the booking notice: the next booking does not ask for consent again.
    const other = await createSessionInChat(app, STAFF, { programme: 'premarital', when: '13/12 8h' });
    const next = await app.press(`a:book:${other}`, zaloUser('zb2'));
    expect(buttonValue(next, 'f:book:notice:yes')).toBeUndefined();
    expect(next.at(-1)!.text).toContain('Đã đăng ký');
  });

  it('is not asked for a landline, nor when ZNS is not configured', async () => {
    const sessionId = await createSessionInChat(app, STAFF, { programme: 'premarital', needsPhone: true, when: '14/12 8h' });
    expect((await bookWithPhone('zb3', sessionId, '0225 3123 456')).at(-1)!.text).toContain('Đã đăng ký');
    app.settings.znsOffered = false;
    expect((await bookWithPhone('zb4', sessionId, '0912 000 111')).at(-1)!.text).toContain('Đã đăng ký');
    expect(await sql$(app, sql`select 1 from zns_recipients z join contacts c on c.id = z.contact_id where c.platform_user_id in ('zb3', 'zb4')`)).toEqual([]);
  });
});

// ------------------------------------------------------------------ fallback

describe('a message the bot cannot deliver goes by ZNS', () => {
  it('a Zalo reminder refused because the person never followed the bot reaches their number by ZNS, after a token refresh', async () => {
    await firstStart();
    // Booked in chat, agreeing to ZNS at the phone step.
    const sessionId = await createSessionInChat(app, STAFF, { programme: 'elderly', needsPhone: true, when: '15/12 7h30' });
    const me = zaloUser('zf1');
    let replies = await app.press(`a:book:${sessionId}`, me);
    for (const v of ['f:book:who:self', 'f:book:notice:yes']) if (buttonValue(replies, v)) replies = await app.press(v, me);
    await app.say('0912 555 666', me);
    await app.press('f:book:zns:yes', me);
    const [b] = await sql$<{ id: number }>(app, sql`select b.id from bookings b join contacts c on c.id = b.contact_id where c.platform_user_id = 'zf1'`);
    const key = `appt:${b!.id}:v1:d-3`;

    app.clock.set(local('2026-12-12T08:00'));
    notFollowing('zf1');
    await zaloDispatcher().drain();
    const original = await row(key);
    expect(original).toMatchObject({ status: 'failed', channel: 'zalo' });
    expect(original!.last_error).toBe(`zalo unreachable: 403 User has not followed the bot; sent on by ZNS as ${key}:zns`);
    expect(await row(`${key}:zns`)).toMatchObject({ status: 'pending', channel: 'zns', chat_id: '+84912555666', kind: 'reminder' });

    await znsDispatcher().drain();
    expect(await row(`${key}:zns`)).toMatchObject({ status: 'sent' });
    expect(zalo.zns.sent).toHaveLength(1);
    expect(zalo.zns.sent[0]!.body).toEqual({
      phone: '84912555666',
      template_id: '201234',
      template_data: {
        programme: 'khám sức khỏe định kỳ người cao tuổi',
        weekday: 'thứ Ba',
        date: '15/12',
        time: '7:30',
        place: 'Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng',
        note: 'Nhớ mang CCCD và thẻ BHYT; nhịn ăn sáng.',
      },
      tracking_id: `${key}:zns`,
    });
    // The refresh during the run replaced the single-use refresh token in Postgres.
    expect(zalo.zns.refreshes).toBe(1);
    const [stored] = await sql$<{ refresh_token: string; access_token: string }>(app, sql`select refresh_token, access_token from zns_tokens`);
    expect(stored).toEqual({ refresh_token: 'refresh-1', access_token: 'access-1' });
  });

  it('without the person’s ZNS consent nothing more is sent, and the row says why', async () => {
    await unreachableOnZalo('zf2', 'zns-test:2');
    expect(await row('zns-test:2')).toMatchObject({
      status: 'failed',
      last_error: 'zalo unreachable: 403 User has not followed the bot; no ZNS: no consent to reminders by phone',
    });
    expect(await row('zns-test:2:zns')).toBeUndefined();
  });

  it('a kind without a ZNS template is not sent on', async () => {
    await unreachableOnZalo('zf3', 'zns-test:3', '+84912000003', 'broadcast');
    expect((await row('zns-test:3'))!.last_error).toBe('zalo unreachable: 403 User has not followed the bot; no ZNS: no template for "broadcast"');
    expect(await row('zns-test:3:zns')).toBeUndefined();
  });

  it('a person who blocked the bot is marked blocked and gets nothing by ZNS either', async () => {
    app.clock.set(local('2026-12-01T10:00'));
    const c = await zaloContact('zf4', '+84912000004');
    await enqueue(db(), [reminder('zns-test:4', c)]);
    zalo.fail((call) => (call.body.chat_id === 'zf4' ? { status: 403, body: { ok: false, error_code: 403, description: 'User has blocked the bot' } } : undefined));
    await zaloDispatcher().drain();
    expect(await row('zns-test:4')).toMatchObject({ status: 'skipped' });
    expect(await row('zns-test:4:zns')).toBeUndefined();
  });

  it('keeps quiet hours: a failure at 21:30 goes by ZNS at 07:00', async () => {
    await firstStart();
    app.clock.set(local('2026-12-01T21:30'));
    const c = await zaloContact('zf5', '+84912000005');
    await enqueue(db(), [{ ...reminder('zns-test:5', c), dueAt: local('2026-12-01T20:59') }]);
    // Due before 21:00 and claimed late (a backlog): the chat dispatcher itself holds it in quiet hours,
    // so fail it here through a sender that answers "unreachable" whatever the hour.
    const unreachable: Sender = { send: async () => ({ kind: 'error', message: 'zalo unreachable: 404 user not found', permanent: true, unreachable: true }) };
    await zaloDispatcher({ sender: unreachable, quietHours: false }).drain();
    const fallback = await row('zns-test:5:zns');
    expect(new Date(fallback!.due_at)).toEqual(local('2026-12-02T07:00'));
    await znsDispatcher().drain();
    expect(zalo.zns.sent).toHaveLength(0);
    app.clock.set(local('2026-12-02T07:00'));
    await znsDispatcher().drain();
    // This test's fallback (rows other tests left waiting on Zalo were failed over to ZNS above too).
    expect(zalo.zns.sent.filter((s) => s.body.tracking_id === 'zns-test:5:zns').map((s) => s.body.phone)).toEqual(['84912000005']);
  });

  it('/huy stops ZNS too: what was queued is not sent, the number and its consent go', async () => {
    const c = await unreachableOnZalo('zf6', 'zns-test:6a', '+84912000006');
    expect(await row('zns-test:6a:zns')).toMatchObject({ status: 'pending' });
    await app.say('/huy', zaloUser('zf6'));
    await app.press('f:stop:confirm:yes', zaloUser('zf6'));
    await znsDispatcher().drain();
    expect(await row('zns-test:6a:zns')).toMatchObject({ status: 'skipped', last_error: 'contact opted out' });
    expect(zalo.zns.sent).toHaveLength(0);
    expect(await znsPhoneOf(db(), c)).toBeNull();
    const [last] = await sql$<{ granted: boolean }>(app, sql`select granted from consents where contact_id = ${c} and purpose = 'zns' order by id desc limit 1`);
    expect(last!.granted).toBe(false);
    // Back with /batlai: the bot's reminders resume, ZNS does not until asked again at a booking.
    await app.say('/batlai', zaloUser('zf6'));
    await app.press('f:resume:notice:yes', zaloUser('zf6'));
    await enqueue(db(), [reminder('zns-test:6b', c)]);
    await zaloDispatcher().drain();
    expect((await row('zns-test:6b'))!.last_error).toContain('no ZNS: no consent');
  });

  it('/xoa erases the number with the rest', async () => {
    const c = await zaloContact('zf7', '+84912000007');
    await app.say('/xoa', zaloUser('zf7'));
    await app.press('f:delete:confirm:yes', zaloUser('zf7'));
    expect(await sql$(app, sql`select 1 from zns_recipients where contact_id = ${c} or phone = '+84912000007'`)).toEqual([]);
    expect(await sql$(app, sql`select 1 from consents where contact_id = ${c}`)).toEqual([]);
  });

  it('the sender asks for the consent at send time: a number withdrawn after queueing gets nothing', async () => {
    const c = await unreachableOnZalo('zf8', 'zns-test:8', '+84912000008');
    await sql$(app, sql`delete from zns_recipients where contact_id = ${c}`);
    await znsDispatcher().drain();
    expect(await row('zns-test:8:zns')).toMatchObject({ status: 'failed', last_error: 'zns: no consent to ZNS, or no mobile number, for this contact' });
    expect(zalo.zns.sent).toHaveLength(0);
  });

  it('a fallback that cannot be queued leaves the original row to be tried again', async () => {
    app.clock.set(local('2026-12-01T10:00'));
    const c = await zaloContact('zf9', '+84912000009');
    await enqueue(db(), [reminder('zns-test:9', c)]);
    notFollowing('zf9');
    await zaloDispatcher({
      onPermanentFailure: async () => {
        throw new Error('database away');
      },
    }).drain();
    expect(await row('zns-test:9')).toMatchObject({ status: 'pending' });
    expect((await row('zns-test:9'))!.last_error).toContain('its fallback failed, retrying: database away');
  });

  it('cancelling a booking’s reminders by prefix cancels their ZNS rows too', async () => {
    await unreachableOnZalo('zf11', 'appt:990011:v1:d-1', '+84912000011');
    expect(await row('appt:990011:v1:d-1:zns')).toMatchObject({ status: 'pending' });
    await dropReminders(db(), [990011]);
    expect(await row('appt:990011:v1:d-1:zns')).toMatchObject({ status: 'cancelled' });
  });

  it('a contact known only by a phone number, with no bot channel, is reached by ZNS directly', async () => {
    await firstStart();
    app.clock.set(local('2026-12-01T10:00'));
    const c = await zaloContact('+84912000010', '+84912000010', 'zns');
    await enqueue(db(), [reminder('zns-test:10', c)]);
    expect(await row('zns-test:10')).toMatchObject({ channel: 'zns', chat_id: '+84912000010' });
    await znsDispatcher().drain();
    expect(await row('zns-test:10')).toMatchObject({ status: 'sent' });
    expect(zalo.zns.sent.map((x) => [x.body.phone, x.body.tracking_id])).toEqual([['84912000010', 'zns-test:10']]);
  });

  it('Telegram’s "chat not found" counts as unreachable; its 403s and other 400s do not', () => {
    const tg = (code: number, description: string) =>
      classify(new GrammyError(description, { ok: false, error_code: code, description }, 'sendMessage', {}));
    const failure = (r: ReturnType<typeof tg>) => {
      if (r.kind !== 'error') throw new Error(`not an error: ${r.kind}`);
      return r;
    };
    expect(cannotReach({ channel: 'telegram' }, failure(tg(400, 'Bad Request: chat not found')))).toBe(true);
    expect(cannotReach({ channel: 'telegram' }, failure(tg(400, "Bad Request: can't parse entities")))).toBe(false);
    expect(tg(403, 'Forbidden: bot was blocked by the user')).toEqual({ kind: 'blocked' });
    expect(cannotReach({ channel: 'zalo' }, { kind: 'error', message: 'zalo 500 oops' })).toBe(false);
  });
});

describe('ZNS configuration', () => {
  const base = { ZNS_APP_ID: '1', ZNS_APP_SECRET: 's', ZNS_REFRESH_TOKEN: 'r', ZNS_TEMPLATES: 'reminder=201234' };
  it('sends at 1 message a second unless ZNS_RATE_PER_SECOND says otherwise', () => {
    expect(loadZnsConfig(base)!.perSecond).toBe(1);
    expect(loadZnsConfig({ ...base, ZNS_RATE_PER_SECOND: '0.5' })!.perSecond).toBe(0.5);
    expect(() => loadZnsConfig({ ...base, ZNS_RATE_PER_SECOND: 'fast' })).toThrow();
    expect(znsLimits({ perSecond: 0.5 })).toEqual({ perSecond: 0.5, perChatPerSecond: 1, burst: 1 });
  });
});
