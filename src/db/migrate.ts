import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrationsDir } from '../config/paths.js';
import { rows, type Db } from './client.js';

/** Any constant: replicas starting together take turns on this lock. */
const MIGRATION_LOCK = 72_021_001;

/**
 * Applies the drizzle-kit migrations in one transaction under an advisory lock,
 * recording them in drizzle's own table so drizzle-kit tools agree with us.
 * Returns how many were applied.
 */
export async function migrate(db: Db, dir: string = migrationsDir): Promise<number> {
  const migrations = readMigrationFiles({ migrationsFolder: dir });
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.execute(sql`create schema if not exists drizzle`);
    await tx.execute(
      sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`,
    );
    const [last] = await rows<{ created_at: string | number }>(
      tx,
      sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
    );
    const lastAt = last ? Number(last.created_at) : -1;
    let applied = 0;
    for (const m of migrations) {
      if (m.folderMillis <= lastAt) continue;
      for (const statement of m.sql) {
        if (statement.trim()) await tx.execute(sql.raw(statement));
      }
      await tx.execute(
        sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${m.hash}, ${m.folderMillis})`,
      );
      applied++;
    }
    return applied;
  });
}
