import { and, desc, eq, gt, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { conversationState, type OutboxPayload, outbox } from '../db/schema.js';
import type { Choice } from '../core/messages.js';

/** A flow left alone this long is forgotten. */
export const STATE_TTL_MS = 24 * 60 * 60 * 1000;

export interface SavedState {
  flow: string | null;
  step: string | null;
  data: Record<string, unknown>;
  menu: Choice[] | null;
}

export async function saveState(q: Queryable, contactId: number, state: SavedState, now: Date): Promise<void> {
  const values = { ...state, updatedAt: now, expiresAt: new Date(now.getTime() + STATE_TTL_MS) };
  await q
    .insert(conversationState)
    .values({ contactId, ...values })
    .onConflictDoUpdate({ target: conversationState.contactId, set: values });
}

export async function clearState(q: Queryable, contactId: number): Promise<void> {
  await q.delete(conversationState).where(eq(conversationState.contactId, contactId));
}

/** How far back a proactive message's numbered choices still answer a typed number. */
const PROMPT_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The choices of the latest proactive message (an invitation, a reminder)
 * sent to this contact on this channel after `after`, if any: on a channel
 * without buttons they were numbered lines on the person's screen, so a number
 * typed now answers them, not a menu shown before.
 */
export async function lastPromptSent(
  q: Queryable,
  o: { contactId: number; channel: string; after: Date | null; now: Date },
): Promise<NonNullable<OutboxPayload['choices']> | null> {
  const floor = new Date(o.now.getTime() - PROMPT_TTL_MS);
  const after = o.after && o.after > floor ? o.after : floor;
  const [row] = await q
    .select({ payload: outbox.payload })
    .from(outbox)
    .where(
      and(
        eq(outbox.contactId, o.contactId),
        eq(outbox.channel, o.channel),
        eq(outbox.status, 'sent'),
        gt(outbox.sentAt, after),
        sql`jsonb_array_length(coalesce(${outbox.payload} -> 'choices', '[]'::jsonb)) > 0`,
      ),
    )
    .orderBy(desc(outbox.sentAt), desc(outbox.id))
    .limit(1);
  return row?.payload.choices ?? null;
}
