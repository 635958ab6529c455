import { desc, gte, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { faqGaps } from '../db/schema.js';
import { localDate } from '../core/time.js';

export type GapKind = 'unanswered' | 'wrong';

/** Phone numbers, long digit runs and e-mail addresses never reach the gaps log. */
export function maskIdentity(question: string): string {
  return question
    .replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, '[email]')
    .replace(/\+?\d[\d\s.-]{4,}\d/g, (run) => (run.replace(/\D/g, '').length >= 6 ? '[số]' : run))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** The Monday of the week `at` falls in, Hải Phòng time (YYYY-MM-DD). */
export function weekOf(at: Date): string {
  const day = new Date(`${localDate(at)}T00:00:00Z`);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * 86_400_000).toISOString().slice(0, 10);
}

export interface GapCount {
  week: string;
  kind: GapKind;
  topic: string;
  question: string;
  count: number;
}

/** Adds counts in one statement (the recorder batches them). */
export async function addGaps(q: Queryable, items: readonly GapCount[]): Promise<void> {
  if (items.length === 0) return;
  await q
    .insert(faqGaps)
    .values([...items])
    .onConflictDoUpdate({
      target: [faqGaps.week, faqGaps.kind, faqGaps.topic, faqGaps.question],
      set: { count: sql`${faqGaps.count} + excluded.count` },
    });
}

/** The most frequent gaps since `sinceWeek`, summed over weeks. */
export async function topGaps(q: Queryable, sinceWeek: string, limit = 30) {
  const total = sql<number>`sum(${faqGaps.count})::int`;
  return q
    .select({ kind: faqGaps.kind, topic: faqGaps.topic, question: faqGaps.question, count: total, weeks: sql<number>`count(distinct ${faqGaps.week})::int` })
    .from(faqGaps)
    .where(gte(faqGaps.week, sinceWeek))
    .groupBy(faqGaps.kind, faqGaps.topic, faqGaps.question)
    .orderBy(desc(total))
    .limit(limit);
}
