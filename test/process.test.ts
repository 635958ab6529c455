import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../src/config/paths.js';
import { createHttp } from '../src/http/server.js';
import { createLogger } from '../src/log.js';
import { isDroppedTypesFetch } from '../src/db/driver-faults.js';
import { exitOnCrash, stopOnSignals } from '../src/process.js';
import { freshDatabase } from './support/db.js';
import { freePort, startThrowawayPostgres } from './support/postgres-server.js';

const TOKEN = '7000000001:AAprocess-test-token-value';

/** `npm start`'s program as a child process, configured only by `env`; stdout and stderr kept. */
function startBot(env: Record<string, string>, o: { npm?: boolean } = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|TEST_DATABASE_URL|TELEGRAM_|ZALO_|ZNS_|PUBLIC_URL|LOG_LEVEL|PORT|STARTUP_)/.test(k)));
  const child: ChildProcess = o.npm
    ? spawn('npm', ['start', '--silent'], { cwd: projectRoot, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: projectRoot, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b) => (out += String(b)));
  child.stderr!.on('data', (b) => (out += String(b)));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, output: () => out };
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const health = (port: number) =>
  fetch(`http://127.0.0.1:${port}/healthz`).then(
    async (r) => ({ status: r.status, body: await r.text() }),
    () => null,
  );

/** A fake Telegram Bot API that records the methods called on it. */
async function fakeTelegram(): Promise<{ root: string; calls: string[]; close(): Promise<void> }> {
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    const method = (req.url ?? '').split('/').pop()!;
    calls.push(method);
    req.resume();
    const ok = (result: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
    if (method === 'getMe') return ok({ id: 7000000001, is_bot: true, first_name: 'HP', username: 'hp_bot', can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false });
    if (method === 'getUpdates') return setTimeout(() => ok([]), 200);
    return ok(true);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { root: `http://127.0.0.1:${port}`, calls, close: () => new Promise((r) => server.close(() => r())) };
}

let database: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  database = await freshDatabase(2);
});
afterAll(() => database.close());

describe('start-up', () => {
  it('an unreachable Telegram: each retry logged with its delay, /healthz "starting" (503) meanwhile, then a clear message and exit 1', async () => {
    const port = await freePort();
    const closed = await freePort(); // nothing listens there
    const bot = startBot({ DATABASE_URL: database.url, TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: `http://127.0.0.1:${closed}`, PORT: String(port), STARTUP_TIMEOUT_SECONDS: '4', LOG_LEVEL: 'info' });
    await waitFor(async () => (await health(port)) !== null, 'the health endpoint');
    expect(await health(port)).toEqual({ status: 503, body: expect.stringContaining('starting') });
    const code = await bot.exited;
    expect(code).toBe(1);
    const out = bot.output();
    expect(out).toMatch(/"event":"channel.connect.retry".*"attempt":1,"delayMs":1000/);
    expect(out).toMatch(/"attempt":2,"delayMs":2000/);
    expect(out).toMatch(/telegram: getMe failed for \d+ s \(HttpError ECONNREFUSED\): the platform cannot be reached/);
    expect(out).not.toContain(TOKEN.split(':')[1]);
  }, 60_000);

  it('with PORT in use it stops before telling Telegram any address (no setWebhook)', async () => {
    const telegram = await fakeTelegram();
    const taken = createServer(() => {});
    await new Promise<void>((r) => taken.listen(0, r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const bot = startBot({
        DATABASE_URL: database.url,
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: telegram.root,
        TELEGRAM_WEBHOOK_SECRET: 'process_test_secret',
        PUBLIC_URL: 'https://bot.example.vn',
        PORT: String(port),
      });
      expect(await bot.exited).toBe(1);
      expect(bot.output()).toContain('EADDRINUSE');
      expect(telegram.calls).not.toContain('setWebhook');
    } finally {
      taken.close();
      await telegram.close();
    }
  }, 60_000);
});

describe('the terminal chat', () => {
  it('keeps log lines out of the conversation: they go to data/bot.log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hp-bot-terminal-'));
    try {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|TEST_DATABASE_URL|TELEGRAM_|ZALO_|ZNS_|PUBLIC_URL|LOG_LEVEL|PORT)/.test(k)));
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: projectRoot,
        env: { ...clean, DATABASE_URL: database.url, DATA_DIR: dataDir, PORT: String(await freePort()) },
        input: 'be bi co giat\n',
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('115'); // the safety route answered in the chat
      expect(run.stdout + run.stderr).not.toMatch(/"level":\d+/);
      expect(readFileSync(join(dataDir, 'bot.log'), 'utf8')).toMatch(/"event":"safety"/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('stopping', () => {
  it('Ctrl-C under npm start (SIGINT to the process group, npm passing it on) drains once and exits 0', async () => {
    const telegram = await fakeTelegram();
    const port = await freePort();
    try {
      const bot = startBot({ DATABASE_URL: database.url, TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: telegram.root, PORT: String(port), LOG_LEVEL: 'info' }, { npm: true });
      await waitFor(async () => (await health(port))?.status === 200, 'ready');
      process.kill(-bot.child.pid!, 'SIGINT');
      process.kill(-bot.child.pid!, 'SIGTERM');
      await bot.exited; // npm's own exit: by the signal it was sent
      await waitFor(() => /"msg":"stopped"/.test(bot.output()), 'the bot to stop', 20_000);
      expect(bot.output().match(/shutting down/g)).toHaveLength(1);
      expect(bot.output().match(/"msg":"stopped"/g)).toHaveLength(1);
      expect(bot.output()).not.toMatch(/stop failed|"level":50/);
    } finally {
      await telegram.close();
    }
  }, 60_000);

  it('the guards, in-process: a second signal is ignored, a crash is logged and exits 1', async () => {
    const proc = new EventEmitter();
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) });
    const exits: number[] = [];
    let stops = 0;
    let finish!: () => void;
    stopOnSignals(
      proc,
      () =>
        new Promise<void>((r) => {
          stops++;
          finish = r;
        }),
      log,
      (c) => exits.push(c),
    );
    exitOnCrash(proc, log, (c) => exits.push(c));
    proc.emit('SIGTERM');
    proc.emit('SIGINT');
    expect(stops).toBe(1);
    finish();
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([0]);
    proc.emit('unhandledRejection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expect(exits).toEqual([0, 1]);
    expect(lines.join('')).toMatch(/"level":60.*"event":"process.crash".*"code":"ECONNRESET"/);
    // A query nobody awaited names itself by its SQL (what an outage crash left us guessing at).
    const query = Object.assign(Promise.resolve(), { string: 'select found_contact,\n  found_state from lock_and_find_contact($1, $2)' });
    proc.emit('unhandledRejection', new Error('read ECONNRESET'), query);
    expect(lines.at(-1)).toContain('"statement":"select found_contact, found_state from lock_and_find_contact($1, $2)"');
  });
});

describe('a rejection the database driver drops', () => {
  it('is logged and the process goes on; any other still ends it', () => {
    // The catalog query exactly as the installed postgres.js sends it, and its error as it shapes it (queryError).
    const source = readFileSync(join(projectRoot, 'node_modules/postgres/src/connection.js'), 'utf8');
    const typesQuery = /async function fetchArrayTypes\(\)[\s\S]*?new Query\(\[`([\s\S]*?)`\]/.exec(source)?.[1];
    expect(typesQuery).toContain('pg_catalog.pg_type');
    const shaped = (query: string) => Object.defineProperties(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), { query: { value: query, enumerable: false } });
    const proc = new EventEmitter();
    const lines: string[] = [];
    const exits: number[] = [];
    exitOnCrash(proc, createLogger('info', { write: (l: string) => void lines.push(l) }), (c) => exits.push(c), { harmless: isDroppedTypesFetch });
    proc.emit('unhandledRejection', shaped(typesQuery!), Promise.resolve());
    expect(exits).toEqual([]);
    expect(lines.join('')).toMatch(/"level":40.*"event":"process.rejection.harmless"/);
    proc.emit('unhandledRejection', shaped('select 1'), Promise.resolve());
    expect(exits).toEqual([1]);
  });
});

describe('the database goes away under a running bot', () => {
  it('/healthz answers 503 in seconds when the database does not answer at all', async () => {
    const http = createHttp({ readiness: () => 'ready', database: () => new Promise(() => {}) });
    const started = Date.now();
    const res = await http.request('/healthz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ok: false, status: 'ready', db: false });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('the process does not die of an unhandled error: it logs and reports not ready', async () => {
    const pg = await startThrowawayPostgres();
    const port = await freePort();
    const telegram = await fakeTelegram();
    const bot = startBot({ DATABASE_URL: pg.url, TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: telegram.root, PORT: String(port), LOG_LEVEL: 'info' });
    try {
      await waitFor(async () => (await health(port))?.status === 200, 'ready');
      await pg.stop();
      let seen: unknown;
      await waitFor(async () => (seen = await health(port)) !== null && (seen as { status: number }).status === 503, 'not ready once the database is gone', 20_000).catch((err: Error) => {
        throw new Error(`${err.message}; /healthz last gave ${JSON.stringify(seen)}, exit ${bot.child.exitCode}:\n${bot.output().slice(-3000)}`);
      });
      await new Promise((r) => setTimeout(r, 3_000)); // the scheduler and dispatchers meet the dead server meanwhile
      expect(bot.child.exitCode, bot.output()).toBeNull();
      expect(bot.output()).not.toContain('"event":"process.crash"');
    } finally {
      bot.child.kill('SIGTERM');
      await bot.exited;
      await telegram.close();
    }
  }, 120_000);
});
