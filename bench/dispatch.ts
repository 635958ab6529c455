import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { Api } from 'grammy';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { offsetClock } from '../src/core/clock.js';
import { openDatabase, rows, type Database, type Db } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { Dispatcher } from '../src/outbox/dispatcher.js';
import { enqueueSelect } from '../src/outbox/enqueue.js';
import { postgresLeaderLock, senderLockName } from '../src/outbox/leader.js';
import { defaultBurst } from '../src/outbox/rate-limit.js';
import { deferQuietHours } from '../src/outbox/quiet-hours.js';
import { claimBatch } from '../src/outbox/store.js';
import { createTelegramSender } from '../src/channels/telegram/sender.js';
import { benchPostgres, figure, percentile } from './support.js';

/**
 * The outbox benchmarks:
 * - dispatch.cap_ratio_30 / _1000: two replicas (two connections, advisory-lock
 *   leader) send through grammY's Api to a fake Bot API on loopback HTTP; the
 *   steady rate (after the bucket's initial burst) ÷ the configured cap.
 *   dispatch.peak_ratio_*: the busiest second ÷ the cap (the token bucket
 *   allows cap + burst, i.e. up to 1.05).
 * - dispatch.duplicates / dispatch.lost: what the fake Bot API received, per
 *   recipient, over both runs.
 * - claim.p99_ms (and p50): claiming a batch of 100 due rows beside a million
 *   pending rows due later (quick: 50,000, printed as claim.future_rows), each
 *   round as the dispatcher meets it: 100 rows arrive, are claimed, are recorded.
 *   Those are a running dispatcher's claims: the first 25 are warm-up (on each
 *   of the pool's connections the server prepares the statement and plans it
 *   five times before it keeps one plan; the first writes after the set-up's
 *   checkpoint copy whole pages to the WAL), and the very first is printed as
 *   claim.first_ms.
 * - rss.dispatch_mb: the process's peak resident memory while dispatching.
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
    const received = (await bot.dump()).got;
    const unique = new Set(received).size;
    out.push(figure('dispatch.duplicates', received.length - unique, 'messages'));
    out.push(figure('dispatch.lost', sent - unique, 'messages'));
    out.push(figure('rss.dispatch_mb', Math.round(peakRss / 2 ** 20), 'MB'));

    const future = opts.quick ? 50_000 : 1_000_000;
    const claim = await claimLatency(database.db, future, opts.quick ? 100 : 500);
    out.push(figure('claim.p99_ms', claim.p99, 'ms'));
    out.push(figure('claim.p50_ms', claim.p50, 'ms'));
    out.push(figure('claim.first_ms', claim.first, 'ms'));
    out.push(figure('claim.future_rows', future, 'rows'));
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
 * who got what. It runs in a worker thread, so its own CPU does not slow the
 * dispatcher's event loop (a real Bot API is another machine).
 */
export async function fakeBotApi() {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const http = require('node:http');
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
     server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
     parentPort.on('message', (m) => {
       if (m === 'dump') parentPort.postMessage({ got, times });
       if (m === 'close') server.close(() => parentPort.postMessage({ closed: true }));
     });`,
    { eval: true },
  );
  const next = <T>() => new Promise<T>((resolve) => worker.once('message', resolve));
  const { port } = await next<{ port: number }>();
  const dump = async () => {
    worker.postMessage('dump');
    return next<{ got: string[]; times: number[] }>();
  };
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    dump,
    close: async () => {
      worker.postMessage('close');
      await next();
      await worker.terminate();
    },
  };
}

type FakeBot = Awaited<ReturnType<typeof fakeBotApi>>;

/** n recipients, one message each, due now; two replicas send them at `cap`/s. */
async function capRun(db: Db, url: string, bot: FakeBot, cap: number, n: number) {
  const prefix = `cap${cap}-`;
  // Enqueued in quiet hours, the messages are due at 07:00: the dispatchers' clock
  // starts there (and runs in real time), so the bench works at any hour.
  const clock = offsetClock(deferQuietHours(new Date()));
  await rows(db, sql`insert into contacts (channel, platform_user_id, chat_id, locale)
    select 'telegram', ${prefix} || g, (${cap * 10_000_000}::bigint + g)::text, 'vi' from generate_series(1, ${n}::int) g`);
  await enqueueSelect(
    db,
    sql`select 'bench:' || c.chat_id as dedupe_key, c.id as contact_id, 'broadcast' as kind,
               jsonb_build_object('key', 'campaign.day', 'params', jsonb_build_object('n', c.id)) as payload,
               5 as priority, now() as due_at
        from contacts c where c.platform_user_id like ${`${prefix}%`}`,
  );
  const from = (await bot.dump()).got.length;
  const replicas: { database: Database; dispatcher: Dispatcher }[] = [];
  for (let i = 0; i < 2; i++) {
    const database = await openDatabase({ url, max: 3 });
    const api = new Api('1:bench', { apiRoot: bot.apiRoot });
    const dispatcher = new Dispatcher({
      db: database.db,
      channel: 'telegram',
      clock,
      leader: postgresLeaderLock({ url, name: senderLockName('telegram') }),
      limits: { perSecond: cap, perChatPerSecond: 1, burst: defaultBurst(cap) },
      sender: createTelegramSender(api, (m) => ({ text: `${m.payload.key} ${JSON.stringify(m.payload.params)}` })),
      quietHours: false, // the bench must not depend on the hour it runs at
      concurrency: 64,
    });
    replicas.push({ database, dispatcher });
  }
  const runs = replicas.map((r) => r.dispatcher.run({ idleMs: 10 }));
  const deadline = Date.now() + (n / cap) * 1000 * 3 + 10_000;
  for (;;) {
    const [left] = await rows<{ n: number }>(db, sql`select count(*)::int as n from outbox where dedupe_key like 'bench:%' and status in ('pending', 'sending')`);
    if (!left || Number(left.n) === 0) break;
    if (Date.now() > deadline) throw new Error(`cap ${cap}: ${left.n} messages not sent in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const r of replicas) await r.dispatcher.close();
  await Promise.all(runs);
  for (const r of replicas) await r.database.close();

  // Steady rate: after the bucket's initial burst, arrivals per second of the rest.
  const t = (await bot.dump()).times.slice(from);
  const skip = defaultBurst(cap);
  const span = (t[t.length - 1]! - t[skip]!) / 1000;
  const rate = (t.length - 1 - skip) / span;
  let peak = 0;
  for (let lo = 0, hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! >= 1000) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  // A run shorter than a second has no full window to judge.
  return { ratio: rate / cap, peak: t[t.length - 1]! - t[0]! >= 1000 ? peak / cap : Number.NaN, n };
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
    await rows(db, sql`update outbox set status = 'sent' where status = 'sending'`);
  }
  const first = Number(timings[0]!.toFixed(2));
  const running = timings.slice(warmup).sort((a, b) => a - b);
  return { p50: Number(percentile(running, 50).toFixed(2)), p99: Number(percentile(running, 99).toFixed(2)), first };
}
