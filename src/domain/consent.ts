import { and, desc, eq, notInArray } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { consents } from '../db/schema.js';

/**
 * The version of the privacy notice people read (content/locales: notice.*).
 * Bump it whenever the notice's words change, so each consent says what was read.
 */
export const NOTICE_VERSION = '2026-11-23.2';

/**
 * 'zns': reminders by ZNS to a phone number (src/domain/zns.ts), a narrower
 * consent on top of the main one: granting or refusing it never changes the
 * main one, so latestConsent leaves it out.
 */
export type ConsentPurpose = 'reminders' | 'dependent' | 'zns';

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

/**
 * The person's own latest decision. Consents given for a relative ('dependent',
 * on their behalf) and withdrawn when the relative is removed are theirs, not
 * the person's, so they are left out too.
 */
export async function latestConsent(q: Queryable, contactId: number) {
  const [row] = await q
    .select()
    .from(consents)
    .where(and(eq(consents.contactId, contactId), notInArray(consents.purpose, ['zns', 'dependent'])))
    .orderBy(desc(consents.at), desc(consents.id))
    .limit(1);
  return row ?? null;
}
