import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, rows, type Database } from '../../src/db/client.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { claimBatch } from '../../src/outbox/store.js';
import { message, outboxDatabase, someContacts } from './support.js';

let database: Awaited<ReturnType<typeof outboxDatabase>>;
let one: Database;
const now = new Date('2026-11-23T05:00:00Z');

beforeAll(async () => {
  database = await outboxDatabase();
  // One connection, so every claim meets the same prepared statement.
  one = await openDatabase({ url: database.url, max: 1 });
});
afterAll(async () => {
  await one.close();
  await database.close();
});

describe('claimBatch', () => {
  it('is planned once and that plan reused, not planned anew on every claim', async () => {
    const [p] = await someContacts(database.db, 1, 'plan-');
    for (let i = 0; i < 10; i++) {
      await enqueue(database.db, [message(`plan:${i}`, p!.id, now, { priority: i % 10 })]);
      expect(await claimBatch(one.db, { channel: 'telegram', now, limit: 100, maxPriority: 9 })).toHaveLength(1);
    }
    const [claim] = await rows<{ generic_plans: number | string; custom_plans: number | string }>(
      one.db,
      sql`select generic_plans, custom_plans from pg_prepared_statements where statement like '%with picked as%'`,
    );
    // The server's rule: five custom plans first, then the generic one if it is no dearer.
    expect(Number(claim!.generic_plans)).toBeGreaterThanOrEqual(5);
  });

  it('rewrites no index entry: pending → sending is a HOT update, and the batch is written down for recovery', async () => {
    const people = await someContacts(database.db, 20, 'hot-');
    await enqueue(database.db, people.map((p, i) => message(`hot:${i}`, p.id, now)));
    const hot = async () => {
      await rows(one.db, sql`select pg_stat_force_next_flush()`);
      const [r] = await rows<{ n: string | number }>(one.db, sql`select n_tup_hot_upd as n from pg_stat_user_tables where relname = 'outbox'`);
      return Number(r!.n);
    };
    const before = await hot();
    const claimed = await claimBatch(one.db, { channel: 'telegram', now, limit: 100, maxPriority: 9 });
    expect(claimed).toHaveLength(20);
    expect(await hot()).toBe(before + 20);
    const [batch] = await rows<{ n: number }>(one.db, sql`select cardinality(ids) as n from outbox_claims where id = ${claimed.batch}`);
    expect(Number(batch!.n)).toBe(20);
  });

  it('takes only whole numbers for what it writes into the statement', async () => {
    await expect(claimBatch(one.db, { channel: 'telegram', now, limit: 1.5, maxPriority: 9 })).rejects.toThrow(/limit/);
    await expect(claimBatch(one.db, { channel: 'telegram', now, limit: 10, maxPriority: -1 })).rejects.toThrow(/maxPriority/);
  });
});
