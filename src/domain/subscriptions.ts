import { and, eq, gte, isNull } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { subscriptions } from '../db/schema.js';
import type { Programme } from './programmes.js';

/** Opts in (or back in) to each programme for this ward. */
export async function subscribe(
  q: Queryable,
  contactId: number,
  programmes: readonly Programme[],
  wardCode: string | null,
  at: Date,
): Promise<void> {
  if (programmes.length === 0) return;
  await q
    .insert(subscriptions)
    .values(programmes.map((programme) => ({ contactId, programme, wardCode, createdAt: at })))
    .onConflictDoUpdate({
      target: [subscriptions.contactId, subscriptions.programme],
      set: { wardCode, endedAt: null, createdAt: at },
    });
}

export async function activeSubscriptions(q: Queryable, contactId: number) {
  return q
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.contactId, contactId), isNull(subscriptions.endedAt)));
}

/** Ends every active subscription at once (stop). Returns how many ended. */
export async function endAll(q: Queryable, contactId: number, at: Date): Promise<number> {
  const ended = await q
    .update(subscriptions)
    .set({ endedAt: at })
    .where(and(eq(subscriptions.contactId, contactId), isNull(subscriptions.endedAt)))
    .returning({ id: subscriptions.id });
  return ended.length;
}

/** Resumes what the stop at `stoppedAt` ended (resume after fresh consent). */
export async function resumeEndedSince(q: Queryable, contactId: number, stoppedAt: Date): Promise<number> {
  const resumed = await q
    .update(subscriptions)
    .set({ endedAt: null })
    .where(and(eq(subscriptions.contactId, contactId), gte(subscriptions.endedAt, stoppedAt)))
    .returning({ id: subscriptions.id });
  return resumed.length;
}
