import { desc, eq, gte, sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
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
  /** Who asked, as a keyed hash (gap-recorder.ts); '' once anonymised. */
  asker: string;
  count: number;
}

/** Adds counts in one statement (the recorder batches them). */
export async function addGaps(q: Queryable, items: readonly GapCount[]): Promise<void> {
  if (items.length === 0) return;
  await q
    .insert(faqGaps)
    .values([...items])
    .onConflictDoUpdate({
      target: [faqGaps.week, faqGaps.kind, faqGaps.topic, faqGaps.question, faqGaps.asker],
      set: { count: sql`${faqGaps.count} + excluded.count` },
    });
}

/** /xoa: every question this asker left, whatever its week. */
export async function eraseGapsOf(q: Queryable, asker: string): Promise<void> {
  if (!asker) return;
  await q.delete(faqGaps).where(eq(faqGaps.asker, asker));
}

/** Days a gap keeps the hash of who asked (so /xoa can find it) before it becomes an anonymous count. */
export const GAP_ASKER_DAYS = 30;

/** Folds gaps older than GAP_ASKER_DAYS into the anonymous counts (asker ''): the daily job. */
export async function anonymiseGaps(q: Queryable, now: Date): Promise<number> {
  const cutoff = weekOf(new Date(now.getTime() - GAP_ASKER_DAYS * 86_400_000));
  const [r] = await rows<{ n: number }>(
    q,
    sql`with old as (
          delete from faq_gaps where asker <> '' and week < ${cutoff}::date
          returning week, kind, topic, question, count
        ), folded as (
          insert into faq_gaps (week, kind, topic, question, asker, count)
          select week, kind, topic, question, '', sum(count)::int from old group by week, kind, topic, question
          on conflict (week, kind, topic, question, asker) do update set count = faq_gaps.count + excluded.count
          returning 1
        )
        select count(*)::int as n from old`,
  );
  return r?.n ?? 0;
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
