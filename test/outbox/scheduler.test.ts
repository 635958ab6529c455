import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { systemClock } from '../../src/core/clock.js';
import { openDatabase, rows, type Database } from '../../src/db/client.js';
import { jobRuns, outbox } from '../../src/db/schema.js';
import type { Contact } from '../../src/domain/contacts.js';
import { createLogger } from '../../src/log.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { startDispatchers } from '../../src/outbox/driver.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { singleProcessLock } from '../../src/outbox/leader.js';
import cron from 'node-cron';
import { cleanupOutbox, cronLogger, runOncePerCluster, startScheduler } from '../../src/outbox/scheduler.js';
import { FakeSender, manyContacts, message, outboxDatabase, someContacts, statusCounts } from './support.js';

let database: Awaited<ReturnType<typeof outboxDatabase>>;
let other: Database;
let people: Contact[];
const NOW = new Date('2026-11-23T02:00:00Z');
const DAY = 86_400_000;

beforeAll(async () => {
  database = await outboxDatabase();
  other = await openDatabase({ url: database.url, max: 2 });
  people = await someContacts(database.db, 3);
});
afterAll(async () => {
  await other.close();
  await database.close();
});
beforeEach(async () => {
  await database.db.delete(outbox);
  await database.db.delete(jobRuns);
});

describe('jobs once per cluster', () => {
  it('two replicas firing the same slot together: the job runs once', async () => {
    let runs = 0;
    const job = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 50));
      return 'done';
    };
    const results = await Promise.all([
      runOncePerCluster(database.db, 'doctor', '2026-11-23T01:00', NOW, job),
      runOncePerCluster(other.db, 'doctor', '2026-11-23T01:00', NOW, job),
    ]);
    expect(runs).toBe(1);
    expect(results.filter((r) => r.ran)).toHaveLength(1);
    // A replica whose clock fires a moment later finds the slot done.
    expect(await runOncePerCluster(other.db, 'doctor', '2026-11-23T01:00', NOW, job)).toEqual({ ran: false, reason: 'done' });
    expect(runs).toBe(1);
    // The next fire runs.
    expect(await runOncePerCluster(other.db, 'doctor', '2026-11-24T01:00', NOW, job)).toEqual({ ran: true, result: 'done' });
  });

  it('a job that fails leaves its slot free to run again', async () => {
    await expect(
      runOncePerCluster(database.db, 'flaky', 's1', NOW, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await runOncePerCluster(database.db, 'flaky', 's1', NOW, async () => 1)).toEqual({ ran: true, result: 1 });
  });
});

describe('clean-up', () => {
  it('deletes finished rows past the retention and keeps pending, in-flight and recent ones', async () => {
    const old = new Date(NOW.getTime() - 40 * DAY);
    const p = people[0]!.id;
    await enqueue(database.db, [
      message('old:sent', p, old), message('old:failed', p, old), message('old:pending', p, old),
      message('old:sending', p, old), message('new:sent', p, new Date(NOW.getTime() - DAY)),
    ]);
    await rows(database.db, sql`update outbox set status = case
      when dedupe_key like '%:sent' then 'sent' when dedupe_key like '%:failed' then 'failed'
      when dedupe_key like '%:sending' then 'sending' else status end`);
    const result = await cleanupOutbox(database.db, NOW, 30);
    expect(result.rows).toBe(2);
    const left = (await database.db.select({ k: outbox.dedupeKey }).from(outbox)).map((r) => r.k).sort();
    expect(left).toEqual(['new:sent', 'old:pending', 'old:sending']);
  });
});

describe('scheduler', () => {
  it('drives the dispatcher every second: a message due now goes out without anyone calling it', async () => {
    const clock = systemClock;
    const sender = new FakeSender(clock);
    const d = new Dispatcher({
      db: database.db, channel: 'telegram', sender, clock, leader: singleProcessLock(),
      limits: { perSecond: 25, perChatPerSecond: 1, burst: 1 }, quietHours: false,
    });
    const scheduler = startScheduler({ db: database.db, clock, log: createLogger('silent'), dispatchers: [d] });
    try {
      await enqueue(database.db, [message('tick', people[1]!.id, new Date(), { priority: 0 })]);
      const end = Date.now() + 5_000;
      while (sender.deliveries.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(sender.keys()).toEqual(['tick']);
    } finally {
      await scheduler.stop();
    }
    expect(await statusCounts(database.db)).toEqual({ sent: 1 });
  });
});

describe('node-cron speaks through the app logger', () => {
  const captured = () => {
    const lines: Array<{ level: number; msg: string; job?: string; err?: { message?: string } }> = [];
    const log = createLogger('debug', { write: (l: string) => void lines.push(JSON.parse(l)) });
    return { log, lines };
  };

  it('an overlapping fire is a debug line, not a console warning; a missed fire is a warning; a failure an error', async () => {
    const { log, lines } = captured();
    const consoleWarn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    // Every second, a job that takes longer than a second: the second fire overlaps.
    const task = cron.schedule('* * * * * *', () => slow, { name: 'slow', noOverlap: true, logger: cronLogger(log, 'slow') });
    try {
      const end = Date.now() + 5_000;
      while (!lines.some((l) => /still running/.test(l.msg)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    } finally {
      release();
      await task.destroy();
      consoleWarn.mockRestore();
    }
    const overlap = lines.find((l) => /still running/.test(l.msg));
    expect(overlap).toMatchObject({ level: 20, job: 'slow' });
    expect(consoleWarn).not.toHaveBeenCalled();

    const logger = cronLogger(log, 'j');
    logger.warn('missed execution at now! Possible blocking IO');
    logger.error('Task failed with error!', new Error('boom'));
    expect(lines.at(-2)).toMatchObject({ level: 40, job: 'j' });
    expect(lines.at(-1)).toMatchObject({ level: 50, job: 'j', err: { message: 'boom' } });
  });
});

describe('the production driver', () => {
  const slowDispatcher = (sender: FakeSender, leader = singleProcessLock()) =>
    new Dispatcher({
      db: database.db, channel: 'telegram', sender, clock: systemClock, leader,
      limits: { perSecond: 25, perChatPerSecond: 1, burst: 1 }, quietHours: false,
    });

  it('a send longer than a second is one loop, not a tick piling on a tick: nothing on stderr, everything sent once', async () => {
    const warnings: string[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args) => void warnings.push(args.join(' ')));
    const error = vi.spyOn(console, 'error').mockImplementation((...args) => void warnings.push(args.join(' ')));
    const sender = new FakeSender(systemClock);
    const scheduler = startScheduler({ db: database.db, clock: systemClock, log: createLogger('silent'), dispatchers: [slowDispatcher(sender)] });
    try {
      // 60 people at 25/s: over two seconds of sending.
      const ids = await manyContacts(database.db, 60, 'long-');
      await enqueue(database.db, ids.map((id, i) => message(`long:${i}`, id, new Date(), { priority: 0 })));
      const end = Date.now() + 60_000;
      while (sender.deliveries.length < 60 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await scheduler.stop();
      warn.mockRestore();
      error.mockRestore();
    }
    expect(sender.deliveries).toHaveLength(60);
    expect(new Set(sender.keys()).size).toBe(60);
    expect(warnings).toEqual([]);
  }, 90_000);

  it('stop() ends an idle loop at once, records the batch in hand and gives leadership up', async () => {
    let closed = 0;
    const leader = { ensure: async () => true, close: async () => void closed++ };
    const sender = new FakeSender(systemClock);
    const d = slowDispatcher(sender, leader);
    const driver = startDispatchers([d], { idleMs: 30_000 });
    // The loop found nothing and now waits 30 s: stop() must not wait that out.
    await new Promise((r) => setTimeout(r, 300));
    await enqueue(database.db, [message('idle:1', people[0]!.id, new Date(), { priority: 0 })]);
    const t0 = Date.now();
    await driver.stop();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(closed).toBe(1);
    await driver.done;
    // Stopped before its next look: the message waits for the next leader.
    expect(await statusCounts(database.db)).toEqual({ pending: 1 });
  });

  it('sends what comes due while it runs, and a batch under way when stop() comes is finished and recorded', async () => {
    const sender = new FakeSender(systemClock);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    sender.script = async () => {
      await gate;
      return { kind: 'ok' };
    };
    const driver = startDispatchers([slowDispatcher(sender)], { idleMs: 20 });
    await enqueue(database.db, [message('busy:1', people[0]!.id, new Date(), { priority: 0 })]);
    const end = Date.now() + 5_000;
    while (sender.calls.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    const stopping = driver.stop();
    release();
    await stopping;
    expect(sender.keys()).toEqual(['busy:1']);
    expect(await statusCounts(database.db)).toEqual({ sent: 1 });
  });
});

