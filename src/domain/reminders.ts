import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { cancelByPrefix, enqueue } from '../outbox/enqueue.js';
import { deferQuietHours } from '../outbox/quiet-hours.js';
import { PRIORITY, type NewMessage, type OutboxPayload } from '../outbox/types.js';
import { daysFromToday, formatDate, formatTime, localDayAt, localParts } from '../core/time.js';
import { sessions } from '../db/schema.js';
import type { Session } from './sessions.js';
import { fromJsonRow } from '../db/json-row.js';
import { encodeAction } from '../core/actions.js';

/**
 * A booking's reminders: 3 days and 1 day before at 08:00, and 2 hours before on
 * the day (never before 07:00). Each is an outbox row keyed
 * `appt:<booking>:v<session version>:<slot>`: the version goes up whenever the
 * session's time or place changes, so a change re-plans what is still to come
 * and never re-sends what went out for the old plan. Texts are i18n keys and
 * params, rendered in the recipient's language when sent.
 */
export const SLOTS = ['d-3', 'd-1', 'h-2'] as const;
export type Slot = (typeof SLOTS)[number];

const HOUR = 3_600_000;

/** When each reminder is due; slots already past (a late booking) or not before the start are left out. */
export function reminderPlan(startsAt: Date, now: Date): { slot: Slot; dueAt: Date }[] {
  const sevenThatDay = localDayAt(startsAt, 0, 7);
  const twoBefore = new Date(Math.max(startsAt.getTime() - 2 * HOUR, sevenThatDay.getTime()));
  const plan: { slot: Slot; dueAt: Date }[] = [
    { slot: 'd-3', dueAt: localDayAt(startsAt, 3, 8) },
    { slot: 'd-1', dueAt: localDayAt(startsAt, 1, 8) },
    { slot: 'h-2', dueAt: deferQuietHours(twoBefore) },
  ];
  return plan.filter((p) => p.dueAt > now && p.dueAt < startsAt);
}

export const apptPrefix = (bookingId: number) => `appt:${bookingId}:`;
export const reminderKey = (bookingId: number, version: number, slot: Slot) => `appt:${bookingId}:v${version}:${slot}`;
const REMINDER_KEY = /^appt:(\d+):v(\d+):(d-3|d-1|h-2)$/;
export function parseReminderKey(key: string): { bookingId: number; version: number; slot: Slot } | null {
  const m = REMINDER_KEY.exec(key);
  return m ? { bookingId: Number(m[1]), version: Number(m[2]), slot: m[3] as Slot } : null;
}

/** A live booking as reminders need it: who gets them, for whom, for which session. */
export interface BookingForReminders {
  id: number;
  contactId: number;
  /** The dependent's name when booked for a relative. */
  who: string | null;
  /** Who the relative is to the person reminded (mother, father…): the reminder says "cho mẹ Lan". */
  rel?: string | null;
}

/** The params of "{{who, kin}}": a relative's name and who they are to the reader ("mẹ Lan"). */
export const kinParams = (who: string, rel?: string | null): { who: string; rel?: string } => ({ who, ...(rel ? { rel } : {}) });

/** The params that name a relative in a text: "cho {{who, kin}}" in the `_dep` form of a key (none for oneself). */
export const relativeParams = (who: string | null | undefined, rel?: string | null): Record<string, string> =>
  who ? { ...kinParams(who, rel), context: 'dep' } : {};

/** The words of a session, as params rendered at send time ($t(weekdays.N) and programme labels nest in the text). */
export function sessionParams(s: Session): Record<string, string | number> {
  return {
    programme: s.programme,
    weekday: localParts(s.startsAt).weekday,
    date: formatDate(s.startsAt),
    time: formatTime(s.startsAt),
    place: `${s.placeName}, ${s.placeAddress}`,
    note: s.note ? asSentence(s.note) : '',
  };
}

/** A station's note as a sentence of its own: capitalised, ending with a full stop (it follows "… tại {{place}}."). */
export function asSentence(note: string): string {
  const t = note.trim().replace(/\s+/g, ' ');
  if (!t) return '';
  const cap = t.charAt(0).toLocaleUpperCase('vi') + t.slice(1);
  return /[.!?…)"”]$/u.test(cap) ? cap : `${cap}.`;
}

function payloadFor(key: string, s: Session, b: BookingForReminders, withButtons: boolean): OutboxPayload {
  const params: Record<string, string | number> = { ...sessionParams(s), ...relativeParams(b.who, b.rel) };
  return {
    key,
    params,
    ...(withButtons
      ? {
          choices: [
            { key: 'reminders.willCome', value: encodeAction({ type: 'willCome', booking: b.id }) },
            { key: 'reminders.cancel', value: encodeAction({ type: 'cancelBooking', booking: b.id }) },
            { key: 'reminders.stop', value: encodeAction({ type: 'stop' }) },
          ],
        }
      : {}),
  };
}

/** The outbox rows a booking should have now (slots still to come). */
export function reminderMessages(b: BookingForReminders, s: Session, now: Date): NewMessage[] {
  return reminderPlan(s.startsAt, now).map(({ slot, dueAt }) => ({
    dedupeKey: reminderKey(b.id, s.version, slot),
    contactId: b.contactId,
    kind: 'reminder',
    payload: payloadFor(`reminders.${slot}`, s, b, true),
    priority: PRIORITY.reminder,
    dueAt,
  }));
}

/** Schedules a booking's reminders (idempotent: the dedupe keys). */
export async function scheduleReminders(q: Queryable, bookings: readonly BookingForReminders[], s: Session, now: Date): Promise<number> {
  return enqueue(q, bookings.flatMap((b) => reminderMessages(b, s, now)));
}

/** Drops what is still pending for a booking (sent rows stay as history). */
export async function dropReminders(q: Queryable, bookingIds: readonly number[]): Promise<number> {
  let n = 0;
  for (const id of bookingIds) n += await cancelByPrefix(q, apptPrefix(id));
  return n;
}

/** Tells the booked people a session changed or was cancelled; about today's session it may go out in quiet hours. */
export async function notifyBooked(
  q: Queryable,
  bookings: readonly BookingForReminders[],
  s: Session,
  what: 'changed' | 'cancelled',
  now: Date,
  previousStart?: Date,
): Promise<number> {
  const today = daysFromToday(now, s.startsAt) <= 0 || (previousStart !== undefined && daysFromToday(now, previousStart) <= 0);
  return enqueue(
    q,
    bookings.map((b) => ({
      dedupeKey: what === 'changed' ? `appt:${b.id}:v${s.version}:changed` : `appt:${b.id}:cancelled`,
      contactId: b.contactId,
      kind: `session.${what}`,
      payload: payloadFor(`notices.${what}`, s, b, false),
      priority: today ? PRIORITY.urgent : PRIORITY.reminder,
      dueAt: now,
    })),
  );
}

export interface DoctorReport {
  checked: number;
  /** Reminders that should be queued and were not (or had been cancelled): queued again. */
  missing: string[];
  /** Queued with a due time or words that no longer match the session: replaced. */
  stale: string[];
  /** Still pending for a booking or a version that is no longer live: cancelled. */
  orphaned: string[];
}

/**
 * Finds live bookings whose reminders are missing or stale and repairs them,
 * and cancels reminders left pending for bookings that are no longer live.
 * Idempotent; run daily by the scheduler and by `npm run doctor`. Takes a
 * transaction-scoped advisory lock so one replica runs it at a time.
 */
export async function repairReminders(q: Queryable, now: Date): Promise<DoctorReport> {
  const report: DoctorReport = { checked: 0, missing: [], stale: [], orphaned: [] };
  await rows(q, sql`select pg_advisory_xact_lock(hashtext('reminders.doctor'))`);
  const live = await rows<{ booking_id: number; contact_id: number; who: string | null; rel: string | null; session: Record<string, unknown> }>(
    q,
    sql`select b.id as booking_id, b.contact_id, d.name as who, d.relationship as rel, to_jsonb(s) as session
        from bookings b
        join sessions s on s.id = b.session_id
        join contacts c on c.id = b.contact_id
        left join dependents d on d.id = b.dependent_id
        where b.status = 'booked' and s.status = 'scheduled' and s.starts_at > ${now.toISOString()}::timestamptz
          and c.blocked_at is null and c.opted_out_at is null`,
  );
  const expected = new Map<string, NewMessage>();
  const liveVersion = new Map<number, number>();
  for (const r of live) {
    const s = fromJsonRow(sessions, r.session);
    liveVersion.set(r.booking_id, s.version);
    for (const m of reminderMessages({ id: r.booking_id, contactId: r.contact_id, who: r.who, rel: r.rel }, s, now)) expected.set(m.dedupeKey, m);
  }
  report.checked = live.length;

  const existing = await rows<{ dedupe_key: string; status: string; due_at: string | Date; payload: OutboxPayload | string }>(
    q,
    sql`select dedupe_key, status, due_at, payload from outbox
        where dedupe_key like 'appt:%' and (status = 'pending' or dedupe_key in (select jsonb_array_elements_text(${JSON.stringify([...expected.keys()])}::jsonb)))`,
  );
  const byKey = new Map(existing.map((r) => [r.dedupe_key, r]));
  const toQueue: NewMessage[] = [];
  for (const [key, m] of expected) {
    const row = byKey.get(key);
    if (!row || row.status === 'cancelled') {
      report.missing.push(key);
      toQueue.push(m);
    } else if (row.status === 'pending') {
      const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
      const due = new Date(row.due_at as string).getTime();
      if (due !== m.dueAt.getTime() || JSON.stringify(canonical(payload)) !== JSON.stringify(canonical(m.payload))) {
        report.stale.push(key);
        await cancelByPrefix(q, key);
        toQueue.push(m);
      }
    }
  }
  for (const row of existing) {
    if (row.status !== 'pending') continue;
    const k = parseReminderKey(row.dedupe_key);
    if (!k) continue;
    const version = liveVersion.get(k.bookingId);
    // Overdue but still pending for the live plan: the dispatcher will send it; leave it.
    if (version === k.version) continue;
    report.orphaned.push(row.dedupe_key);
    await cancelByPrefix(q, row.dedupe_key);
  }
  await enqueue(q, toQueue);
  return report;
}

/** Key order does not matter when comparing payloads. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canonical(x)]));
  return v;
}
