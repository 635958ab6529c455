import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, rows, type Queryable } from '../../src/db/client.js';
import { outboxDatabase } from './support.js';

/**
 * drizzle sends its SQL through postgres.js's `unsafe`, which does not prepare:
 * a statement with parameters then costs two round trips every time (Describe
 * first, for the parameters' types, then Execute). src/db/prepared.ts prepares
 * them: two round trips the first time on a connection, then one.
 */
let database: Awaited<ReturnType<typeof outboxDatabase>>;
beforeAll(async () => {
  database = await outboxDatabase();
});
afterAll(async () => {
  await database.close();
});

/** The writes to the server while `run` runs (the connection already open). */
async function writesDuring<T>(run: () => Promise<T>): Promise<{ writes: number; result: T }> {
  const spy = vi.spyOn(Socket.prototype, 'write');
  try {
    const result = await run();
    return { writes: spy.mock.calls.length, result };
  } finally {
    spy.mockRestore();
  }
}

const statement = (q: Queryable, n: number) => rows<{ n: number }>(q, sql`select ${n}::int + 1 as n, ${`x${n}`}::text as t`);

describe('statements with parameters', () => {
  it('are one round trip once the connection has met them', async () => {
    const one = await openDatabase({ url: database.url, max: 1 });
    try {
      await rows(one.db, sql`select 1`); // the connection is open
      expect((await writesDuring(() => statement(one.db, 1))).writes).toBe(2);
      for (const n of [2, 3]) {
        const { writes, result } = await writesDuring(() => statement(one.db, n));
        expect(result[0]!.n).toBe(n + 1);
        expect(writes).toBe(1);
      }
    } finally {
      await one.close();
    }
  });

  it('are one round trip in a transaction and in a savepoint too', async () => {
    await database.db.transaction(async (tx) => {
      await statement(tx, 9);
      expect((await writesDuring(() => statement(tx, 10))).writes).toBe(1);
      await tx.transaction(async (sp) => {
        expect((await writesDuring(() => statement(sp, 11))).writes).toBe(1);
      });
    });
  });

  it('are prepared on the server, and a prepared one is planned from its cache', async () => {
    await database.db.transaction(async (tx) => {
      for (let n = 0; n < 7; n++) await statement(tx, 100 + n);
      const [p] = await rows<{ generic_plans: string; custom_plans: string }>(
        tx,
        sql`select generic_plans, custom_plans from pg_prepared_statements where statement like '%::int + 1 as n%'`,
      );
      expect(Number(p!.generic_plans) + Number(p!.custom_plans)).toBeGreaterThanOrEqual(7);
    });
  });

  it('are counted for the benchmark, a transaction’s begin and commit with them', async () => {
    let n = 0;
    const counted = await openDatabase({ url: database.url, max: 1, onQuery: () => n++ });
    try {
      await statement(counted.db, 1);
      expect(n).toBe(1);
      await counted.db.transaction(async (tx) => {
        await statement(tx, 2);
        await statement(tx, 3);
      });
      expect(n).toBe(5);
    } finally {
      await counted.close();
    }
  });
});
