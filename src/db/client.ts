import { mkdirSync } from 'node:fs';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import { preparing } from './prepared.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** The database as domain services see it: the same on postgres.js and on PGlite. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything a query can run on: the database or an open transaction. */
export type Queryable = Db | Tx;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A Postgres server; unset means the embedded PGlite in `dataDir`. */
  url?: string | undefined;
  dataDir?: string;
  /** Pool size for postgres.js. */
  max?: number;
  /** Called for every statement sent to a server (the benchmark counts SQL per message). */
  onQuery?: () => void;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const client = postgres(opts.url, {
      max: opts.max ?? 10,
      onnotice: () => {},
      // Not postgres.js's 30 s: a server that is away is reported (health, a failed job) soon, and tried again.
      connect_timeout: 10,
    });
    const db = drizzle(preparing(client, opts.onQuery), { schema }) as unknown as Db;
    return { db, kind: 'postgres', close: () => client.end({ timeout: 5 }) };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const dataDir = opts.dataDir ?? './data';
  // "memory://" keeps PGlite in memory (tests); anything else is a folder on disk.
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir);
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, kind: 'pglite', close: () => client.close() };
}

/**
 * Raw SQL rows, whatever the driver: postgres.js returns an array, PGlite `{ rows }`.
 * Wrapped once here so no other module cares.
 */
export async function rows<T = Record<string, unknown>>(q: Queryable, query: SQL): Promise<T[]> {
  const result = (await q.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
