import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ZaloApi } from '../src/channels/zalo/api.js';
import { rows } from '../src/db/client.js';
import { contacts, outbox } from '../src/db/schema.js';
import { createContact } from '../src/domain/contacts.js';
import { Dispatcher } from '../src/outbox/dispatcher.js';
import { enqueue } from '../src/outbox/enqueue.js';
import { singleProcessLock } from '../src/outbox/leader.js';
import { i18nRender } from '../src/outbox/render.js';
import { readPause } from '../src/outbox/store.js';
import type { ClaimedMessage } from '../src/outbox/types.js';
import { createZaloSender, zaloLimits } from '../src/channels/zalo/sender.js';
import { createZnsSender, memoryZnsTokenStore, znsPhone, postgresZnsTokenStore, seedTokens, ZnsClient } from '../src/channels/zns/sender.js';
import { loadZnsConfig, type ZnsConfig } from '../src/config/zns.js';
import { translate } from '../src/i18n/index.js';
import { testApp, type TestApp } from './support/app.js';
import { fakeZalo, ZALO_BASE, ZALO_TOKEN, ZNS_API, ZNS_OAUTH } from './support/zalo.js';

const zalo = fakeZalo();
let app: TestApp;

beforeAll(async () => {
  zalo.server.listen({ onUnhandledRequest: 'error' });
  app = await testApp();
});
afterEach(() => zalo.reset());
afterAll(async () => {
  zalo.server.close();
  await app.close();
});

const t = (key: string, params?: Record<string, unknown>) => translate(app.i18n, 'vi')(key, params);

function zaloDispatcher() {
  // No retries inside the client: the dispatcher owns 429 handling (a shared pause).
  const api = new ZaloApi({ token: ZALO_TOKEN, baseUrl: ZALO_BASE, retries: 0 });
  return new Dispatcher({
    db: app.database.db,
    channel: 'zalo',
    sender: createZaloSender({ api, render: i18nRender(app.i18n), i18n: app.i18n }),
    clock: app.clock,
    leader: singleProcessLock(),
    limits: zaloLimits(),
    sleep: async (ms) => app.clock.advance(ms),
  });
}

describe('reminders on Zalo through the outbox dispatcher', () => {
  // Each test starts with the Zalo channel as a fresh start finds it: a 429 pauses it for
  // every replica (in Postgres) and leaves the refused row waiting for the next batch.
  beforeEach(async () => {
    await rows(app.database.db, sql`delete from channel_pause where channel = 'zalo'`);
    await rows(app.database.db, sql`delete from outbox where channel = 'zalo'`);
  });

  it('delivers a reminder as numbered plain text to a person who chatted with the bot', async () => {
    const c = await createContact(app.database.db, { channel: 'zalo', platformUserId: 'z1', chatId: 'z1', locale: 'vi' });
    await enqueue(app.database.db, [
      {
        dedupeKey: 'test:zalo:1',
        contactId: c.id,
        kind: 'reminder',
        payload: { key: 'menu.title', choices: [{ key: 'menu.ask', value: 'a:ask' }, { key: 'menu.subscribe', value: 'a:sub' }] },
        priority: 2,
        dueAt: app.clock.now(),
      },
    ]);
    const report = await zaloDispatcher().runBatch();
    expect(report).toMatchObject({ state: 'sent', sent: 1 });
    const sent = zalo.sent();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.chat_id).toBe('z1');
    expect(sent[0]!.body.text).toBe(`${t('menu.title')}\n  1. ${t('menu.ask')}\n  2. ${t('menu.subscribe')}\n\n${t('zalo.replyHint', { list: '1', last: '2' })}`);
    const [row] = await app.database.db.select().from(outbox).where(eq(outbox.dedupeKey, 'test:zalo:1'));
    expect(row!.status).toBe('sent');
  });

  it('a 429 pauses the Zalo channel for every replica; a block marks the contact', async () => {
    const a = await createContact(app.database.db, { channel: 'zalo', platformUserId: 'z2', chatId: 'z2', locale: 'vi' });
    const b = await createContact(app.database.db, { channel: 'zalo', platformUserId: 'z3', chatId: 'z3', locale: 'en' });
    zalo.fail((call) => {
      if (call.method !== 'sendMessage') return undefined;
      if (call.body.chat_id === 'z2') return { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 30 } } };
      return { status: 403, body: { ok: false, error_code: 403, description: 'User has blocked the bot' } };
    });
    const due = app.clock.now();
    const status = async (key: string) => (await app.database.db.select().from(outbox).where(eq(outbox.dedupeKey, key)))[0]!.status;
    // The person who blocked the bot: the row is done with, the contact marked.
    await enqueue(app.database.db, [{ dedupeKey: 'test:zalo:2', contactId: b.id, kind: 'reminder', payload: { key: 'menu.title' }, priority: 2, dueAt: due }]);
    await zaloDispatcher().runBatch();
    expect(await status('test:zalo:2')).not.toBe('pending');
    const [blocked] = await app.database.db.select().from(contacts).where(eq(contacts.id, b.id));
    expect(blocked!.blockedAt).toBeInstanceOf(Date);
    // A 429: the row waits and the channel is paused in Postgres, for every replica.
    await enqueue(app.database.db, [{ dedupeKey: 'test:zalo:3', contactId: a.id, kind: 'reminder', payload: { key: 'menu.title' }, priority: 2, dueAt: due }]);
    await zaloDispatcher().runBatch();
    expect(await status('test:zalo:3')).toBe('pending');
    const pause = await readPause(app.database.db, 'zalo');
    expect(pause!.getTime()).toBeGreaterThanOrEqual(app.clock.now().getTime() + 29_000);
    expect(await zaloDispatcher().runBatch()).toMatchObject({ state: 'paused' });
  });
});

// ------------------------------------------------------------------ ZNS

const config: ZnsConfig = {
  appId: 'app-1',
  appSecret: 'app-secret',
  seedRefreshToken: 'refresh-0',
  templates: { 'appt.reminder': '201234' },
  apiBase: ZNS_API,
  oauthBase: ZNS_OAUTH,
  perSecond: 1,
};

const claimed = (over: Partial<ClaimedMessage> = {}): ClaimedMessage => ({
  id: 1,
  dedupeKey: 'appt:7:d-1',
  contactId: 7,
  channel: 'zalo',
  chatId: 'z7',
  kind: 'appt.reminder',
  payload: { key: 'reminder.d1', params: { name: 'Bà Lan', place: 'Trạm y tế phường Lê Chân', time: '07:30 24/11/2026' } },
  priority: 2,
  dueAt: new Date(),
  attempts: 1,
  locale: 'vi',
  status: 'sending',
  ...over,
});

describe('ZNS sender (the local fake of the OA answers)', () => {
  const fresh = () => {
    zalo.zns.accessToken = 'access-0';
    zalo.zns.refreshToken = 'refresh-0';
    zalo.zns.generation = 0;
    zalo.zns.refreshes = 0;
    zalo.zns.sent.length = 0;
    zalo.zns.nextErrors.length = 0;
  };

  it('refreshes at first use, stores the rotated single-use pair, and sends the template by phone', async () => {
    fresh();
    const store = memoryZnsTokenStore(seedTokens(config, app.clock.now()));
    const client = new ZnsClient({ config, store, clock: app.clock });
    const sender = createZnsSender({ config, client, phoneOf: async () => '0912 345 678' });
    expect(await sender.send(claimed())).toEqual({ kind: 'ok' });
    expect(zalo.zns.refreshes).toBe(1);
    expect(store.current()).toMatchObject({ accessToken: 'access-1', refreshToken: 'refresh-1' });
    expect(zalo.zns.sent[0]!.body).toEqual({
      phone: '84912345678',
      template_id: '201234',
      template_data: { name: 'Bà Lan', place: 'Trạm y tế phường Lê Chân', time: '07:30 24/11/2026' },
      tracking_id: 'appt:7:d-1',
    });
    // Within the token's life: no refresh.
    await sender.send(claimed({ dedupeKey: 'appt:7:d-0' }));
    expect(zalo.zns.refreshes).toBe(1);
  });

  it('refreshes once when Zalo says the token is invalid, even with many sends at once', async () => {
    fresh();
    const store = memoryZnsTokenStore({ accessToken: 'access-0', refreshToken: 'refresh-0', accessExpiresAt: new Date(app.clock.now().getTime() + 3_600_000) });
    const client = new ZnsClient({ config, store, clock: app.clock });
    const sender = createZnsSender({ config, client, phoneOf: async () => '+84 912 345 678' });
    expect(await sender.send(claimed())).toEqual({ kind: 'ok' });
    expect(zalo.zns.refreshes).toBe(0);
    zalo.zns.accessToken = 'revoked'; // Zalo no longer accepts access-0; refresh-0 still works
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => sender.send(claimed({ dedupeKey: `k${i}` }))));
    expect(results).toEqual(Array.from({ length: 5 }, () => ({ kind: 'ok' })));
    expect(zalo.zns.refreshes).toBe(1);
    expect(store.current()).toMatchObject({ accessToken: 'access-1', refreshToken: 'refresh-1' });
  });

  it('two replicas sharing the Postgres store refresh exactly once (the refresh token is single-use)', async () => {
    fresh();
    const seed = seedTokens(config, app.clock.now());
    const replicas = [0, 1, 2].map(() => new ZnsClient({ config, store: postgresZnsTokenStore(app.database.db, seed), clock: app.clock }));
    const tokens = await Promise.all(replicas.map((r) => r.accessToken()));
    expect(new Set(tokens)).toEqual(new Set(['access-1']));
    expect(zalo.zns.refreshes).toBe(1);
    const [row] = await rows<{ refresh_token: string }>(app.database.db, sql`select refresh_token from zns_tokens`);
    expect(row!.refresh_token).toBe('refresh-1');
    // A token Zalo refused: one replica refreshes, the others pick the new pair up from the store.
    zalo.zns.accessToken = 'gone';
    const sender = (i: number) => createZnsSender({ config, client: replicas[i]!, phoneOf: async () => '0912345678' });
    expect(await sender(0).send(claimed())).toEqual({ kind: 'ok' });
    expect(await sender(1).send(claimed())).toEqual({ kind: 'ok' });
    expect(await sender(2).send(claimed())).toEqual({ kind: 'ok' });
    expect(zalo.zns.refreshes).toBe(2);
    expect(zalo.zns.sent.map((x) => x.accessToken)).toEqual(['access-2', 'access-2', 'access-2']);
  });

  it('maps failures to the dispatcher’s result kinds', async () => {
    fresh();
    const store = memoryZnsTokenStore({ accessToken: 'access-0', refreshToken: 'refresh-0', accessExpiresAt: new Date(app.clock.now().getTime() + 3_600_000) });
    const client = new ZnsClient({ config, store, clock: app.clock });
    const sender = createZnsSender({ config, client, phoneOf: async (id) => (id === 7 ? '0912345678' : null) });
    expect(await sender.send(claimed({ kind: 'unknown.kind' }))).toMatchObject({ kind: 'error', permanent: true });
    expect(await sender.send(claimed({ contactId: 8 }))).toMatchObject({ kind: 'error', permanent: true });
    zalo.zns.nextErrors.push(-118);
    expect(await sender.send(claimed())).toMatchObject({ kind: 'error', permanent: true });
    zalo.zns.nextErrors.push(-144);
    const quota = await sender.send(claimed());
    expect(quota.kind).toBe('error');
    expect('permanent' in quota && quota.permanent).toBeFalsy();
    // A used refresh token is refused: a transient error the operator must fix (README), never a crash.
    zalo.zns.accessToken = 'revoked';
    zalo.zns.refreshToken = 'someone-else-rotated';
    expect(await sender.send(claimed())).toMatchObject({ kind: 'error' });
    fresh();
  });
});

describe('ZNS configuration', () => {
  it('is off without ZNS_APP_ID, complete or refused with it', () => {
    expect(loadZnsConfig({})).toBeNull();
    expect(() => loadZnsConfig({ ZNS_APP_ID: '1' })).toThrow(/ZNS_APP_SECRET, ZNS_REFRESH_TOKEN, ZNS_TEMPLATES are missing/);
    expect(() => loadZnsConfig({ ZNS_APP_ID: '1', ZNS_APP_SECRET: 's', ZNS_REFRESH_TOKEN: 'r', ZNS_TEMPLATES: 'appt.reminder=abc' })).toThrow(/ZNS_TEMPLATES/);
    expect(loadZnsConfig({ ZNS_APP_ID: '1', ZNS_APP_SECRET: 's', ZNS_REFRESH_TOKEN: 'r', ZNS_TEMPLATES: 'appt.reminder=201234, broadcast=201235' })).toMatchObject({
      templates: { 'appt.reminder': '201234', broadcast: '201235' },
      apiBase: 'https://business.openapi.zalo.me',
      oauthBase: 'https://oauth.zaloapp.com',
    });
  });

  it('normalises Vietnamese mobile numbers to 84…', () => {
    expect(znsPhone('0912 345 678')).toBe('84912345678');
    expect(znsPhone('+84 912.345.678')).toBe('84912345678');
    expect(znsPhone('84386123456')).toBe('84386123456');
    expect(znsPhone('02253 123 456')).toBeNull(); // a landline cannot get ZNS
    expect(znsPhone('')).toBeNull();
  });
});
