import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { anonymousCounts } from '../db/schema.js';
import { localDate } from '../core/time.js';

/** Adds one to an anonymous daily tally (no person attached). */
export async function countAnonymously(q: Queryable, metric: string, at: Date): Promise<void> {
  await q
    .insert(anonymousCounts)
    .values({ metric, day: localDate(at), count: 1 })
    .onConflictDoUpdate({
      target: [anonymousCounts.metric, anonymousCounts.day],
      set: { count: sql`${anonymousCounts.count} + 1` },
    });
}
