import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { parseJourneyKey } from './journeys.js';
import { parseReminderKey, type Slot } from './reminders.js';

/** One reminder still to be sent to a person: for a journey's window, or before a booked session. */
export type UpcomingReminder =
  | { type: 'journey'; journeyId: number; win: string; slot: string; dueAt: Date }
  | { type: 'booking'; bookingId: number; slot: Slot; dueAt: Date };

/**
 * The reminders a person will get, soonest first: their outbox rows still
 * pending (what the dispatcher will send, snoozes and catch-ups included, and
 * nothing a pause, a stop or a "Đã làm" cancelled). The rows are found by the
 * contact's index.
 */
export async function upcomingReminders(q: Queryable, contactId: number, limit = 50): Promise<UpcomingReminder[]> {
  const list = await rows<{ dedupe_key: string; due_at: string | Date }>(
    q,
    sql`select dedupe_key, due_at from outbox
        where contact_id = ${contactId} and status = 'pending' and (kind = 'reminder' or kind like 'journey.%')
        order by due_at, id
        limit ${limit}`,
  );
  const out: UpcomingReminder[] = [];
  for (const r of list) {
    const dueAt = new Date(r.due_at);
    const j = parseJourneyKey(r.dedupe_key);
    if (j) {
      out.push({ type: 'journey', journeyId: j.id, win: j.win, slot: j.slot, dueAt });
      continue;
    }
    const b = parseReminderKey(r.dedupe_key);
    if (b) out.push({ type: 'booking', bookingId: b.bookingId, slot: b.slot, dueAt });
  }
  return out;
}
