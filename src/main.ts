import { run } from '@grammyjs/runner';
import { Api, webhookCallback } from 'grammy';
import pino from 'pino';
import { sql } from 'drizzle-orm';
import { buildApp, type App } from './app.js';
import { ALLOWED_UPDATES, createTelegramBot } from './channels/telegram.js';
import { runTerminal } from './channels/terminal.js';
import { ZaloApi } from './channels/zalo-api.js';
import { createZaloChannel } from './channels/zalo.js';
import { offsetClock, systemClock, type Clock } from './config/clock.js';
import { loadEnv, telegramWebhookMode, type Env } from './config/env.js';
import { openDatabase, type Database } from './db/client.js';
import { doctorJob } from './domain/doctor.js';
import { journeysJob } from './domain/journeys-jobs.js';
import { znsPhoneOf, znsSettings } from './domain/zns.js';
import { campaignJob } from './broadcasts/campaigns.js';
import { BroadcastProgress, type ProgressSink } from './broadcasts/progress.js';
import { BroadcastTexts } from './broadcasts/render.js';
import { broadcastSettings } from './broadcasts/desk.js';
import { telegramProgressSink } from './broadcasts/telegram-sink.js';
import { mediaHandler, telegramFileFetcher } from './broadcasts/media.js';
import type { ChannelName } from './engine/types.js';
import { loadFaqBundle } from './faq/bundle.js';
import { createHttpServer, listen, type Handler } from './http/server.js';
import { createLogger, type Logger } from './log.js';
import {
  Dispatcher,
  type DispatcherOptions,
  createTelegramSender,
  i18nRender,
  postgresLeaderLock,
  senderLockName,
  singleProcessLock,
  startScheduler,
  telegramLimits,
} from './outbox/index.js';
import { createZaloSender, zaloLimits } from './outbox/zalo-sender.js';
import { znsFallback } from './outbox/zns-fallback.js';
import {
  createZnsSender,
  loadZnsConfig,
  postgresZnsTokenStore,
  seedTokens,
  ZnsClient,
  znsLimits,
  znsTemplateData,
  type ZnsConfig,
} from './outbox/zns-sender.js';

type Stop = () => Promise<unknown>;

/** Channels that can edit a broadcast's status message in place (Telegram). */
const progressSinks: Partial<Record<ChannelName, ProgressSink>> = {};

/** What every chat dispatcher does with a message it can never deliver (with ZNS on: send it on by ZNS). */
const chatHooks: Pick<DispatcherOptions, 'onPermanentFailure'> = {};

async function main(): Promise<void> {
  const env = loadEnv();
  const terminal = !env.TELEGRAM_BOT_TOKEN && !env.ZALO_BOT_TOKEN;
  // In the terminal the chat owns stdout: logs go to stderr and only warnings unless asked.
  const log = terminal
    ? createLogger(process.env.LOG_LEVEL ? env.LOG_LEVEL : 'warn', pino.destination(2))
    : createLogger(env.LOG_LEVEL);
  broadcastSettings.dailyCap = env.BROADCAST_DAILY_CAP;
  const clock = env.FAKE_NOW ? offsetClock(new Date(env.FAKE_NOW)) : systemClock;
  const database = await openDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR });
  const app = await buildApp({ db: database.db, clock, log, faq: loadFaqBundle(), admins: env.ADMIN_TELEGRAM_IDS });
  app.gaps.start();
  log.info({ database: database.kind }, 'ready');

  if (terminal) {
    await runTerminal(app.engine, {
      input: process.stdin,
      output: process.stdout,
      interactive: Boolean(process.stdin.isTTY),
      prompt: app.i18n.getFixedT('vi')('terminal.prompt'),
    });
    await app.gaps.stop();
    await database.close();
    return;
  }

  const stops: Stop[] = [];
  const dispatchers: Dispatcher[] = [];
  const routes: { telegram?: Handler; zalo?: Handler; media?: Handler } = {};
  const zns = loadZnsConfig(); // throws when half configured: better now than at the first reminder
  if (zns) startZns(zns, env, app, log, dispatchers, database, clock);
  if (env.TELEGRAM_BOT_TOKEN) routes.telegram = await startTelegram(env, app, log, stops, dispatchers, database, clock);
  if (env.ZALO_BOT_TOKEN) routes.zalo = await startZalo(env, app, log, stops, dispatchers, database, clock);
  // Telegram authors' broadcast photos, served for Zalo, which takes only a URL (src/broadcasts/media.ts).
  if (env.TELEGRAM_BOT_TOKEN && env.PUBLIC_URL) {
    broadcastSettings.mediaBaseUrl = env.PUBLIC_URL;
    const api = new Api(env.TELEGRAM_BOT_TOKEN, { apiRoot: env.TELEGRAM_API_ROOT });
    routes.media = mediaHandler({ db: database.db, log, fetchFile: telegramFileFetcher({ api, token: env.TELEGRAM_BOT_TOKEN, apiRoot: env.TELEGRAM_API_ROOT }) });
  }

  const scheduler = startScheduler({ db: database.db, clock, log, dispatchers, jobs: [doctorJob, campaignJob, journeysJob] });
  stops.unshift(() => scheduler.stop());
  // Broadcasts: the live status message in the author's chat, and the report at the end.
  const progress = new BroadcastProgress({ db: database.db, i18n: app.i18n, sinks: progressSinks, log }).start(clock);
  stops.unshift(() => progress.stop());

  if (routes.telegram || routes.zalo || routes.media) {
    const server = createHttpServer({ ...routes, health: async () => (await database.db.execute(sql`select 1`), true) });
    const port = await listen(server, env.PORT);
    log.info({ port }, 'http server listening');
    stops.unshift(() => new Promise((r) => server.close(r)));
  }

  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    for (const stop of stops) await stop().catch((err) => log.warn({ err }, 'stop failed'));
    await app.gaps.stop();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/** Broadcast rows carry only the broadcast's id: its text is loaded once and rendered with the stop footer. */
let texts: BroadcastTexts | undefined;
const broadcastTexts = (database: Database, app: App) => (texts ??= new BroadcastTexts(database.db, app.i18n));

/** One sender per channel across replicas: a Postgres advisory-lock leader (PGlite is one process). */
const leaderFor = (env: Env, channel: string, log: Logger) =>
  env.DATABASE_URL ? postgresLeaderLock({ url: env.DATABASE_URL, name: senderLockName(channel), log }) : singleProcessLock();

async function startTelegram(
  env: Env, app: App, log: Logger, stops: Stop[], dispatchers: Dispatcher[], database: Database, clock: Clock,
): Promise<Handler | undefined> {
  const bot = createTelegramBot({ token: env.TELEGRAM_BOT_TOKEN!, apiRoot: env.TELEGRAM_API_ROOT, engine: app.engine, log });
  await bot.init();
  // The outbox sends without auto-retry: a 429 pauses the whole channel for every replica instead.
  const api = new Api(env.TELEGRAM_BOT_TOKEN!, { apiRoot: env.TELEGRAM_API_ROOT });
  const dispatcher = new Dispatcher({
    db: database.db, channel: 'telegram', clock, log, limits: telegramLimits({ paidBroadcast: env.TELEGRAM_PAID_BROADCAST }),
    sender: broadcastTexts(database, app).sender(
      createTelegramSender(api, broadcastTexts(database, app).render(i18nRender(app.i18n)), { paidBroadcast: env.TELEGRAM_PAID_BROADCAST }),
    ),
    leader: leaderFor(env, 'telegram', log),
    ...chatHooks,
  });
  dispatchers.push(dispatcher);
  progressSinks.telegram = telegramProgressSink(api);
  if (telegramWebhookMode(env)) {
    await bot.api.setWebhook(`${env.PUBLIC_URL!.replace(/\/$/, '')}/webhooks/telegram`, {
      secret_token: env.TELEGRAM_WEBHOOK_SECRET!,
      allowed_updates: [...ALLOWED_UPDATES],
    });
    log.info({ username: bot.botInfo.username }, 'telegram: webhook mode');
    return webhookCallback(bot, 'http', { secretToken: env.TELEGRAM_WEBHOOK_SECRET!, onTimeout: 'return' });
  }
  await bot.api.deleteWebhook();
  const runner = run(bot, { runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] } } });
  stops.push(async () => runner.isRunning() && runner.stop());
  log.info({ username: bot.botInfo.username }, 'telegram: long polling');
  return undefined;
}

async function startZalo(
  env: Env, app: App, log: Logger, stops: Stop[], dispatchers: Dispatcher[], database: Database, clock: Clock,
): Promise<Handler> {
  const zalo = createZaloChannel({
    token: env.ZALO_BOT_TOKEN!, apiBase: env.ZALO_API_BASE_URL, secret: env.ZALO_WEBHOOK_SECRET,
    engine: app.engine, i18n: app.i18n, log,
  });
  const me = await zalo.api.getMe(); // fails fast on a bad token
  if (env.ZALO_POLLING) {
    const abort = new AbortController();
    void zalo.poll(abort.signal);
    stops.push(async () => abort.abort());
  } else if (env.PUBLIC_URL && env.ZALO_WEBHOOK_SECRET) {
    await zalo.registerWebhook(env.PUBLIC_URL);
  } else {
    log.warn('zalo: PUBLIC_URL and ZALO_WEBHOOK_SECRET are needed for the webhook; every call will get 401');
  }
  stops.push(() => zalo.idle());
  const api = new ZaloApi({ token: env.ZALO_BOT_TOKEN!, baseUrl: env.ZALO_API_BASE_URL, retries: 0 });
  dispatchers.push(
    new Dispatcher({
      db: database.db, channel: 'zalo', clock, log, limits: zaloLimits(),
      sender: broadcastTexts(database, app).sender(createZaloSender({ api, render: broadcastTexts(database, app).render(i18nRender(app.i18n)), i18n: app.i18n })),
      leader: leaderFor(env, 'zalo', log),
      ...chatHooks,
    }),
  );
  log.info({ bot: me.account_name, polling: env.ZALO_POLLING }, 'zalo: ready');
  return zalo.webhook;
}

/**
 * ZNS (optional): the 'zns' dispatcher, at its own rate and with quiet hours
 * like the others, sends template messages to the numbers people agreed to;
 * the chat dispatchers hand it what they cannot deliver (zns-fallback.ts);
 * the booking flow asks for that consent.
 */
function startZns(
  config: ZnsConfig, env: Env, app: App, log: Logger, dispatchers: Dispatcher[], database: Database, clock: Clock,
): void {
  const client = new ZnsClient({ config, store: postgresZnsTokenStore(database.db, seedTokens(config, clock.now())), clock, log });
  dispatchers.push(
    new Dispatcher({
      db: database.db, channel: 'zns', clock, log, limits: znsLimits(config),
      sender: createZnsSender({ config, client, phoneOf: (id) => znsPhoneOf(database.db, id), data: znsTemplateData(app.i18n) }),
      leader: leaderFor(env, 'zns', log),
    }),
  );
  chatHooks.onPermanentFailure = znsFallback({ db: database.db, clock, templates: config.templates });
  znsSettings.offered = true;
  log.info({ templates: Object.keys(config.templates), perSecond: config.perSecond }, 'zns: ready');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
