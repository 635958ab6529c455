import { sql, type SQL } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { localDate } from '../core/time.js';
import type { Session } from './sessions.js';

/**
 * The station's figures, kept so that they survive erasure. Every event the
 * indicators count adds to an anonymous row (local day, ward, programme,
 * metric) IN THE SAME TRANSACTION as the event itself: a booking and its
 * count commit together or not at all, and nothing in `tallies` points at a
 * person, so /xoa removes the person and never the count.
 *
 * Event metrics (written by the domain functions, as deltas):
 * - `subscribers.started` / `subscribers.stopped` (subscriptions.ts; active = started − stopped to date)
 * - `invitations` (sessions.ts, when a session is created: the rows enqueued)
 * - `bookings` / `bookings.cancelled` (bookings.ts, sessions.ts; on the session's day)
 * - `attended` / `no_show` (sessions.ts; a correction moves one from one to the other)
 * - `walkins` (walkins.ts)
 * - `milestone.<window>` (journeys.ts "Đã làm", once per window and journey)
 *
 * Outbox metrics (recomputed from the outbox by `tallyOutbox` in tallies-jobs.ts,
 * a periodic job, and only ever raised): `reminders.sent`, `reminders.failed`, `broadcast.reach`.
 */
export type EventMetric =
  | 'subscribers.started'
  | 'subscribers.stopped'
  | 'invitations'
  | 'bookings'
  | 'bookings.cancelled'
  | 'attended'
  | 'no_show'
  | 'walkins'
  | `milestone.${string}`;
export type OutboxMetric = 'reminders.sent' | 'reminders.failed' | 'broadcast.reach';
export type Metric = EventMetric | OutboxMetric;

export interface Tally {
  /** Local day, YYYY-MM-DD. */
  day: string;
  wardCode: string | null;
  programme: string;
  metric: EventMetric;
  delta: number;
}

const keyOf = (t: Tally) => `${t.day}|${t.wardCode ?? ''}|${t.programme}|${t.metric}`;

/**
 * Adds deltas to the tallies, in one statement. Keys are merged and sorted
 * first, so two transactions touching the same rows lock them in the same
 * order (no deadlock) and one statement never touches a row twice.
 */
export async function tally(q: Queryable, list: readonly Tally[]): Promise<void> {
  const statement = tallyStatement(list);
  if (statement) await q.execute(statement);
}

/** `tally`'s statement, or null when nothing changes; `onlyIf` gates it (inside a WITH, on another write's rows). */
export function tallyStatement(list: readonly Tally[], onlyIf?: SQL): SQL | null {
  const merged = new Map<string, Tally>();
  for (const t of list) {
    if (!t.delta) continue;
    const k = keyOf(t);
    const prev = merged.get(k);
    merged.set(k, prev ? { ...prev, delta: prev.delta + t.delta } : t);
  }
  const keys = [...merged.keys()].sort();
  const values = keys.map((k) => merged.get(k)!).filter((t) => t.delta !== 0);
  if (values.length === 0) return null;
  const tuples = sql.join(
    values.map((t) => sql`(${t.day}::date, ${t.wardCode ?? ''}, ${t.programme}, ${t.metric}, ${t.delta}::bigint)`),
    sql`, `,
  );
  const source = onlyIf ? sql`select * from (values ${tuples}) as v where ${onlyIf}` : sql`values ${tuples}`;
  return sql`insert into tallies (day, ward_code, programme, metric, count) ${source}
        on conflict (day, ward_code, programme, metric) do update set count = tallies.count + excluded.count`;
}

/** Deltas on a session's own day, ward and programme. */
export function sessionTallies(s: Pick<Session, 'startsAt' | 'wardCode' | 'programme'>, deltas: Partial<Record<EventMetric, number>>): Tally[] {
  const day = localDate(s.startsAt);
  return Object.entries(deltas).map(([metric, delta]) => ({ day, wardCode: s.wardCode, programme: s.programme, metric: metric as EventMetric, delta: delta ?? 0 }));
}

/** What a booking's status counts as ('booked' counts only in `bookings`). */
const STATUS_METRIC: Record<string, EventMetric | null> = { booked: null, attended: 'attended', no_show: 'no_show', cancelled: 'bookings.cancelled' };

/** A booking moved from one status to another: one less of the old, one more of the new. */
export function statusChange(s: Pick<Session, 'startsAt' | 'wardCode' | 'programme'>, from: string, to: string, n = 1): Tally[] {
  if (from === to || n === 0) return [];
  const deltas: Partial<Record<EventMetric, number>> = {};
  const a = STATUS_METRIC[from];
  const b = STATUS_METRIC[to];
  if (a) deltas[a] = (deltas[a] ?? 0) - n;
  if (b) deltas[b] = (deltas[b] ?? 0) + n;
  return sessionTallies(s, deltas);
}

/**
 * A session moved to another day: what it holds now (bookings not cancelled,
 * attendance, walk-ins) moves with it, so each month counts its own sessions.
 */
export async function moveSessionTallies(q: Queryable, before: Session, after: Session): Promise<void> {
  if (localDate(before.startsAt) === localDate(after.startsAt)) return;
  const [r] = await rows<{ live: number; attended: number; no_show: number; walkins: number }>(
    q,
    sql`select count(*) filter (where status <> 'cancelled')::int as live,
               count(*) filter (where status = 'attended')::int as attended,
               count(*) filter (where status = 'no_show')::int as no_show,
               (select count(*)::int from walk_ins w where w.session_id = ${after.id}) as walkins
        from bookings where session_id = ${after.id}`,
  );
  const held = { bookings: Number(r?.live ?? 0), attended: Number(r?.attended ?? 0), no_show: Number(r?.no_show ?? 0), walkins: Number(r?.walkins ?? 0) };
  const negate = Object.fromEntries(Object.entries(held).map(([k, v]) => [k, -v]));
  await tally(q, [...sessionTallies(before, negate), ...sessionTallies(after, held)]);
}

export interface SubscriptionBefore {
  programme: string;
  wardCode: string | null;
  endedAt: Date | null;
}

/** A subscribe (insert or revive): what started, and what moved ward (stopped there, started here). */
export function subscribeTallies(before: readonly SubscriptionBefore[], programmes: readonly string[], wardCode: string | null, at: Date): Tally[] {
  const day = localDate(at);
  const out: Tally[] = [];
  for (const programme of programmes) {
    const prev = before.find((b) => b.programme === programme);
    if (prev && !prev.endedAt && (prev.wardCode ?? '') === (wardCode ?? '')) continue;
    if (prev && !prev.endedAt) out.push({ day, wardCode: prev.wardCode, programme, metric: 'subscribers.stopped', delta: 1 });
    out.push({ day, wardCode, programme, metric: 'subscribers.started', delta: 1 });
  }
  return out;
}

/** Subscriptions that ended (or came back) at `at`, one tally per row. */
export const subscriptionTallies = (changed: readonly { programme: string; wardCode: string | null }[], metric: 'subscribers.started' | 'subscribers.stopped', at: Date): Tally[] =>
  changed.map((c) => ({ day: localDate(at), wardCode: c.wardCode, programme: c.programme, metric, delta: 1 }));

/**
 * The milestone a window's "Đã làm" counts as, or null when it was counted
 * already: once per window and journey. A newborn's "was the heel prick
 * done?" and the heel-prick window itself are one milestone (`heel`).
 */
export function milestoneOf(kind: string, win: string, marks: Record<string, string>): `milestone.${string}` | null {
  if (kind === 'newborn' && (win === 'heel' || win === 'check')) return marks.heel || marks.check ? null : 'milestone.heel';
  if (marks[win]) return null;
  return `milestone.${win}`;
}

/** Milestones the console names (others are counted under their window id). */
export const MILESTONES = ['thal', 'nt', 'tri2', 'morph', 'gdm', 'nbs', 'heel', 'pm', 'checkup'] as const;
