import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Hono } from 'hono';
import type { i18n } from 'i18next';
import { modules } from '../flows/index.js';
import { loadMenu } from '../flows/menu.js';
import { campaignJob } from './broadcasts/campaigns.js';
import { mediaRoutes } from './broadcasts/media.js';
import { BroadcastProgress } from './broadcasts/progress.js';
import { BroadcastTexts } from './broadcasts/render.js';
import { channelCaps, PLATFORM_CHANNELS } from './channels/index.js';
import type { ChannelDeps, ChannelRuntime } from './channels/plugin.js';
import { Inbox, pruneInbox, startInboxSweep } from './inbox/index.js';
import { type TerminalIo, terminalChannel } from './channels/terminal/index.js';
import { type Config, configSecrets } from './config/env.js';
import { contentDir } from './config/paths.js';
import type { CapsOf } from './core/caps.js';
import { type Clock, systemClock } from './core/clock.js';
import type { ChannelName, MessageEditor } from './core/messages.js';
import { type Database, type Db, openDatabase } from './db/client.js';
import { migrate } from './db/migrate.js';
import { doctorJob } from './domain/doctor.js';
import { GapRecorder } from './domain/gap-recorder.js';
import { anonymiseGaps } from './domain/faq-gaps.js';
import { appSecret } from './domain/secrets.js';
import { journeysJob } from './domain/journeys-jobs.js';
import { counselJob, loadCounselContent } from './domain/tickets.js';
import type { Settings } from './domain/port.js';
import { bootstrapAdmins, bootstrapLocalAdmin } from './domain/staff.js';
import { consoleRoutes } from './console/index.js';
import { loadTargets } from './domain/reports.js';
import { talliesJobs } from './domain/tallies-jobs.js';
import { loadWards, syncWards, WardDirectory } from './domain/wards.js';
import { CommandTable } from './engine/commands.js';
import { Engine } from './engine/engine.js';
import { Registry } from './engine/registry.js';
import { loadFaqBundle } from './faq/bundle.js';
import { startMatcherPool } from './faq/matcher-pool.js';
import type { FaqBundle } from './faq/types.js';
import { createHttp, type Listening, listen, type Readiness } from './http/server.js';
import { createI18n, hasKey } from './i18n/index.js';
import { createLogger, type Logger } from './log.js';
import { Dispatcher } from './outbox/dispatcher.js';
import { postgresLeaderLock, senderLockName, singleProcessLock } from './outbox/leader.js';
import { i18nRender } from './outbox/render.js';
import { type ClusterJob, type Scheduler, startScheduler } from './outbox/scheduler.js';

/** Done inbox events are forgotten after three days (their keys guard that long against redeliveries). */
const inboxJob: ClusterJob = { name: 'inbox.prune', cron: '40 3 * * *', run: (tx, now) => pruneInbox(tx, now) };
/** FAQ gaps older than 30 days lose the hash of who asked: anonymous counts from then on. */
const gapsJob: ClusterJob = { name: 'gaps.anonymise', cron: '50 3 * * *', run: (tx, now) => anonymiseGaps(tx, now) };

export interface AppDeps {
  config: Config;
  clock?: Clock;
  log?: Logger;
  /** An open database (tests pass their own); default: opened from the configuration. */
  database?: Database;
  /** Default: the project's content (content/faq, content/safety). */
  faq?: FaqBundle;
  /** Chat in a terminal (npm start with no platform configured). */
  terminal?: TerminalIo | null;
  /** The platforms' HTTP (tests answer it with msw or a stub). */
  fetch?: typeof globalThis.fetch;
}

export interface App {
  config: Config;
  database: Database;
  db: Db;
  clock: Clock;
  log: Logger;
  i18n: i18n;
  wards: WardDirectory;
  engine: Engine;
  gaps: GapRecorder;
  settings: Settings;
  capsOf: CapsOf;
  /** The bot's one router: webhooks, files, health (and the staff console). */
  http: Hono;
  channels: readonly ChannelRuntime[];
  dispatchers: readonly Dispatcher[];
  /** Listens (when anything is served), connects the channels, starts sending and the periodic jobs. */
  start(): Promise<void>;
  /** Resolves when a channel ends on its own (the terminal at end of input); null when the app runs until stopped. */
  readonly done: Promise<void> | null;
  /** Stops everything once, in reverse order; closes the database it opened. */
  stop(): Promise<void>;
}

/**
 * Builds the whole bot from one validated configuration: database (migrated,
 * wards synced, administrators granted), words, the engine and its modules,
 * the configured channels, their outbox dispatchers, the HTTP router. Nothing
 * lives at module level, so two apps can run side by side in one process.
 */
export async function createApp(deps: AppDeps): Promise<App> {
  const { config } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? createLogger(config.LOG_LEVEL, undefined, { secrets: configSecrets(config) });
  const database = deps.database ?? (await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR }));
  const ownsDatabase = !deps.database;
  const db = database.db;

  // The FAQ's matcher workers build their index while the database migrates.
  const matcherPool = deps.faq || config.FAQ_WORKERS === 0 ? null : startMatcherPool({ size: config.FAQ_WORKERS, log });
  matcherPool?.catch(() => {}); // awaited below; a failure there fails the start

  const applied = await migrate(db);
  if (applied) log.info({ applied }, 'migrations applied');
  const wardList = loadWards();
  await syncWards(db, wardList);
  const wards = new WardDirectory(wardList);
  await bootstrapAdmins(db, config.ADMIN_TELEGRAM_IDS, clock.now());
  // In the terminal (a local demo) its person administers, so /web opens the console; never in production.
  if (deps.terminal && config.NODE_ENV !== 'production') await bootstrapLocalAdmin(db, { channel: 'terminal', userId: 'local' }, clock.now());

  const i18n = createI18n();
  const pool = await matcherPool;
  const faq = deps.faq ?? loadFaqBundle(pool ? { pool } : {});
  const gaps = new GapRecorder(db, clock, log, await appSecret(db, 'gaps.asker'));
  const platforms = PLATFORM_CHANNELS.filter((c) => c.enabled(config));
  const settings: Settings = {
    broadcastDailyCap: config.BROADCAST_DAILY_CAP,
    // Telegram authors' photos are served at {PUBLIC_URL}/media/<token> for channels that take only a URL.
    mediaBaseUrl: config.PUBLIC_URL && platforms.some((c) => c.name === 'telegram') ? config.PUBLIC_URL : null,
    znsOffered: platforms.some((c) => c.name === 'zns'),
  };
  // The staff console's address for /web links: PUBLIC_URL, else this machine on the port it listens on.
  let consolePort = config.PORT;
  const consoleUrl = () => config.PUBLIC_URL ?? `http://localhost:${consolePort}`;
  // Counsellors' working hours, the unclaimed alert, the stations (content/counsel.yaml).
  const counsel = loadCounselContent();
  const registry = new Registry(modules({ faq, gaps, menu: loadMenu((key) => hasKey(i18n, key)), log, consoleUrl, counsel }));
  const engine = new Engine({
    db,
    clock,
    i18n,
    safety: faq.safety,
    ...(faq.prepare ? { prepare: faq.prepare } : {}),
    wards,
    registry,
    commands: new CommandTable(join(contentDir, 'commands.json'), new Set(registry.commands.keys())),
    capsOf: channelCaps,
    settings,
    services: { forgetQuestions: (q, key) => gaps.forget(q, key) },
    log,
  });

  // Broadcast rows carry only the broadcast's id: its text is loaded once and rendered with the stop footer.
  const texts = new BroadcastTexts(db, i18n, settings);
  const inbox = new Inbox({ db, clock, log, leaseMs: config.INBOX_LEASE_SECONDS * 1000 });
  const channelDeps: ChannelDeps = {
    config,
    handle: (event) => engine.handle(event),
    inbox,
    handleRecorded: (event, record) => engine.handle(event, { record }),
    i18n,
    db,
    clock,
    log,
    render: texts.render(i18nRender(i18n)),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  };
  const plugins = deps.terminal ? [...platforms, terminalChannel(deps.terminal)] : platforms;
  const channels: ChannelRuntime[] = [];
  for (const plugin of plugins) channels.push(await plugin.create(channelDeps));

  let readiness: Readiness = 'starting';
  const http = createHttp({ readiness: () => readiness, database: () => db.execute(sql`select 1`) });
  for (const c of channels) c.routes?.(http);
  // Telegram authors' broadcast photos, hosted for channels that take only a URL (with PUBLIC_URL).
  const files = channels.find((c) => c.files)?.files;
  if (files && settings.mediaBaseUrl) mediaRoutes(http, { db, fetchFile: files, log });
  // The staff console is always served, on the same port (/staff).
  consoleRoutes(http, { db, i18n, clock, log, wards, settings, publicUrl: config.PUBLIC_URL ?? null, targets: loadTargets() });

  // One sender per channel across replicas (an advisory-lock leader); ZNS takes what no chat channel can reach.
  const fallback = channels.find((c) => c.fallback)?.fallback;
  const dispatchers = channels.flatMap((c) =>
    c.outbox
      ? [
          new Dispatcher({
            db,
            channel: c.name,
            clock,
            log,
            limits: c.outbox.limits,
            sender: texts.sender(c.outbox.sender),
            leader: config.DATABASE_URL ? postgresLeaderLock({ url: config.DATABASE_URL, name: senderLockName(c.name), log }) : singleProcessLock(),
            ...(fallback && !c.fallback ? { onPermanentFailure: fallback } : {}),
          }),
        ]
      : [],
  );
  const editors: Partial<Record<ChannelName, MessageEditor>> = Object.fromEntries(channels.flatMap((c) => (c.editor ? [[c.name, c.editor]] : [])));

  const stops: (() => Promise<unknown>)[] = [];
  let stopping: Promise<void> | null = null;
  const done = channels.find((c) => c.done)?.done ?? null;

  return {
    config,
    database,
    db,
    clock,
    log,
    i18n,
    wards,
    engine,
    gaps,
    settings,
    capsOf: channelCaps,
    http,
    channels,
    dispatchers,
    done,
    async start() {
      gaps.start();
      stops.unshift(() => gaps.stop());
      // Listen first: a port already in use stops the start before any platform is told our address
      // (in the terminal, a local demo, the chat goes on without the console instead).
      const server: Listening | null = await listen(http, config.PORT).catch((err: NodeJS.ErrnoException) => {
        if (!deps.terminal || err.code !== 'EADDRINUSE') throw err;
        log.warn({ port: config.PORT }, 'port in use: the staff console is not served (set PORT)');
        return null;
      });
      if (server) {
        consolePort = server.port;
        log.info({ port: server.port }, 'http server listening');
        stops.unshift(() => server.close());
      }
      for (const c of channels) {
        await c.start();
        stops.unshift(() => c.stop());
      }
      // What a crash or a lost replica left in the inbox is answered now, and any time later.
      if (channels.some((c) => c.replay)) {
        const sweep = startInboxSweep({ inbox, channels, log });
        stops.unshift(() => sweep.stop());
      }
      if (dispatchers.length) {
        const scheduler: Scheduler = startScheduler({ db, clock, log, dispatchers, jobs: [doctorJob, campaignJob, journeysJob, ...talliesJobs, inboxJob, gapsJob, counselJob(counsel)] });
        stops.unshift(() => scheduler.stop());
        // Broadcasts: the live status message in the author's chat, and the report at the end.
        const progress = new BroadcastProgress({ db, i18n, sinks: editors, log }).start(clock);
        stops.unshift(() => progress.stop());
      }
      readiness = 'ready';
      log.info({ channels: channels.map((c) => c.name), database: database.kind }, 'ready');
    },
    stop() {
      stopping ??= (async () => {
        readiness = 'stopping';
        for (const stop of stops) await stop().catch((err: unknown) => log.warn({ err }, 'stop failed'));
        if (!stops.length) await gaps.stop();
        await pool?.close();
        if (ownsDatabase) await database.close();
      })();
      return stopping;
    },
  };
}
