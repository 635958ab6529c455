import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Bot, type Transformer } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/env.js';
import { createTelegramBot } from '../src/channels/telegram/bot.js';
import { systemClock } from '../src/core/clock.js';
import { openDatabase } from '../src/db/client.js';
import { loadFaqContent } from '../src/faq/matcher.js';
import { createLogger } from '../src/log.js';
import { benchPostgres, dbFigures, dbLimits, figure, percentile, rng, startProfile } from './support.js';

const BOT_INFO = { id: 42, is_bot: true, first_name: 'HP Bot', username: 'hp_health_bot' } as UserFromGetMe;

/** Answers every Bot API call in-process, as a fast Bot API would. */
const answerInProcess: Transformer = async (_prev, method, payload) => {
  if (method === 'sendMessage') {
    const p = payload as { chat_id: number | string; text: string };
    return { ok: true, result: { message_id: 1, date: 0, chat: { id: Number(p.chat_id), type: 'private' }, text: p.text } } as never;
  }
  return { ok: true, result: true } as never;
};

/**
 * A mix like real traffic: mostly free-text questions, some button presses, some
 * commands. Made one at a time as they are sent, as updates arrive: a list of
 * 20,000 made beforehand would be old objects the collector walks, which a
 * running bot does not hold. The same seed gives the same mix; `firstId` keeps
 * the ids distinct (the adapter drops redelivered ones).
 */
function syntheticUpdates(questions: string[], topics: string[], firstId: number): () => Update {
  const random = rng(7);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  let id = firstId;
  return () => {
    const i = id++;
    const user = 100_000 + Math.floor(random() * 2_000);
    const chat = { id: user, type: 'private' as const, first_name: 'U' };
    const from = { id: user, is_bot: false, first_name: 'U' };
    const r = random();
    if (r < 0.75) return { update_id: i, message: { message_id: i, date: 0, chat, from, text: pick(questions) } } as Update;
    if (r < 0.92) {
      const data = pick([`a:faq:${pick(topics)}`, 'a:prog:elderly', 'a:prog:premarital', 'a:menu', `a:fb:up:${pick(topics)}`]);
      return { update_id: i, callback_query: { id: String(i), from, chat_instance: '1', data, message: { message_id: 1, date: 0, chat, text: 'x' } } } as Update;
    }
    const text = pick(['/start', '/menu', '/help']);
    return { update_id: i, message: { message_id: i, date: 0, chat, from, text, entities: [{ type: 'bot_command', offset: 0, length: text.length }] } } as Update;
  };
}

/** Per-update latencies, and the free-text questions' own (a question is one read; the others may write and commit). */
function timings() {
  const latencies: number[] = [];
  const questions: number[] = [];
  const start = performance.now();
  return {
    start,
    record(u: Update, ms: number) {
      latencies.push(ms);
      if (u.message?.text && !u.message.text.startsWith('/')) questions.push(ms);
    },
    done(n: number, from = start) {
      const seconds = (performance.now() - from) / 1000;
      return { perSecond: n / seconds, latencies: latencies.sort((a, b) => a - b), questions: questions.sort((a, b) => a - b) };
    },
  };
}

/** Pushes `n` updates through `handle` with `concurrency` in flight, as fast as they go; returns per-update latencies. */
async function push(n: number, next: () => Update, handle: (u: Update) => Promise<void>, concurrency: number) {
  const t = timings();
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < n) {
        sent++;
        const u = next();
        const t0 = performance.now();
        await handle(u);
        t.record(u, performance.now() - t0);
      }
    }),
  );
  return t.done(n);
}

/**
 * Updates arriving at `rate` a second, each handled the moment it arrives (as
 * the runner hands them on, up to 500 at once, and as webhooks come in): the
 * latency the goal names, at a stated load. Each is timed from when it was due
 * to arrive, so a late timer or a busy loop counts against us.
 */
async function paced(n: number, next: () => Update, handle: (u: Update) => Promise<void>, rate: number) {
  const t = timings();
  const start = t.start + 5;
  // Counted, not kept: a list of every update's promise would grow the heap the collector walks.
  let open = 0;
  let sent = false;
  let allDone = (): void => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
    const u = next();
    open++;
    void handle(u).then(() => {
      t.record(u, performance.now() - due);
      if (--open === 0 && sent) allDone();
    });
  }
  sent = true;
  if (open > 0) await finished;
  return t.done(n, start);
}

export async function benchPipeline(opts: { quick: boolean }): Promise<string[]> {
  const pg = await benchPostgres();
  let queries = 0;
  // The pool as production opens it (openDatabase's default size), with a statement counter.
  const database = await openDatabase({ url: pg.url, onQuery: () => queries++ });
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    // As `npm start` builds it: the FAQ's matcher in worker threads (FAQ_WORKERS; default 1 on more than one core).
    const config = loadConfig(process.env.FAQ_WORKERS ? { FAQ_WORKERS: process.env.FAQ_WORKERS } : {});
    app = await createApp({ config, database, clock: systemClock, log: createLogger('silent') });
    const engine = app.engine;
    const faq = loadFaqContent();
    const bot = createTelegramBot({ token: '1:bench', apiRoot: 'http://unused', handle: (e) => engine.handle(e), log: createLogger('silent'), botInfo: BOT_INFO });
    bot.api.config.use(answerInProcess);
    const baseline = new Bot('1:bench', { botInfo: BOT_INFO });
    baseline.api.config.use(answerInProcess);
    baseline.on('message', (ctx) => ctx.reply('Xin chào!'));
    baseline.on('callback_query', async (ctx) => {
      await ctx.answerCallbackQuery();
      await ctx.reply('Xin chào!');
    });

    const entries = faq.entries;
    const questions = entries.flatMap((e) => e.questions);
    const topics = entries.map((e) => e.topic);
    const n = opts.quick ? 600 : 20_000;
    const warmup = 300;
    // Updates in flight at once in the closed loop. Its event loop is the limit (the text
    // work runs in the matcher worker), so a deeper queue adds only waiting: p99 ≈ depth / throughput.
    const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
    // The rate the latency goal is stated at (p99 ≤ 10 ms at 2,000 updates/s).
    const rate = Number(process.env.BENCH_RATE ?? 2_000);

    // Warm-up, then the measured updates, then the same mix again at the goal's rate: ids never repeat.
    const source = () => syntheticUpdates(questions, topics, 1);
    await push(warmup, source(), (u) => bot.handleUpdate(u), concurrency);
    // The server's bare round trip at the same depth: a question is one read, so this is its ceiling here.
    const limits = await dbLimits(pg.url, concurrency, opts.quick ? 0.3 : 2);
    queries = 0;
    // Where the time goes: this process's CPU per update (one event loop: at a depth of 8 the median
    // is mostly 8 updates' CPU queued one behind another) and how late its timers ran.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const profile = await startProfile(process.env.BENCH_CPU_PROFILE);
    const cpu0 = process.cpuUsage();
    const mix = syntheticUpdates(questions, topics, 1_000_000);
    const ours = await push(n, mix, (u) => bot.handleUpdate(u), concurrency);
    const cpu = process.cpuUsage(cpu0);
    await profile?.stop();
    delay.disable();
    const sqlPerMessage = queries / n;
    // The same mix again (new ids), arriving at the goal's rate.
    // How busy the event loop is at that rate (the matcher's workers not counted): its headroom for a stall.
    const elu0 = performance.eventLoopUtilization();
    const atRate = await paced(n, syntheticUpdates(questions, topics, 2_000_000), (u) => bot.handleUpdate(u), rate);
    const elu = performance.eventLoopUtilization(elu0);
    const base = await push(n, source(), (u) => baseline.handleUpdate(u), concurrency);
    return [
      figure('pipeline.updates_per_s', Math.round(ours.perSecond), 'updates/s'),
      figure('pipeline.rate_per_s', Math.round(atRate.perSecond), 'updates/s'),
      figure('pipeline.p50_ms', percentile(atRate.latencies, 50), 'ms'),
      figure('pipeline.p99_ms', percentile(atRate.latencies, 99), 'ms'),
      figure('pipeline.question_p50_ms', percentile(atRate.questions, 50), 'ms'),
      figure('pipeline.question_p99_ms', percentile(atRate.questions, 99), 'ms'),
      figure('pipeline.loop_utilisation', elu.utilization, 'ratio'),
      figure('pipeline.saturated_p50_ms', percentile(ours.latencies, 50), 'ms'),
      figure('pipeline.saturated_p99_ms', percentile(ours.latencies, 99), 'ms'),
      figure('pipeline.sql_per_message', sqlPerMessage, 'statements'),
      figure('pipeline.cpu_ms_per_update', (cpu.user + cpu.system) / 1000 / n, 'ms'),
      figure('pipeline.loop_delay_p99_ms', delay.percentile(99) / 1e6, 'ms'),
      figure('baseline.grammy_updates_per_s', Math.round(base.perSecond), 'updates/s'),
      ...dbFigures('pipeline', limits),
      figure('pipeline.db_ratio', ours.perSecond / limits.select1PerS, 'ratio'),
    ];
  } finally {
    await app?.stop();
    await database.close();
    await pg.stop();
  }
}
