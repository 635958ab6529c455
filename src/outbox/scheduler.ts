import cron, { type ScheduledTask } from 'node-cron';
import { and, inArray, lt, sql } from 'drizzle-orm';
import { TIME_ZONE } from '../core/time.js';
import type { Clock } from '../core/clock.js';
import { rows, type Db, type Queryable, type Tx } from '../db/client.js';
import { jobRuns, outbox } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { Dispatcher } from './dispatcher.js';
import { startDispatchers } from './driver.js';

/**
 * Runs `fn` for one fire of a periodic job at most once across the cluster.
 * node-cron's noOverlap is per process; here a transaction-scoped advisory lock
 * keeps replicas from running the job side by side, and the (job, slot) row —
 * written in the same transaction as the job's work — keeps a replica whose
 * clock fires a moment later from running the same fire again. If the job
 * fails, both roll back and the next fire tries again.
 */
export async function runOncePerCluster<T>(
  db: Db,
  job: string,
  slot: string,
  now: Date,
  fn: (tx: Tx) => Promise<T>,
): Promise<{ ran: true; result: T } | { ran: false; reason: 'busy' | 'done' }> {
  return db.transaction(async (tx) => {
    const [lock] = await rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(hashtextextended(${`job:${job}`}, 0)) as ok`);
    if (!lock?.ok) return { ran: false, reason: 'busy' } as const;
    const claimed = await tx.insert(jobRuns).values({ job, slot, ranAt: now }).onConflictDoNothing().returning();
    if (claimed.length === 0) return { ran: false, reason: 'done' } as const;
    return { ran: true, result: await fn(tx) } as const;
  });
}

/** Deletes finished outbox rows (and job records) older than the retention; pending and in-flight rows stay. */
export async function cleanupOutbox(q: Queryable, now: Date, retentionDays = 30): Promise<{ rows: number; jobs: number }> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  // due_at, not created_at: due times come from the injected clock, created_at from the database's.
  const deleted = await q
    .delete(outbox)
    .where(and(inArray(outbox.status, ['sent', 'failed', 'cancelled', 'skipped']), lt(outbox.dueAt, cutoff)))
    .returning({ id: outbox.id });
  const jobs = await q.delete(jobRuns).where(lt(jobRuns.ranAt, cutoff)).returning({ job: jobRuns.job });
  return { rows: deleted.length, jobs: jobs.length };
}

/**
 * node-cron's own messages, through the app's logger instead of the console
 * (where they would bypass the scrubber and the level). An overlap — a fire
 * while the last one still runs — is expected under load and goes to debug; a
 * missed fire means the event loop was blocked and is a warning.
 */
export function cronLogger(log: Logger, job: string): NonNullable<NonNullable<Parameters<typeof cron.schedule>[2]>['logger']> {
  const errorOf = (message: string | Error, err?: Error) => (message instanceof Error ? message : err);
  const textOf = (message: string | Error) => (message instanceof Error ? message.message : message);
  return {
    debug: (message, err) => log.debug({ job, err: errorOf(message, err) }, `cron: ${textOf(message)}`),
    info: (message) => log.debug({ job }, `cron: ${message}`),
    warn: (message) => (/still running|overlap/i.test(message) ? log.debug({ job }, `cron: ${message}`) : log.warn({ job }, `cron: ${message}`)),
    error: (message, err) => log.error({ job, err: errorOf(message, err) }, `cron: ${textOf(message)}`),
  };
}

/** A periodic job that must run once per cluster (the doctor, a due scan): its work runs in `tx`. */
export interface ClusterJob {
  name: string;
  /** node-cron expression, in Asia/Ho_Chi_Minh time. */
  cron: string;
  run(tx: Tx, now: Date): Promise<unknown>;
}

export interface Scheduler {
  /** Stops the jobs, lets running ones finish, and closes the dispatchers (a standby leads at once). */
  stop(): Promise<void>;
}

/**
 * The periodic work: each dispatcher runs its own send loop (driver.ts
 * `startDispatchers`: it sends only where it leads, back to back while rows are
 * due, every `dispatchIdleMs` when idle), and cluster-wide jobs — outbox
 * clean-up daily at 03:30, plus any given — run once per fire across replicas.
 */
export function startScheduler(opts: {
  db: Db;
  clock: Clock;
  log: Logger;
  dispatchers: readonly Dispatcher[];
  jobs?: readonly ClusterJob[];
  retentionDays?: number;
  /** How often an idle dispatcher looks for due rows. Default 250 ms. */
  dispatchIdleMs?: number;
}): Scheduler {
  const { db, clock, log } = opts;
  const tasks: ScheduledTask[] = [];
  const running = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>) => {
    running.add(p);
    void p.finally(() => running.delete(p)).catch(() => {});
    return p;
  };

  const sending = startDispatchers(opts.dispatchers, { log, ...(opts.dispatchIdleMs ? { idleMs: opts.dispatchIdleMs } : {}) });

  const jobs: ClusterJob[] = [
    { name: 'outbox.cleanup', cron: '30 3 * * *', run: (tx, now) => cleanupOutbox(tx, now, opts.retentionDays) },
    ...(opts.jobs ?? []),
  ];
  for (const job of jobs) {
    tasks.push(
      cron.schedule(
        job.cron,
        async (ctx) => {
          // The fire's scheduled minute names it the same on every replica.
          const slot = ctx.date.toISOString().slice(0, 16);
          const now = clock.now();
          try {
            const r = await track(runOncePerCluster(db, job.name, slot, now, (tx) => job.run(tx, now)));
            if (r.ran) log.info({ job: job.name, slot, result: r.result }, 'job ran');
          } catch (err) {
            log.error({ err, job: job.name, slot }, 'job failed');
          }
        },
        { name: job.name, noOverlap: true, timezone: TIME_ZONE, logger: cronLogger(log, job.name) },
      ),
    );
  }

  return {
    async stop() {
      const dispatchers = sending.stop();
      for (const t of tasks) await t.destroy();
      await Promise.allSettled([...running, dispatchers]);
    },
  };
}
