import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../src/config/paths.js';
import { rows } from '../src/db/client.js';
import { freshDatabase } from './support/db.js';

// npm start with ZNS configured, on a Postgres server so the test can queue rows while it runs:
// one local HTTP server plays the Telegram Bot API, Zalo's OAuth and ZNS.

const CHAT_GONE = '555';
const calls: { path: string; body: any; headers: Record<string, unknown> }[] = [];
let server: Server;
let base = '';
let database: Awaited<ReturnType<typeof freshDatabase>>;

beforeAll(async () => {
  database = await freshDatabase(2);
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const path = req.url ?? '';
      const body = text.startsWith('{') ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text));
      calls.push({ path, body, headers: req.headers });
      const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      const method = path.split('/').pop();
      if (path === '/v4/oa/access_token') return json(200, { access_token: 'access-1', refresh_token: 'refresh-1', expires_in: '90000' });
      if (path === '/message/template') return json(200, { error: 0, message: 'Success', data: { msg_id: 'z1' } });
      if (method === 'getMe') return json(200, { ok: true, result: { id: 42, is_bot: true, first_name: 'HP', username: 'hp_bot' } });
      if (method === 'getUpdates') return setTimeout(() => json(200, { ok: true, result: [] }), 200);
      if (method === 'sendMessage' && String(body.chat_id) === CHAT_GONE) {
        return json(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' });
      }
      return json(200, { ok: true, result: true });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.close();
  await database.close();
});

function start(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|TEST_DATABASE_URL|TELEGRAM_|ZALO_|ZNS_|PUBLIC_URL|LOG_LEVEL)/.test(k)));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: projectRoot, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

async function until(what: () => boolean | Promise<boolean>, ms = 45_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !(await what())) await new Promise((r) => setTimeout(r, 200));
}

const zns = { ZNS_APP_ID: 'app-1', ZNS_APP_SECRET: 'secret', ZNS_REFRESH_TOKEN: 'refresh-0', ZNS_TEMPLATES: 'session.changed=201235' };

describe('npm start with ZNS', () => {
  it('refuses to start half configured', async () => {
    const run = start({ DATABASE_URL: database.url, TELEGRAM_BOT_TOKEN: '1:abc', TELEGRAM_API_ROOT: base, PORT: '0', ZNS_APP_ID: 'app-1' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('ZNS_APP_SECRET, ZNS_REFRESH_TOKEN, ZNS_TEMPLATES are missing');
  }, 60_000);

  it('sends on by ZNS what Telegram cannot deliver, and keeps the rotated refresh token', async () => {
    const run = start({
      DATABASE_URL: database.url, TELEGRAM_BOT_TOKEN: '1:abc', TELEGRAM_API_ROOT: base, PORT: '0', LOG_LEVEL: 'info',
      ...zns, ZNS_API_BASE_URL: base, ZNS_OAUTH_BASE_URL: base,
    });
    try {
      await until(() => run.output().includes('zns: ready'));
      expect(run.output()).toContain('zns: ready');
      const q = (query: ReturnType<typeof sql>) => rows<Record<string, any>>(database.db, query);
      const [c] = await q(sql`insert into contacts (channel, platform_user_id, chat_id) values ('telegram', ${CHAT_GONE}, ${CHAT_GONE}) returning id`);
      await q(sql`insert into zns_recipients (contact_id, phone, consented_at) values (${c!.id}, '+84912345678', now())`);
      // Urgent (priority 0), so quiet hours do not hold it whatever the hour the test runs at.
      await q(sql`insert into outbox (dedupe_key, contact_id, channel, chat_id, kind, payload, priority, due_at)
                  values ('appt:1:v2:changed', ${c!.id}, 'telegram', ${CHAT_GONE}, 'session.changed',
                          ${JSON.stringify({ key: 'notices.changed', params: { date: '15/12', time: '7:30' } })}::jsonb, 0, now())`);
      await until(() => calls.some((x) => x.path === '/message/template'));
      const sent = calls.find((x) => x.path === '/message/template')!;
      expect(sent.body).toEqual({ phone: '84912345678', template_id: '201235', template_data: { date: '15/12', time: '7:30' }, tracking_id: 'appt:1:v2:changed:zns' });
      expect(sent.headers.access_token).toBe('access-1');
      await until(async () => (await q(sql`select status from outbox where dedupe_key = 'appt:1:v2:changed:zns'`))[0]?.status === 'sent', 10_000);
      const outbox = await q(sql`select dedupe_key, status, last_error from outbox order by id`);
      expect(outbox).toEqual([
        { dedupe_key: 'appt:1:v2:changed', status: 'failed', last_error: '400 Bad Request: chat not found; sent on by ZNS as appt:1:v2:changed:zns' },
        { dedupe_key: 'appt:1:v2:changed:zns', status: 'sent', last_error: null },
      ]);
      expect(await q(sql`select refresh_token from zns_tokens`)).toEqual([{ refresh_token: 'refresh-1' }]);
    } finally {
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    }
  }, 90_000);
});
