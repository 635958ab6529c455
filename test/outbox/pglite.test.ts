import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ManualClock } from '../../src/core/clock.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { cancelByPrefix, enqueue, enqueueSelect } from '../../src/outbox/enqueue.js';
import { singleProcessLock } from '../../src/outbox/leader.js';
import { runOncePerCluster } from '../../src/outbox/scheduler.js';
import { FakeSender, message, someContacts, statusCounts, travel } from './support.js';

// The embedded default: one process, one connection, the same outbox SQL.
let database: Database;
beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await migrate(database.db);
});
afterAll(() => database.close());

describe('outbox on PGlite', () => {
  it('enqueues, cancels, claims and sends with the single-process lock', async () => {
    const clock = new ManualClock(new Date('2026-11-23T02:00:00Z'));
    const people = await someContacts(database.db, 3);
    await enqueue(database.db, [message('appt:1:d-1', people[0]!.id, clock.now()), message('appt:1:h-2', people[0]!.id, clock.now())]);
    expect(await cancelByPrefix(database.db, 'appt:1:h')).toBe(1);
    const audience = sql`select 'bc:1:' || id as dedupe_key, id as contact_id, 'broadcast' as kind,
      ${JSON.stringify({ key: 'campaign.day' })}::jsonb as payload, 7 as priority, ${clock.now().toISOString()}::timestamptz as due_at from contacts`;
    expect(await enqueueSelect(database.db, audience)).toBe(3);
    const sender = new FakeSender(clock);
    const d = new Dispatcher({
      db: database.db, channel: 'telegram', sender, clock, leader: singleProcessLock(), sleep: travel(clock),
      limits: { perSecond: 25, perChatPerSecond: 1, burst: 2 },
    });
    for (let i = 0; i < 5; i++) {
      await d.drain();
      clock.advance(1_000);
    }
    expect(sender.keys().sort()).toEqual(['appt:1:d-1', 'bc:1:1', 'bc:1:2', 'bc:1:3']);
    expect(await statusCounts(database.db)).toEqual({ sent: 4, cancelled: 1 });
    expect((await runOncePerCluster(database.db, 'cleanup', 'x', clock.now(), async () => 'ok')).ran).toBe(true);
  });
});
