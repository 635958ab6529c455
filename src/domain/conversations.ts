import { eq } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { conversationState } from '../db/schema.js';
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
