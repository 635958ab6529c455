import { and, asc, eq, gt, inArray, ne, sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { bookings, contacts, dependents, sessions } from '../db/schema.js';
import { enqueueSelect } from '../outbox/enqueue.js';
import { PRIORITY } from '../outbox/types.js';
import type { ScreeningProgramme } from '../core/programmes.js';
import { dropReminders, notifyBooked, scheduleReminders, sessionParams, type BookingForReminders } from './reminders.js';
import { bookForPrefix, encodeAction } from '../core/actions.js';
import { localDate } from '../core/time.js';
import { moveSessionTallies, sessionTallies, statusChange, tally } from './tallies.js';

/** Screening sessions: the SQL. Who may call what is decided in staff.ts, at the edge. */

export type Session = typeof sessions.$inferSelect;

export interface NewSession {
  programme: ScreeningProgramme;
  wardCode: string;
  placeName: string;
  placeAddress: string;
  startsAt: Date;
  durationMin: number;
  capacity: number;
  note: string | null;
  needsPhone: boolean;
}

export async function getSession(q: Queryable, id: number): Promise<Session | null> {
  const [row] = await q.select().from(sessions).where(eq(sessions.id, id)).limit(1);
  return row ?? null;
}

/** The session row locked for this transaction (changes to one session happen one at a time). */
async function lockSession(q: Queryable, id: number): Promise<Session | null> {
  const [row] = await q.select().from(sessions).where(eq(sessions.id, id)).for('update').limit(1);
  return row ?? null;
}

/**
 * Creates a session and invites, in the same transaction, every subscriber of
 * its programme in its ward: one INSERT … SELECT into the outbox. A relative's
 * subscription (in the relative's ward) is its own invitation, to the person
 * who looks after them, naming the relative, whose button books for them
 * (keys `inv:<session>:<contact>` and `inv:<session>:<contact>:d<relative>`): a
 * person subscribed for two parents in that ward gets two short invitations,
 * each with one clear button, rather than one message to untangle.
 */
export async function createSession(q: Queryable, input: NewSession, by: number, now: Date): Promise<{ session: Session; invited: number }> {
  const [session] = await q.insert(sessions).values({ ...input, createdBy: by, createdAt: now }).returning();
  if (!session) throw new Error('session insert returned nothing');
  const params = { ...sessionParams(session), free: session.capacity };
  const own = JSON.stringify({ key: 'invites.session', params, choices: [{ key: 'invites.book', value: encodeAction({ type: 'book', session: session.id }) }] });
  const forRelative = sql`jsonb_build_object(
    'key', 'invites.session',
    'params', ${JSON.stringify(params)}::jsonb || jsonb_build_object('who', d.name, 'rel', d.relationship, 'context', 'dep'),
    'choices', jsonb_build_array(jsonb_build_object('key', 'invites.bookFor', 'value', ${bookForPrefix(session.id)} || d.id::text, 'params', jsonb_build_object('who', d.name, 'rel', d.relationship))))`;
  const invited = await enqueueSelect(
    q,
    sql`select 'inv:' || ${session.id}::text || ':' || s.contact_id::text || coalesce(':d' || s.dependent_id::text, '') as dedupe_key, s.contact_id,
               'invite' as kind, case when d.id is null then ${own}::jsonb else ${forRelative} end as payload,
               ${PRIORITY.invite}::smallint as priority, ${now.toISOString()}::timestamptz as due_at
        from subscriptions s
        left join dependents d on d.id = s.dependent_id
        where s.programme = ${session.programme} and s.ward_code = ${session.wardCode} and s.ended_at is null`,
  );
  await tally(q, [{ day: localDate(now), wardCode: session.wardCode, programme: session.programme, metric: 'invitations', delta: invited }]);
  return { session, invited };
}

/** Upcoming (or just past) sessions in these wards; all wards when `wardCodes` is null. */
export async function sessionsIn(q: Queryable, wardCodes: readonly string[] | null, since: Date, limit = 10): Promise<Session[]> {
  const where = [eq(sessions.status, 'scheduled'), gt(sessions.startsAt, since)];
  if (wardCodes) where.push(wardCodes.length ? inArray(sessions.wardCode, [...wardCodes]) : sql`false`);
  return q.select().from(sessions).where(and(...where)).orderBy(asc(sessions.startsAt)).limit(limit);
}

/** The next sessions of a programme with free places: the same ward first, then the rest of the city. */
export async function nextSessions(q: Queryable, programme: string, wardCode: string, now: Date, exceptId: number, limit = 3): Promise<Session[]> {
  return q
    .select()
    .from(sessions)
    .where(and(eq(sessions.programme, programme), eq(sessions.status, 'scheduled'), gt(sessions.startsAt, now), ne(sessions.id, exceptId), sql`${sessions.booked} < ${sessions.capacity}`))
    .orderBy(sql`${sessions.wardCode} = ${wardCode} desc`, asc(sessions.startsAt))
    .limit(limit);
}

/** The live bookings of a session, as reminders need them. */
async function liveBookings(q: Queryable, sessionId: number): Promise<BookingForReminders[]> {
  return q
    .select({ id: bookings.id, contactId: bookings.contactId, who: dependents.name, rel: dependents.relationship })
    .from(bookings)
    .leftJoin(dependents, eq(dependents.id, bookings.dependentId))
    .where(and(eq(bookings.sessionId, sessionId), eq(bookings.status, 'booked')));
}

/**
 * Changes a session's time and/or place. In the same transaction every live
 * booking's pending reminders are dropped and planned again for the new
 * version, and the booked people are told.
 */
export async function changeSession(
  q: Queryable,
  id: number,
  change: { startsAt?: Date; placeName?: string; placeAddress?: string },
  now: Date,
): Promise<{ session: Session; told: number } | null> {
  const before = await lockSession(q, id);
  if (before?.status !== 'scheduled') return null;
  const [session] = await q
    .update(sessions)
    .set({ ...change, version: sql`${sessions.version} + 1` })
    .where(eq(sessions.id, id))
    .returning();
  const live = await liveBookings(q, id);
  await dropReminders(q, live.map((b) => b.id));
  await scheduleReminders(q, live, session!, now);
  const told = await notifyBooked(q, live, session!, 'changed', now, before.startsAt);
  await moveSessionTallies(q, before, session!);
  return { session: session!, told };
}

/** New capacity, never below what is already booked. */
export async function setCapacity(q: Queryable, id: number, capacity: number): Promise<Session | 'below-booked' | null> {
  const [session] = await q
    .update(sessions)
    .set({ capacity })
    .where(and(eq(sessions.id, id), eq(sessions.status, 'scheduled'), sql`${sessions.booked} <= ${capacity}`))
    .returning();
  if (session) return session;
  const existing = await getSession(q, id);
  return existing && existing.status === 'scheduled' ? 'below-booked' : null;
}

/** Cancels a session: its bookings end, their reminders are dropped and the people told. */
export async function cancelSession(q: Queryable, id: number, now: Date): Promise<{ session: Session; told: number } | null> {
  const before = await lockSession(q, id);
  if (before?.status !== 'scheduled') return null;
  const [session] = await q.update(sessions).set({ status: 'cancelled', cancelledAt: now, booked: 0 }).where(eq(sessions.id, id)).returning();
  const live = await liveBookings(q, id);
  await q.update(bookings).set({ status: 'cancelled', updatedAt: now }).where(and(eq(bookings.sessionId, id), eq(bookings.status, 'booked')));
  await dropReminders(q, live.map((b) => b.id));
  const told = await notifyBooked(q, live, session!, 'cancelled', now);
  await tally(q, sessionTallies(before, { 'bookings.cancelled': live.length }));
  return { session: session!, told };
}

export interface BookingLine {
  id: number;
  status: string;
  /** The platform display name of the person who booked (stored when they booked). */
  name: string | null;
  /** The relative booked for, and their birth year. */
  dependent: string | null;
  birthYear: number | null;
  phone: string | null;
}

/** Who booked a session (staff view). */
export async function sessionBookings(q: Queryable, sessionId: number): Promise<BookingLine[]> {
  return q
    .select({ id: bookings.id, status: bookings.status, name: contacts.displayName, dependent: dependents.name, birthYear: dependents.birthYear, phone: bookings.phone })
    .from(bookings)
    .innerJoin(contacts, eq(contacts.id, bookings.contactId))
    .leftJoin(dependents, eq(dependents.id, bookings.dependentId))
    .where(and(eq(bookings.sessionId, sessionId), ne(bookings.status, 'cancelled')))
    .orderBy(asc(bookings.id));
}

/** Marks one booking attended or not; what remains of its reminders is dropped. */
export async function markAttendance(q: Queryable, sessionId: number, bookingId: number, attended: boolean, now: Date): Promise<boolean> {
  const [before] = await q
    .select({ status: bookings.status, session: sessions })
    .from(bookings)
    .innerJoin(sessions, eq(sessions.id, bookings.sessionId))
    .where(and(eq(bookings.id, bookingId), eq(bookings.sessionId, sessionId), ne(bookings.status, 'cancelled')))
    .for('update', { of: bookings });
  const updated = await q
    .update(bookings)
    .set({ status: attended ? 'attended' : 'no_show', updatedAt: now })
    .where(and(eq(bookings.id, bookingId), eq(bookings.sessionId, sessionId), ne(bookings.status, 'cancelled')))
    .returning({ id: bookings.id });
  if (updated.length) await dropReminders(q, [bookingId]);
  if (updated.length && before) await tally(q, statusChange(before.session, before.status, attended ? 'attended' : 'no_show'));
  return updated.length > 0;
}

/** After the session: everyone not marked attended is a no-show; their pending rows go. */
export async function markRestNoShow(q: Queryable, sessionId: number, now: Date): Promise<number> {
  const updated = await rows<{ id: number }>(
    q,
    sql`update bookings set status = 'no_show', updated_at = ${now.toISOString()}::timestamptz
        where session_id = ${sessionId} and status = 'booked' returning id`,
  );
  await dropReminders(q, updated.map((u) => Number(u.id)));
  const session = updated.length ? await getSession(q, sessionId) : null;
  if (session) await tally(q, statusChange(session, 'booked', 'no_show', updated.length));
  return updated.length;
}
