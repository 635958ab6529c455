import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, rows, type Database } from '../../src/db/client.js';
import { outbox } from '../../src/db/schema.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { postgresLeaderLock, senderLockName, singleProcessLock, type LeaderLock } from '../../src/outbox/leader.js';
import { daytimeClock, duplicates, FakeSender, manyContacts, maxInWindow, message, outboxDatabase, statusCounts, type Delivery } from './support.js';

// Two (or more) replicas: separate connections to one outbox, real time, real advisory locks.
let database: Awaited<ReturnType<typeof outboxDatabase>>;
let ids: number[];
const replicas: Database[] = [];
const clock = daytimeClock();

beforeAll(async () => {
  database = await outboxDatabase();
  ids = await manyContacts(database.db, 300, 'r');
});
afterAll(async () => {
  for (const r of replicas) await r.close();
  await database.close();
});
beforeEach(async () => {
  await database.db.delete(outbox);
});

const CAP = 20;

async function replica(name: string, deliveries: Delivery[], leader: (url: string) => LeaderLock, perSecond = CAP) {
  const db = await openDatabase({ url: database.url, max: 3 });
  replicas.push(db);
  const sender = new FakeSender(clock, name, deliveries);
  const lock = leader(database.url);
  const d = new Dispatcher({
    db: db.db,
    channel: 'telegram',
    sender,
    clock,
    leader: lock,
    limits: { perSecond, perChatPerSecond: 1, burst: 1 },
  });
  return { d, sender, lock, db };
}

const pgLeader = (url: string) => postgresLeaderLock({ url, name: senderLockName('telegram') });

async function until(done: () => boolean | Promise<boolean>, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function enqueueFor(n: number, prefix: string) {
  const now = clock.now();
  await enqueue(database.db, ids.slice(0, n).map((id, i) => message(`${prefix}:${i}`, id, now)));
}

describe('two dispatchers on one outbox', () => {
  it('one leads: zero duplicates and the cap held across both', async () => {
    const deliveries: Delivery[] = [];
    const a = await replica('A', deliveries, pgLeader);
    const b = await replica('B', deliveries, pgLeader);
    await enqueueFor(60, 'cap');
    const runs = [a.d.run({ idleMs: 20 }), b.d.run({ idleMs: 20 })];
    await until(() => deliveries.length >= 60, 15_000);
    await a.d.close();
    await b.d.close();
    await Promise.all(runs);

    expect(deliveries).toHaveLength(60);
    expect(duplicates(deliveries.map((x) => x.key))).toBe(0);
    expect(new Set(deliveries.map((x) => x.by)).size).toBe(1); // only the leader sent
    // Token bucket: any second carries at most cap + burst.
    expect(maxInWindow(deliveries.map((x) => x.wall), 1000)).toBeLessThanOrEqual(CAP + 1);
    expect(await statusCounts(database.db)).toEqual({ sent: 60 });
  });

  it('when the leader’s connection dies, the other takes over: nothing lost, nothing twice', async () => {
    const deliveries: Delivery[] = [];
    // A dead process never asks for the lock again: without this, A's own
    // reconnection could win the free lock back before B asks, and B never leads.
    let aDied = false;
    const a = await replica('A', deliveries, (url) => {
      const real = pgLeader(url);
      return { ensure: async () => !aDied && real.ensure(), held: () => real.held?.() ?? true, close: () => real.close() };
    });
    expect(await a.lock.ensure()).toBe(true); // A leads from the start
    const b = await replica('B', deliveries, pgLeader);
    expect(await b.lock.ensure()).toBe(false);
    await enqueueFor(80, 'takeover');
    const runs = [a.d.run({ idleMs: 20 }), b.d.run({ idleMs: 20 })];
    await until(() => deliveries.length >= 20, 10_000);

    // The leader's session ends as if its process died: its advisory lock goes with it.
    aDied = true;
    await rows(
      database.db,
      sql`select pg_terminate_backend(pid) from pg_locks
          where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`,
    );
    const cut = performance.now();
    await until(() => deliveries.length >= 80, 15_000);
    await a.d.close();
    await b.d.close();
    await Promise.all(runs);

    expect(duplicates(deliveries.map((x) => x.key))).toBe(0);
    expect(new Set(deliveries.map((x) => x.key)).size).toBe(80);
    expect(deliveries.some((x) => x.by === 'B')).toBe(true);
    // A notices at its next batch: after the cut it finishes at most the batch in hand.
    expect(deliveries.filter((x) => x.by === 'A' && x.wall > cut).length).toBeLessThanOrEqual(a.d.batchSize);
    expect(await statusCounts(database.db)).toEqual({ sent: 80 });
  });

  it('even four claimers at once without a leader never take the same row (SKIP LOCKED)', async () => {
    const deliveries: Delivery[] = [];
    const all = await Promise.all(['A', 'B', 'C', 'D'].map((n) => replica(n, deliveries, () => singleProcessLock(), 2000)));
    await enqueueFor(300, 'race');
    await Promise.all(all.map((r) => r.d.drain()));
    expect(deliveries).toHaveLength(300);
    expect(duplicates(deliveries.map((x) => x.key))).toBe(0);
    expect(new Set(deliveries.map((x) => x.by)).size).toBeGreaterThan(1); // they did overlap
    expect(await statusCounts(database.db)).toEqual({ sent: 300 });
  });
});
