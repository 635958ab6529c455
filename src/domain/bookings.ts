import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { bookings, dependents, sessions } from '../db/schema.js';
import { recordConsent } from './consent.js';
import type { PersonPort } from './port.js';
import { auditStatement } from './audit.js';
import { enqueueStatement } from '../outbox/enqueue.js';
import { dropReminders, reminderMessages, scheduleReminders, type BookingForReminders } from './reminders.js';
import { fromJsonRow } from '../db/json-row.js';
import { getSession, nextSessions, type Session } from './sessions.js';
import { sessionTallies, tally, tallyStatement, type Tally } from './tallies.js';

export type Dependent = typeof dependents.$inferSelect;
export const RELATIONSHIPS = ['mother', 'father', 'grandmother', 'grandfather', 'other'] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];

export type BookResult =
  | { kind: 'booked'; bookingId: number; session: Session; reminders: number }
  | { kind: 'full'; session: Session; alternatives: Session[] }
  | { kind: 'already'; session: Session }
  | { kind: 'closed' };

export interface Appointment {
  bookingId: number;
  session: Session;
  dependentId: number | null;
  dependent: string | null;
  /** Who the relative is to the person (mother, father…). */
  relationship: string | null;
}

/** Parses "Nguyễn Thị Hoa, 1952" or "Mẹ Hoa 1952": a name and a plausible birth year. */
export function parseNameAndYear(typed: string, now: Date): { name: string; birthYear: number } | null {
  const m = /^(.*?)[\s,;-]*(?:sinh\s*(?:năm|nam)?\s*)?(\d{4})\s*$/iu.exec(typed.trim());
  if (!m) return null;
  const name = m[1]!.replace(/[\s,;-]+$/u, '').trim();
  const birthYear = Number(m[2]);
  const year = now.getUTCFullYear();
  if (name.length < 2 || name.length > 80 || birthYear < year - 120 || birthYear > year) return null;
  return { name, birthYear };
}

/**
 * A person's bookings and dependents, for one update. Capacity holds under
 * concurrency: a place is taken with one conditional UPDATE (`booked <
 * capacity`), which the row lock serialises; the unique index keeps one live
 * booking per attendee and session.
 */
export class BookingDesk {
  constructor(private readonly p: PersonPort) {}

  session(id: number): Promise<Session | null> {
    return getSession(this.p.read, id);
  }

  async dependents(): Promise<Dependent[]> {
    const c = this.p.contact();
    if (!c) return [];
    return this.p.read.select().from(dependents).where(eq(dependents.contactId, c.id)).orderBy(asc(dependents.id));
  }

  /** One of the person's own dependents, or null. */
  async dependent(id: number): Promise<Dependent | null> {
    const c = this.p.contact();
    if (!c || !Number.isInteger(id)) return null;
    const [row] = await this.p.read.select().from(dependents).where(and(eq(dependents.id, id), eq(dependents.contactId, c.id))).limit(1);
    return row ?? null;
  }

  /** Sessions of a programme with free places, that ward's first (to book a relative from their page). */
  openSessions(programme: string, wardCode: string): Promise<Session[]> {
    return nextSessions(this.p.read, programme, wardCode, this.p.now, 0, 5);
  }

  /** Adds a relative, with the consent the person gave on their behalf recorded as such. */
  async addDependent(d: { name: string; birthYear: number; relationship: Relationship; wardCode: string | null }): Promise<Dependent> {
    const c = await this.p.ensure();
    const w = this.p.write();
    const [row] = await w.insert(dependents).values({ ...d, contactId: c.id, createdAt: this.p.now }).returning();
    await recordConsent(w, c.id, true, this.p.now, 'dependent', `dependent:${row!.id}`);
    return row!;
  }

  async book(sessionId: number, dependentId: number | null, phone: string | null): Promise<BookResult> {
    const c = await this.p.ensure();
    const w = this.p.write();
    const now = this.p.now.toISOString();
    // One read: the session, whether this attendee holds a place in it already, the relative
    // (only one of the person's own), and, when a place is free, the booking's id, so that its
    // reminders can be written in the same statement as the booking itself.
    const [read] = await rows<{ session: Record<string, unknown>; already: boolean; dep: { name: string; rel: string | null } | null; next_id: string | number | null }>(
      w,
      sql`select to_jsonb(s) as session,
                 exists (select 1 from bookings b where b.session_id = s.id and b.contact_id = ${c.id}
                           and coalesce(b.dependent_id, 0) = ${dependentId ?? 0}::integer and b.status <> 'cancelled') as already,
                 (select jsonb_build_object('name', d.name, 'rel', d.relationship) from dependents d
                   where d.id = ${dependentId}::integer and d.contact_id = ${c.id}) as dep,
                 case when s.status = 'scheduled' and s.booked < s.capacity then nextval(pg_get_serial_sequence('bookings', 'id')) end as next_id
          from sessions s,
               -- The write below is planned for its own values: left to choose, Postgres moves it to a
               -- generic plan after five runs, which ran 2.6 times slower (1.8 ms against 0.7).
               (select set_config('plan_cache_mode', 'force_custom_plan', true)) as planning
          where s.id = ${sessionId}`,
    );
    if (!read || (dependentId !== null && !read.dep)) return { kind: 'closed' };
    const s = fromJsonRow(sessions, read.session);
    if (s.status !== 'scheduled' || s.startsAt <= this.p.now) return { kind: 'closed' };
    if (s.booked >= s.capacity || read.next_id === null) return this.full(s);
    if (read.already) return { kind: 'already', session: s };
    const b: BookingForReminders = { id: Number(read.next_id), contactId: c.id, who: read.dep?.name ?? null, rel: read.dep?.rel ?? null };
    const planned = reminderMessages(b, s, this.p.now);
    // The write: one statement takes the place (a conditional UPDATE, serialised by the session
    // row's lock, so capacity holds) and, only if it did, writes the booking, its reminders, the
    // audit and the count. Everyone booking the session queues on that lock until they commit,
    // so it is held for this one statement and the commit, and no place means nothing written.
    const taken = sql`exists (select 1 from place)`;
    const writes: [string, SQL | null][] = [
      ['booking', sql`insert into bookings (id, session_id, contact_id, dependent_id, phone, status, created_at)
        select ${b.id}::integer, id, ${c.id}::integer, ${dependentId}::integer, ${phone}::text, 'booked', ${now}::timestamptz from place`],
      ['reminders', enqueueStatement(planned, taken)],
      ['audited', auditStatement({ actorContactId: c.id, action: 'booking.create', target: `booking:${b.id}`, details: { sessionId, dependentId }, at: this.p.now }, taken)],
      ['counted', tallyStatement(sessionTallies(s, { bookings: 1 }), taken)],
    ];
    const ctes = writes.filter((x): x is [string, SQL] => x[1] !== null).map(([name, statement]) => sql`${sql.raw(name)} as (${statement} returning 1)`);
    const [row] = await rows<{ session: Record<string, unknown>; reminders: number }>(
      w,
      sql`with place as (
            update sessions set booked = booked + 1
            where id = ${sessionId} and status = 'scheduled' and starts_at > ${now}::timestamptz and booked < capacity
            returning *
          ), ${sql.join(ctes, sql`, `)}
          select to_jsonb(p) as session, ${planned.length ? sql`(select count(*)::int from reminders)` : sql`0`} as reminders from place p`,
    );
    // The last place went between the read and the write.
    if (!row) return this.afterRace(sessionId);
    const session = fromJsonRow(sessions, row.session);
    let reminders = Number(row.reminders);
    if (JSON.stringify(reminderMessages(b, session, this.p.now)) !== JSON.stringify(planned)) {
      // Staff changed the session since it was read: its reminders follow the session as it is now.
      await dropReminders(w, [b.id]);
      reminders = await scheduleReminders(w, [b], session, this.p.now);
    }
    // Counted on the day it was read; moved since, the count moves with it.
    const [was] = sessionTallies(s, { bookings: 1 });
    const [is] = sessionTallies(session, { bookings: 1 });
    if (was!.day !== is!.day || was!.wardCode !== is!.wardCode || was!.programme !== is!.programme) await tally(w, [{ ...was!, delta: -1 }, is!]);
    await this.p.rememberName();
    return { kind: 'booked', bookingId: b.id, session, reminders };
  }

  private async full(s: Session): Promise<BookResult> {
    return { kind: 'full', session: s, alternatives: await nextSessions(this.p.write(), s.programme, s.wardCode, this.p.now, s.id) };
  }

  private async afterRace(sessionId: number): Promise<BookResult> {
    const s = await getSession(this.p.write(), sessionId);
    if (s?.status !== 'scheduled' || s.startsAt <= this.p.now) return { kind: 'closed' };
    return this.full(s);
  }

  /** Cancels one of the person's own (or their dependents') bookings; its reminders go. */
  async cancel(bookingId: number): Promise<Session | null> {
    const c = this.p.contact();
    if (!c) return null;
    const w = this.p.write();
    const [b] = await w
      .update(bookings)
      .set({ status: 'cancelled', updatedAt: this.p.now })
      .where(and(eq(bookings.id, bookingId), eq(bookings.contactId, c.id), eq(bookings.status, 'booked')))
      .returning();
    if (!b) return null;
    const [s] = await w.update(sessions).set({ booked: sql`greatest(${sessions.booked} - 1, 0)` }).where(eq(sessions.id, b.sessionId)).returning();
    await dropReminders(w, [bookingId]);
    if (s) await tally(w, sessionTallies(s, { 'bookings.cancelled': 1 }));
    await this.p.audit('booking.cancel', `booking:${bookingId}`, { sessionId: b.sessionId });
    return s ?? null;
  }

  /**
   * Gives back every place the person holds (before their data is erased: the
   * bookings go with the contact, the places must not stay taken).
   */
  async releaseAll(): Promise<number> {
    const c = this.p.contact();
    if (!c) return 0;
    const released = await rows<{ id: number; ward_code: string; programme: string; starts_at: Date | string; held: number }>(
      this.p.write(),
      sql`update sessions s set booked = greatest(s.booked - n.held, 0)
          from (select session_id, count(*)::int as held from bookings
                where contact_id = ${c.id} and status = 'booked' group by session_id) n
          where s.id = n.session_id
          returning s.id, s.ward_code, s.programme, s.starts_at, n.held`,
    );
    // Places in sessions still to come go back, and count as cancelled (past ones stay counted as booked).
    const counts: Tally[] = released.filter((r) => new Date(r.starts_at) > this.p.now).flatMap((r) =>
      sessionTallies({ startsAt: new Date(r.starts_at), wardCode: r.ward_code, programme: r.programme }, { 'bookings.cancelled': Number(r.held) }),
    );
    await tally(this.p.write(), counts);
    return released.length;
  }

  /** The person's and their dependents' upcoming appointments. */
  async upcoming(): Promise<Appointment[]> {
    const c = this.p.contact();
    if (!c) return [];
    const list = await this.p.read
      .select({ bookingId: bookings.id, session: sessions, dependentId: bookings.dependentId, dependent: dependents.name, relationship: dependents.relationship })
      .from(bookings)
      .innerJoin(sessions, eq(sessions.id, bookings.sessionId))
      .leftJoin(dependents, eq(dependents.id, bookings.dependentId))
      .where(and(eq(bookings.contactId, c.id), eq(bookings.status, 'booked'), eq(sessions.status, 'scheduled'), gt(sessions.startsAt, this.p.now)))
      .orderBy(asc(sessions.startsAt));
    return list;
  }

  async appointment(bookingId: number): Promise<Appointment | null> {
    return (await this.upcoming()).find((a) => a.bookingId === bookingId) ?? null;
  }
}

