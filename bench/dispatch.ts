import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Api } from 'grammy';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { offsetClock } from '../src/core/clock.js';
import { openDatabase, rows, type Database, type Db } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { Dispatcher } from '../src/outbox/dispatcher.js';
import { startDispatchers } from '../src/outbox/driver.js';
import { enqueueSelect } from '../src/outbox/enqueue.js';
import { postgresLeaderLock, senderLockName, singleProcessLock } from '../src/outbox/leader.js';
import { defaultBurst } from '../src/outbox/rate-limit.js';
import { deferQuietHours } from '../src/outbox/quiet-hours.js';
import { claimBatch, emptyOutcomes, recordOutcomes } from '../src/outbox/store.js';
import { createTelegramSender } from '../src/channels/telegram/sender.js';
import { benchPostgres, dbFigures, dbLimits, figure, percentile } from './support.js';

/** The dispatcher's default retry policy (the claim bench records as it does). */
const RETRY = { maxAttempts: 5, backoffMs: () => 30_000 };

/**
 * The outbox benchmarks. Every dispatcher here is driven as production drives
 * it (src/outbox/driver.ts startDispatchers) and sends through grammY's Api to
 * a fake Bot API on loopback HTTP, in a process of its own.
 * - dispatch.cap_ratio_30 / _1000: two replicas in this process (two
 *   connections, advisory-lock leader); the steady rate (after the bucket's
 *   initial burst) ÷ the configured cap. dispatch.peak_ratio_*: the busiest
 *   second ÷ the cap (the token bucket allows cap + burst, i.e. up to 1.05;
 *   arrivals bunched by the loopback can show a little more).
 * - dispatch.max_per_s: one dispatcher with no cap to speak of: the headroom
 *   under the caps; dispatch.db_ratio: that ÷ the server's bare round trips.
 * - dispatch.duplicates / dispatch.lost: what the fake Bot API received, per
 *   recipient, over those runs.
 * - rss.dispatch_mb: this process's peak resident memory during those runs
 *   (each suite runs in a process of its own: bench/run.ts).
 * - dispatch.two_process_*: two dispatcher processes (bench/dispatch-child.ts)
 *   against the one database at 1,000/s; half-way the leader is stopped and the
 *   other takes over. The cap is shared and nothing is sent twice.
 * - claim.p99_ms (and p50): claiming a batch of 100 due rows beside a million
 *   pending rows due later (quick: 50,000, printed as claim.future_rows), each
 *   round as the dispatcher meets it: 100 rows arrive, are claimed, are recorded.
 *   Those are a running dispatcher's claims: the first 25 are warm-up (on each
 *   of the pool's connections the server prepares the statement and plans it
 *   five times before it keeps one plan; the first writes after the set-up's
 *   checkpoint copy whole pages to the WAL), and the very first is printed as
 *   claim.first_ms. claim.db_ratio: the p99 claim in bare round trips.
 */
export async function benchDispatch(opts: { quick: boolean }): Promise<string[]> {
  const pg = await benchPostgres();
  const target = await scratchDatabase(pg.url);
  const bot = await fakeBotApi();
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const database = await openDatabase({ url: target.url, max: 4 });
  try {
    await migrate(database.db);
    const out: string[] = [];
    let sent = 0;
    for (const cap of [30, 1000]) {
      const seconds = opts.quick ? 2 : cap === 30 ? 20 : 10;
      const r = await capRun(database.db, target.url, bot, cap, cap * seconds);
      out.push(figure(`dispatch.cap_ratio_${cap}`, r.ratio, 'ratio'));
      out.push(figure(`dispatch.peak_ratio_${cap}`, r.peak, 'ratio'));
      sent += r.n;
    }
    const maxN = opts.quick ? 1_000 : 10_000;
    const maxPerS = await maxRun(database.db, bot, maxN);
    sent += maxN;
    clearInterval(sampler);
    const received = (await bot.dump()).got;
    const unique = new Set(received).size;
    out.push(figure('dispatch.duplicates', received.length - unique, 'messages'));
    out.push(figure('dispatch.lost', sent - unique, 'messages'));
    out.push(figure('rss.dispatch_mb', Math.round(peakRss / 2 ** 20), 'MB'));

    const two = await twoProcessRun(database.db, target.url, bot, 1000, opts.quick ? 2_000 : 10_000);
    out.push(figure('dispatch.two_process_cap_ratio', two.ratio, 'ratio'));
    out.push(figure('dispatch.two_process_peak_ratio', two.peak, 'ratio'));
    out.push(figure('dispatch.two_process_duplicates', two.duplicates, 'messages'));
    out.push(figure('dispatch.two_process_lost', two.lost, 'messages'));

    // The server's own round trip, on one connection as the claim runs.
    const limits = await dbLimits(target.url, 1, opts.quick ? 0.3 : 2);
    out.push(figure('dispatch.max_per_s', Math.round(maxPerS), 'messages/s'));
    out.push(...dbFigures('dispatch', limits));
    out.push(figure('dispatch.db_ratio', maxPerS / limits.select1PerS, 'ratio'));

    const future = opts.quick ? 50_000 : 1_000_000;
    const claim = await claimLatency(database.db, future, opts.quick ? 100 : 500);
    out.push(figure('claim.p99_ms', claim.p99, 'ms'));
    out.push(figure('claim.p50_ms', claim.p50, 'ms'));
    out.push(figure('claim.first_ms', claim.first, 'ms'));
    out.push(figure('claim.future_rows', future, 'rows'));
    // The p99 claim in bare round trips of this server.
    out.push(figure('claim.db_ratio', (claim.p99 * limits.select1PerS) / 1000, 'ratio'));
    return out;
  } finally {
    clearInterval(sampler);
    await database.close();
    await bot.close();
    await target.drop();
    await pg.stop();
  }
}

/** A database of our own on the bench server, dropped afterwards (a million rows are not left behind). */
export async function scratchDatabase(serverUrl: string) {
  const name = `bench_dispatch_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/**
 * A Bot API on loopback that answers every sendMessage at once and remembers
 * who got what. It runs in a process of its own (plain Node, no TypeScript
 * loader): a real Bot API is another machine, so neither its CPU nor its memory
 * (every message it received) is the dispatcher's.
 */
export async function fakeBotApi() {
  const code = `const http = require('node:http');
     const got = [], times = [];
     const server = http.createServer((req, res) => {
       const chunks = [];
       req.on('data', (c) => chunks.push(c));
       req.on('end', () => {
         const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
         got.push(body.chat_id + '|' + body.text);
         times.push(performance.timeOrigin + performance.now());
         res.setHeader('content-type', 'application/json');
         res.end(JSON.stringify({ ok: true, result: { message_id: got.length, date: 0, chat: { id: Number(body.chat_id), type: 'private' }, text: body.text } }));
       });
     });
     server.keepAliveTimeout = 30000;
     server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
     process.on('message', (m) => {
       if (m === 'count') process.send({ count: got.length });
       if (m === 'dump') process.send({ got, times });
       if (m === 'close') server.close(() => process.exit(0));
     });
     process.on('disconnect', () => process.exit(0));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  const { port } = await next<{ port: number }>();
  const dump = async () => {
    const reply = next<{ got: string[]; times: number[] }>();
    child.send('dump');
    return reply;
  };
  const count = async () => {
    const reply = next<{ count: number }>();
    child.send('count');
    return (await reply).count;
  };
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    dump,
    count,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('close');
      await exited;
    },
  };
}

type FakeBot = Awaited<ReturnType<typeof fakeBotApi>>;

/**
 * `n` new contacts with one message each, due now (at 07:00 if now is in quiet
 * hours: the dispatchers' clock starts there, `clockStart`, and runs in real time,
 * so the benches work at any hour). Keys are `bench:<chat>`, chats `base + i`.
 */
async function enqueueRun(db: Db, prefix: string, base: number, n: number) {
  await rows(db, sql`insert into contacts (channel, platform_user_id, chat_id, locale)
    select 'telegram', ${prefix} || g, (${base}::bigint + g)::text, 'vi' from generate_series(1, ${n}::int) g`);
  await enqueueSelect(
    db,
    sql`select 'bench:' || c.chat_id as dedupe_key, c.id as contact_id, 'broadcast' as kind,
               jsonb_build_object('key', 'campaign.day', 'params', jsonb_build_object('n', c.id)) as payload,
               5 as priority, now() as due_at
        from contacts c where c.platform_user_id like ${`${prefix}%`}`,
  );
  return { clockStart: deferQuietHours(new Date()) };
}

/** Waits until no 'bench:' row is pending or in flight. */
async function allSent(db: Db, what: string, deadline: number) {
  for (;;) {
    const [left] = await rows<{ n: number }>(db, sql`select count(*)::int as n from outbox where dedupe_key like 'bench:%' and status in ('pending', 'sending')`);
    if (!left || Number(left.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`${what}: ${left.n} messages not sent in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Arrival times → the steady rate after the bucket's initial burst, and the busiest second (NaN for a run under a second). */
function rates(t: number[], cap: number) {
  const skip = defaultBurst(cap);
  const span = (t[t.length - 1]! - t[skip]!) / 1000;
  const rate = (t.length - 1 - skip) / span;
  let peak = 0;
  for (let lo = 0, hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! >= 1000) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return { ratio: rate / cap, peak: t[t.length - 1]! - t[0]! >= 1000 ? peak / cap : Number.NaN };
}

const telegramSender = (bot: FakeBot) =>
  createTelegramSender(new Api('1:bench', { apiRoot: bot.apiRoot }), (m) => ({ text: `${m.payload.key} ${JSON.stringify(m.payload.params)}` }));

/** n recipients, one message each, due now; two replicas (in this process) send them at `cap`/s. */
async function capRun(db: Db, url: string, bot: FakeBot, cap: number, n: number) {
  const { clockStart } = await enqueueRun(db, `cap${cap}-`, cap * 10_000_000, n);
  const clock = offsetClock(clockStart);
  const from = await bot.count();
  const replicas: { database: Database; dispatcher: Dispatcher }[] = [];
  for (let i = 0; i < 2; i++) {
    const database = await openDatabase({ url, max: 3 });
    const dispatcher = new Dispatcher({
      db: database.db,
      channel: 'telegram',
      clock,
      leader: postgresLeaderLock({ url, name: senderLockName('telegram') }),
      limits: { perSecond: cap, perChatPerSecond: 1, burst: defaultBurst(cap) },
      sender: telegramSender(bot),
      quietHours: false, // the bench must not depend on the hour it runs at
      concurrency: 64,
    });
    replicas.push({ database, dispatcher });
  }
  // Each replica drives its dispatcher as production does (src/outbox/driver.ts).
  const drivers = replicas.map((r) => startDispatchers([r.dispatcher]));
  await allSent(db, `cap ${cap}`, Date.now() + (n / cap) * 1000 * 3 + 10_000);
  for (const d of drivers) await d.stop();
  for (const r of replicas) await r.database.close();
  return { ...rates((await bot.dump()).times.slice(from), cap), n };
}

/**
 * Two dispatcher processes (bench/dispatch-child.ts, each a replica as
 * production runs one) against one database send n messages at `cap`/s.
 * Half-way the leading one is stopped, as a deploy or a scale-in stops a
 * replica, and the other takes over. The cap is shared (the rate over the whole
 * send is the cap's, the busiest second within cap + burst, not twice that) and
 * nothing is sent twice.
 */
async function twoProcessRun(db: Db, url: string, bot: FakeBot, cap: number, n: number) {
  const { clockStart } = await enqueueRun(db, `two${cap}-`, 50_000_000_000, n);
  const from = await bot.count();
  const child = fileURLToPath(new URL('./dispatch-child.ts', import.meta.url));
  const offset = clockStart.getTime() - Date.now();
  const procs = [0, 1].map(() => {
    const p = spawn(process.execPath, [...process.execArgv, child, url, bot.apiRoot, String(cap), String(offset)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const said = new Set<string>();
    const exited = new Promise<number | null>((resolve) => p.once('exit', resolve));
    p.on('message', (m) => said.add(String(m)));
    return { p, said, exited };
  });
  const deadline = Date.now() + (n / cap) * 1000 * 3 + 30_000;
  const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`two processes: no ${what} in time`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await until('leader', () => procs.some((c) => c.said.has('leading')));
    await until('half of the messages', async () => (await bot.count()) - from >= n / 2);
    const first = procs.find((c) => c.said.has('leading'))!;
    first.p.send('stop');
    await first.exited;
    await allSent(db, 'two processes', deadline);
    const other = procs.find((c) => c !== first)!;
    const tookOver = other.said.has('leading');
    other.p.send('stop');
    await other.exited;
    if (!tookOver) throw new Error('two processes: the second never led');
  } finally {
    for (const c of procs) if (c.p.exitCode === null) c.p.kill('SIGKILL');
  }
  const dump = await bot.dump();
  const got = dump.got.slice(from);
  if (process.env.BENCH_DEBUG) {
    const t = dump.times.slice(from);
    let gap = 0, at = 0;
    for (let i = 1; i < t.length; i++) if (t[i]! - t[i - 1]! > gap) { gap = t[i]! - t[i - 1]!; at = i; }
    console.error(`two processes: ${t.length} in ${((t[t.length - 1]! - t[0]!) / 1000).toFixed(2)} s, longest gap ${gap.toFixed(0)} ms after #${at}`);
  }
  return { ...rates(dump.times.slice(from), cap), duplicates: got.length - new Set(got).size, lost: n - new Set(got).size };
}

/** One dispatcher with no cap to speak of: how fast this process can send at all, i.e. the headroom under the caps. */
async function maxRun(db: Db, bot: FakeBot, n: number) {
  const { clockStart } = await enqueueRun(db, 'max-', 90_000_000_000, n);
  const from = await bot.count();
  const perSecond = 1_000_000;
  const driver = startDispatchers([
    new Dispatcher({
      db, channel: 'telegram', clock: offsetClock(clockStart), leader: singleProcessLock(),
      limits: { perSecond, perChatPerSecond: 1, burst: defaultBurst(perSecond) },
      sender: telegramSender(bot), quietHours: false, concurrency: 64,
    }),
  ]);
  await allSent(db, 'max', Date.now() + 120_000);
  await driver.stop();
  const t = (await bot.dump()).times.slice(from);
  return (t.length - 1) / ((t[t.length - 1]! - t[0]!) / 1000);
}

/** Latency of claiming 100 due rows while `future` pending rows wait for later dates. */
async function claimLatency(db: Db, future: number, rounds: number): Promise<{ p50: number; p99: number; first: number }> {
  const [owner] = await rows<{ id: number }>(db, sql`insert into contacts (channel, platform_user_id, chat_id, locale)
    values ('telegram', 'claim-owner', 'claim-owner', 'vi') returning id`);
  const contactId = Number(owner!.id);
  // Due from tomorrow on, spread over priorities 1..9 as real reminders, invites and broadcasts are.
  for (let from = 1; from <= future; from += 250_000) {
    const to = Math.min(future, from + 249_999);
    await rows(db, sql`insert into outbox (dedupe_key, contact_id, channel, chat_id, kind, payload, priority, due_at)
      select 'future:' || g, ${contactId}, 'telegram', 'f' || g, 'reminder', '{"key":"reminder.d1"}'::jsonb,
             1 + g % 9, now() + interval '1 day' + g * interval '1 second'
      from generate_series(${from}::int, ${to}::int) g`);
  }
  // The bulk load is set-up, not the claim's cost: settle it first.
  await db.execute(sql`vacuum analyze outbox`);
  await db.execute(sql`checkpoint`);
  const warmup = 25;
  const timings: number[] = [];
  for (let round = -warmup; round < rounds; round++) {
    await rows(db, sql`insert into outbox (dedupe_key, contact_id, channel, chat_id, kind, payload, priority, due_at)
      select 'due:' || ${round} || ':' || g, ${contactId}, 'telegram', 'd' || g, 'reminder', '{"key":"reminder.d1"}'::jsonb,
             g % 10, now() - g * interval '1 second'
      from generate_series(1, 100) g`);
    const t0 = performance.now();
    const claimed = await claimBatch(db, { channel: 'telegram', now: new Date(), limit: 100, maxPriority: 9 });
    timings.push(performance.now() - t0);
    if (claimed.length !== 100) throw new Error(`claimed ${claimed.length} of 100 due rows`);
    // Recorded as the dispatcher records a batch: by id, with its claim row.
    await recordOutcomes(db, { ...emptyOutcomes(), sent: claimed.map((m) => m.id), batch: claimed.batch }, new Date(), RETRY);
  }
  const first = Number(timings[0]!.toFixed(2));
  const running = timings.slice(warmup).sort((a, b) => a - b);
  return { p50: Number(percentile(running, 50).toFixed(2)), p99: Number(percentile(running, 99).toFixed(2)), first };
}
