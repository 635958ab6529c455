import { desc, eq } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { consents } from '../db/schema.js';

/**
 * The version of the privacy notice people read (content/locales: notice.*).
 * Bump it whenever the notice's words change, so each consent says what was read.
 */
export const NOTICE_VERSION = '2026-11-23';

export type ConsentPurpose = 'reminders' | 'dependent';

export async function recordConsent(
  q: Queryable,
  contactId: number,
  granted: boolean,
  at: Date,
  purpose: ConsentPurpose = 'reminders',
  onBehalfOf?: string,
): Promise<void> {
  await q.insert(consents).values({ contactId, noticeVersion: NOTICE_VERSION, purpose, granted, onBehalfOf, at });
}

export async function latestConsent(q: Queryable, contactId: number) {
  const [row] = await q
    .select()
    .from(consents)
    .where(eq(consents.contactId, contactId))
    .orderBy(desc(consents.at), desc(consents.id))
    .limit(1);
  return row ?? null;
}
