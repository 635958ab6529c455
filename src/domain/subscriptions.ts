import { and, eq, gte, inArray, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { subscriptions } from '../db/schema.js';
import type { Programme } from '../core/programmes.js';
import { subscribeTallies, subscriptionTallies, tally } from './tallies.js';

export type Subscription = typeof subscriptions.$inferSelect;

/**
 * Opts in (or back in) to each programme for this ward: the contact's own
 * subscription, or one for a relative they look after (`dependentId`).
 */
export async function subscribe(
  q: Queryable,
  contactId: number,
  programmes: readonly Programme[],
  wardCode: string | null,
  at: Date,
  dependentId: number | null = null,
): Promise<void> {
  if (programmes.length === 0) return;
  // What was there before, for the counts (started, or moved from another ward).
  const before = await q
    .select({ programme: subscriptions.programme, wardCode: subscriptions.wardCode, endedAt: subscriptions.endedAt })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.contactId, contactId),
        inArray(subscriptions.programme, [...programmes]),
        dependentId === null ? isNull(subscriptions.dependentId) : eq(subscriptions.dependentId, dependentId),
      ),
    );
  const values = sql.join(
    programmes.map((p) => sql`(${contactId}, ${dependentId}::integer, ${p}, ${wardCode}, ${at.toISOString()}::timestamptz)`),
    sql`, `,
  );
  await q.execute(
    sql`insert into subscriptions (contact_id, dependent_id, programme, ward_code, created_at) values ${values}
        on conflict (contact_id, programme, coalesce(dependent_id, 0))
        do update set ward_code = excluded.ward_code, ended_at = null, created_at = excluded.created_at`,
  );
  await tally(q, subscribeTallies(before, programmes, wardCode, at));
}

/** Every live subscription of the contact: their own and their relatives'. */
export async function activeSubscriptions(q: Queryable, contactId: number): Promise<Subscription[]> {
  return q
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.contactId, contactId), isNull(subscriptions.endedAt)));
}

/** Ends one relative's subscription to these programmes. Returns how many ended. */
export async function endFor(q: Queryable, contactId: number, dependentId: number, programmes: readonly Programme[], at: Date): Promise<number> {
  if (programmes.length === 0) return 0;
  const ended = await q
    .update(subscriptions)
    .set({ endedAt: at })
    .where(
      and(
        eq(subscriptions.contactId, contactId),
        eq(subscriptions.dependentId, dependentId),
        inArray(subscriptions.programme, [...programmes]),
        isNull(subscriptions.endedAt),
      ),
    )
    .returning({ id: subscriptions.id, programme: subscriptions.programme, wardCode: subscriptions.wardCode });
  await tally(q, subscriptionTallies(ended, 'subscribers.stopped', at));
  return ended.length;
}

/** A subscription a stop ended or a resume brought back, as the person is told about it: what, where, for whom. */
export interface SubscriptionChange {
  programme: Programme;
  wardCode: string | null;
  /** A relative's subscription (their id), or null for the person's own. */
  dependentId: number | null;
}

const changed = { id: subscriptions.id, programme: subscriptions.programme, wardCode: subscriptions.wardCode, dependentId: subscriptions.dependentId };
const asChanges = (list: { programme: string; wardCode: string | null; dependentId: number | null }[]): SubscriptionChange[] =>
  list.map((r) => ({ programme: r.programme as Programme, wardCode: r.wardCode, dependentId: r.dependentId }));

/** Ends every active subscription at once, the relatives' too (stop). Returns what ended. */
export async function endAll(q: Queryable, contactId: number, at: Date): Promise<SubscriptionChange[]> {
  const ended = await q
    .update(subscriptions)
    .set({ endedAt: at })
    .where(and(eq(subscriptions.contactId, contactId), isNull(subscriptions.endedAt)))
    .returning(changed);
  await tally(q, subscriptionTallies(ended, 'subscribers.stopped', at));
  return asChanges(ended);
}

/** What the stop at `stoppedAt` ended, the relatives' too: what a resume would bring back. */
export async function endedSince(q: Queryable, contactId: number, stoppedAt: Date): Promise<SubscriptionChange[]> {
  return asChanges(await q.select(changed).from(subscriptions).where(and(eq(subscriptions.contactId, contactId), gte(subscriptions.endedAt, stoppedAt))));
}

/** Resumes what the stop at `stoppedAt` ended, the relatives' too (resume after fresh consent, at `at`). Returns what came back. */
export async function resumeEndedSince(q: Queryable, contactId: number, stoppedAt: Date, at: Date): Promise<SubscriptionChange[]> {
  const resumed = await q
    .update(subscriptions)
    .set({ endedAt: null })
    .where(and(eq(subscriptions.contactId, contactId), gte(subscriptions.endedAt, stoppedAt)))
    .returning(changed);
  await tally(q, subscriptionTallies(resumed, 'subscribers.started', at));
  return asChanges(resumed);
}
