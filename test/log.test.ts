import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { Api } from 'grammy';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BroadcastProgress } from '../src/broadcasts/progress.js';
import { telegramEditor } from '../src/channels/telegram/progress.js';
import { ZaloApi } from '../src/channels/zalo/api.js';
import { configSecrets } from '../src/config/env.js';
import { createLogger, scrubber } from '../src/log.js';
import { type TestApp, testConfig } from './support/app.js';
import { seedSubscribers } from './broadcasts/support.js';
import { grantRole, LE_CHAN, staffApp, who } from './support/staff.js';

const TOKEN = '7312345678:AAH4sEcReT_vAlUe-0f-a-BoT-t0kEn';
const ZALO_TOKEN = '3012345678901234567:zAlOsEcReTtOkEnVaLuE';

/** A logger that keeps its lines, as an operator's log collector would. */
function captured(level = 'debug', secrets: string[] = []) {
  const lines: string[] = [];
  const log = createLogger(level, { write: (l: string) => void lines.push(l) }, { secrets });
  return { log, text: () => lines.join('') };
}

/** A "platform" that answers sendMessage and drops the connection on every other call (a network failure mid-broadcast). */
async function flakyPlatform(): Promise<{ root: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url?.endsWith('/sendMessage')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, result: { message_id: 5, date: 0, chat: { id: 1, type: 'private' }, text: 'x' } }));
      return;
    }
    req.socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { root: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('secrets never reach the log', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await staffApp();
    app.settings.broadcastDailyCap = 100;
    await grantRole(app, '7301', 'collaborator', [LE_CHAN]);
    await seedSubscribers(app, { n: 3, prefix: 'log-', ward: LE_CHAN, programme: 'elderly' });
  });
  afterAll(() => app.close());

  it('a status message whose edit fails mid-broadcast is logged without the bot token (grammY puts it in the URL)', async () => {
    const platform = await flakyPlatform();
    try {
      const me = who('7301');
      await app.say('/guitin', me);
      await app.press('f:broadcast:audience:elderly', me);
      await app.press('f:broadcast:audience:done', me);
      await app.say('Tin kiểm tra nhật ký: khám sức khỏe người cao tuổi.', me);
      await app.press('f:broadcast:photo:none', me);
      const sent = await app.press('f:broadcast:preview:now', me);
      expect(sent[0]!.text).toMatch(/#\d+/);
      const { log, text } = captured('info');
      const progress = new BroadcastProgress({ db: app.database.db, i18n: app.i18n, sinks: { telegram: telegramEditor(new Api(TOKEN, { apiRoot: platform.root })) }, log, intervalMs: 1000 });
      await progress.tick(app.clock.now()); // posts the status message
      await app.database.db.execute(sql`update broadcasts set status = 'paused' where status = 'sending'`);
      app.clock.advance(5_000);
      await progress.tick(app.clock.now()); // the edit fails: the connection drops
      expect(text()).toContain('status message not updated');
      expect(text()).toContain('HttpError');
      // The scenario is real: the library's own serialisation would have printed it.
      const raw = await new Api(TOKEN, { apiRoot: platform.root }).editMessageText(1, 5, 'x').catch((e: unknown) => e);
      expect(JSON.stringify(pino.stdSerializers.err(raw as Error))).toContain(TOKEN);
      expect(text()).not.toContain(TOKEN);
      expect(text()).not.toContain(TOKEN.split(':')[1]);
    } finally {
      await platform.close();
    }
  });

  it('a Zalo call that fails is logged without the Zalo token, even when no one told the logger the token', async () => {
    const { log, text } = captured();
    const api = new ZaloApi({ token: ZALO_TOKEN, baseUrl: 'http://127.0.0.1:9', retries: 0, timeoutMs: 2_000 });
    const err = await api.getMe().catch((e: unknown) => e);
    log.warn({ err }, 'zalo: getMe failed');
    log.error({ url: `https://bot-api.zaloplatforms.com/bot${ZALO_TOKEN}/sendMessage` }, 'a URL logged by mistake');
    expect(text()).toContain('zalo: getMe failed');
    expect(text()).not.toContain(ZALO_TOKEN.split(':')[1]);
  });

  it('the configured secrets are hidden wherever they appear, and so are access tokens and a database password', () => {
    const config = testConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_WEBHOOK_SECRET: 'hook_secret_value_123',
      DATABASE_URL: 'postgres://bot:s3cr3t-pass@db:5432/bot',
      ZNS_APP_ID: '1234',
      ZNS_APP_SECRET: 'zns-app-secret-value',
      ZNS_REFRESH_TOKEN: 'zns-refresh-token-value',
      ZNS_TEMPLATES: 'reminder=201234',
    });
    const { log, text } = captured('debug', configSecrets(config));
    log.info({ note: 'header x-telegram-bot-api-secret-token=hook_secret_value_123' }, 'webhook');
    log.info({ body: '{"refresh_token":"rotated-refresh-456","app_id":"1234"}' }, 'zns oauth');
    log.info({ body: 'access_token=rotated-access-789&x=1' }, 'zns call');
    log.error({ err: new Error('connect to postgres://bot:s3cr3t-pass@db:5432/bot failed') }, 'db');
    log.info({ token: 'anything', secret: 'anything-else', headers: { authorization: 'Bearer abc' } }, 'keys that are secrets by name');
    log.info({ note: 'zns-app-secret-value and zns-refresh-token-value' }, 'seeds');
    const out = text();
    for (const secret of ['hook_secret_value_123', 's3cr3t-pass', 'rotated-refresh-456', 'rotated-access-789', 'anything', 'Bearer abc', 'zns-app-secret-value', 'zns-refresh-token-value']) {
      expect(out, secret).not.toContain(secret);
    }
    expect(out).toContain('postgres://bot:[hidden]@db:5432/bot');
  });
});

describe('personal data never reaches the log', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await staffApp();
  });
  afterAll(() => app.close());

  it('a failed query is logged without its parameters (a relative’s name, a phone)', async () => {
    const { log, text } = captured();
    const err = await app.database.db
      .execute(sql`select ${'Nguyễn Thị Hoa'}::text as name, ${'0912345678'}::date as n`)
      .catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain('Nguyễn Thị Hoa'); // what the driver hands back
    log.error({ err }, 'query failed');
    const out = text();
    expect(out).toContain('query failed');
    expect(out).toContain('Failed query');
    expect(out).not.toContain('Nguyễn Thị Hoa');
    expect(out).not.toContain('0912345678');
  });

  it('a unique violation is logged with its constraint, not the row’s values', async () => {
    const { log, text } = captured();
    await app.database.db.execute(sql`create temporary table people_t (phone text unique)`);
    await app.database.db.execute(sql`insert into people_t values ('0987654321')`);
    const err = await app.database.db.execute(sql`insert into people_t values ('0987654321')`).catch((e: unknown) => e);
    log.error({ err }, 'insert failed');
    expect(text()).toContain('people_t_phone_key');
    expect(text()).not.toContain('0987654321');
  });

  it('phone numbers are masked in any line, at any level, keeping the last three digits', () => {
    const { log, text } = captured('trace');
    log.debug({ note: 'gọi 0912 345 678? không; gọi 0912345678 hoặc +84912345679 hoặc 02253123456' }, 'debug');
    const out = text();
    expect(out).not.toMatch(/0912345678|84912345679|02253123456/);
    expect(out).toContain('*******678');
    expect(out).toContain('*********679');
  });

  it('ids, timestamps and counts are left alone', () => {
    const scrub = scrubber([]);
    const line = '{"time":1764460800000,"update_id":912345678,"chat":5012345678,"count":2000}';
    expect(scrub(line)).toBe(line);
  });
});
