import { and, eq, sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { fromJsonRow } from '../db/json-row.js';
import { contacts, conversationState } from '../db/schema.js';
import type { ChannelName } from '../core/messages.js';

export type Contact = typeof contacts.$inferSelect;
export type ConversationRow = typeof conversationState.$inferSelect;

/**
 * Serialises the updates of one person: a transaction-scoped advisory lock
 * keyed on channel and platform id, so it works before the contact row exists.
 */
export async function lockContact(q: Queryable, channel: ChannelName, userId: string): Promise<void> {
  await q.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${channel}:${userId}`}, 0))`);
}

/**
 * The person's lock, then their contact and conversation state: one round trip
 * (the `lock_and_find_contact` function, migration 0017) for what every update
 * that writes starts with. The read sees what the lock's previous holder committed.
 */
export async function lockAndFindContact(q: Queryable, channel: ChannelName, userId: string): ReturnType<typeof findContactWithState> {
  const [row] = await rows<{ found_contact: Record<string, unknown>; found_state: Record<string, unknown> | null }>(
    q,
    sql`select found_contact, found_state from lock_and_find_contact(${channel}, ${userId})`,
  );
  if (!row) return null;
  return { contact: fromJsonRow(contacts, row.found_contact), state: row.found_state ? fromJsonRow(conversationState, row.found_state) : null };
}

const contactWithState = (q: Queryable) =>
  q
    .select({ contact: contacts, state: conversationState })
    .from(contacts)
    .leftJoin(conversationState, eq(conversationState.contactId, contacts.id))
    .where(and(eq(contacts.channel, sql.placeholder('channel')), eq(contacts.platformUserId, sql.placeholder('userId'))))
    .limit(1);

/** Built once per database: building a drizzle query costs more than running it here. */
const prepared = new WeakMap<Queryable, ReturnType<ReturnType<typeof contactWithState>['prepare']>>();

/** The contact and its conversation state in one read (the hot path's only query). */
export async function findContactWithState(
  q: Queryable,
  channel: ChannelName,
  userId: string,
): Promise<{ contact: Contact; state: ConversationRow | null } | null> {
  let query = prepared.get(q);
  if (!query) prepared.set(q, (query = contactWithState(q).prepare('contact_with_state')));
  const [row] = await query.execute({ channel, userId });
  return row ?? null;
}

export async function findContact(q: Queryable, channel: ChannelName, userId: string): Promise<Contact | null> {
  const [row] = await q
    .select()
    .from(contacts)
    .where(and(eq(contacts.channel, channel), eq(contacts.platformUserId, userId)))
    .limit(1);
  return row ?? null;
}

export async function createContact(
  q: Queryable,
  values: { channel: ChannelName; platformUserId: string; chatId: string; locale: string },
): Promise<Contact> {
  const [row] = await q
    .insert(contacts)
    .values(values)
    .onConflictDoUpdate({ target: [contacts.channel, contacts.platformUserId], set: { chatId: values.chatId } })
    .returning();
  if (!row) throw new Error('contact insert returned nothing');
  return row;
}

export async function updateContact(
  q: Queryable,
  id: number,
  values: Partial<Pick<Contact, 'locale' | 'wardCode' | 'displayName' | 'blockedAt' | 'optedOutAt' | 'role'>>,
): Promise<void> {
  await q.update(contacts).set(values).where(eq(contacts.id, id));
}

/** A 403 from the platform or a "kicked" member update: nothing more is sent to this person. */
export async function setBlocked(q: Queryable, channel: ChannelName, userId: string, at: Date | null): Promise<void> {
  await q
    .update(contacts)
    .set({ blockedAt: at })
    .where(and(eq(contacts.channel, channel), eq(contacts.platformUserId, userId)));
}

/** Erases the person: the row goes and its consents, subscriptions and state cascade with it. */
export async function eraseContact(q: Queryable, id: number): Promise<void> {
  await q.delete(contacts).where(eq(contacts.id, id));
}
