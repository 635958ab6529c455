import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock, offsetClock } from '../../src/core/clock.js';
import { outbox } from '../../src/db/schema.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { postgresLeaderLock, senderLockName, singleProcessLock } from '../../src/outbox/leader.js';
import { daytimeClock, duplicates, FakeSender, manyContacts, message, outboxDatabase, statusCounts, travel } from './support.js';

let database: Awaited<ReturnType<typeof outboxDatabase>>;
let ids: number[];
const START = new Date('2026-11-23T02:00:00Z'); // 09:00 in Hải Phòng

beforeAll(async () => {
  database = await outboxDatabase();
  ids = await manyContacts(database.db, 400, 'c');
});
afterAll(() => database.close());
beforeEach(async () => {
  await database.db.delete(outbox);
});

const LEASE = 60_000;

describe('a dispatcher that dies mid-batch', () => {
  it('loses nothing; after the lease its in-flight rows are sent again, at most the in-flight bound twice', async () => {
    await enqueue(database.db, ids.slice(0, 30).map((id, i) => message(`crash:${i}`, id, START)));

    // A claims 20, delivers 7, then hangs forever on the 8th: as good as dead, rows left 'sending'.
    const clockA = new ManualClock(START);
    const dead = new FakeSender(clockA, 'A');
    dead.script = (_m, call) => (call <= 7 ? { kind: 'ok' } : new Promise(() => {}));
    const a = new Dispatcher({
      db: database.db, channel: 'telegram', sender: dead, clock: clockA, leader: singleProcessLock(),
      limits: { perSecond: 25, perChatPerSecond: 1, burst: 25 }, batchSize: 20, concurrency: 1, leaseMs: LEASE, sleep: travel(clockA),
    });
    void a.runBatch();
    while (dead.calls.length < 8) await new Promise((r) => setTimeout(r, 5));
    expect(await statusCounts(database.db)).toEqual({ sending: 20, pending: 10 });

    // B starts before the lease runs out: it sends the rest, and leaves A's claim alone.
    const clockB = new ManualClock(new Date(START.getTime() + 30_000));
    const b = new FakeSender(clockB, 'B');
    const d = new Dispatcher({
      db: database.db, channel: 'telegram', sender: b, clock: clockB, leader: singleProcessLock(),
      limits: { perSecond: 25, perChatPerSecond: 1, burst: 25 }, batchSize: 20, leaseMs: LEASE, sleep: travel(clockB),
    });
    await d.drain();
    expect(b.deliveries).toHaveLength(10);
    expect(await statusCounts(database.db)).toEqual({ sending: 20, sent: 10 });

    // Past the lease, A's rows are taken back and sent.
    clockB.set(new Date(START.getTime() + LEASE + 1));
    await d.drain();
    const keys = [...dead.keys(), ...b.keys()];
    expect(new Set(keys).size).toBe(30); // zero lost
    expect(duplicates(keys)).toBe(7); // exactly what A delivered but never recorded
    expect(duplicates(keys)).toBeLessThanOrEqual(a.inFlightBound); // the stated bound
    expect(await statusCounts(database.db)).toEqual({ sent: 30 });
  });

  it('a real dispatcher process killed with SIGKILL: zero lost, duplicates within the in-flight bound', async () => {
    const total = 400;
    const clock = daytimeClock();
    await enqueue(database.db, ids.slice(0, total).map((id, i) => message(`kill:${i}`, id, clock.now())));
    const dir = mkdtempSync(join(tmpdir(), 'outbox-crash-'));
    const file = join(dir, 'deliveries.txt');
    const delivered = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
    let spawned: ReturnType<typeof spawn> | undefined;
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./crash-child.ts', import.meta.url)), database.url, file, String(clock.offsetMs)], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      spawned = child;
      let stderr = '';
      child.stderr.on('data', (b) => (stderr += String(b)));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      const deadline = Date.now() + 20_000;
      while (delivered().length < 120) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`child made no progress: ${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const byChild = delivered();
      expect(byChild.length).toBeLessThan(total); // killed mid-run
      // What the dead process held: claimed, maybe sent, not recorded. At most two batches of 50.
      const inFlight = (await statusCounts(database.db)).sending ?? 0;
      expect(inFlight).toBeLessThanOrEqual(100);

      // A new dispatcher, its clock past the lease: takes the lock the dead session dropped, and finishes.
      const past = offsetClock(new Date(clock.now().getTime() + LEASE + 1_000));
      const sender = new FakeSender(past, 'B');
      const d = new Dispatcher({
        db: database.db, channel: 'telegram', sender, clock: past,
        leader: postgresLeaderLock({ url: database.url, name: senderLockName('telegram') }),
        limits: { perSecond: 2000, perChatPerSecond: 1, burst: 50 }, leaseMs: LEASE,
      });
      const end = Date.now() + 20_000;
      for (;;) {
        await d.drain();
        const counts = await statusCounts(database.db);
        if (!counts.pending && !counts.sending) break;
        if (Date.now() > end) throw new Error(`not finished: ${JSON.stringify(counts)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await d.close();

      const keys = [...byChild, ...sender.keys()];
      expect(new Set(keys).size).toBe(total); // zero lost
      expect(duplicates(keys)).toBeLessThanOrEqual(inFlight); // only what was in flight can go twice
      expect(inFlight).toBeLessThanOrEqual(100); // and that is at most the child's inFlightBound (2 × 50)
      expect(await statusCounts(database.db)).toEqual({ sent: total });
    } finally {
      // A failed wait must not leave the child dispatching (it would outlive the run).
      if (spawned && spawned.exitCode === null && spawned.signalCode === null) spawned.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
