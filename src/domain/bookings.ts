import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { bookings, dependents, sessions } from '../db/schema.js';
import { recordConsent } from './consent.js';
import type { PersonPort } from './port.js';
import { dropReminders, reminderMessages, scheduleReminders } from './reminders.js';
import { getSession, nextSessions, type Session } from './sessions.js';
import { sessionTallies, tally, type Tally } from './tallies.js';

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
    if (dependentId !== null) {
      const [own] = await w.select({ id: dependents.id }).from(dependents).where(and(eq(dependents.id, dependentId), eq(dependents.contactId, c.id)));
      if (!own) return { kind: 'closed' };
    }
    // Read first, take the place last. Everyone booking a session queues on its
    // row's lock until they commit, so the place is the last write before the
    // commit: the booking, its reminders and the audit are written first, in a
    // savepoint, while others hold the lock. A full or closed session costs one read.
    const s = await getSession(w, sessionId);
    if (s?.status !== 'scheduled' || s.startsAt <= this.p.now) return { kind: 'closed' };
    if (s.booked >= s.capacity) return { kind: 'full', session: s, alternatives: await nextSessions(w, s.programme, s.wardCode, this.p.now, s.id) };
    const now = this.p.now.toISOString();
    const noPlace = new Error('no place');
    const result = await w
      .transaction(async (sp): Promise<BookResult> => {
        const [inserted] = await rows<{ id: number }>(
          sp,
          sql`insert into bookings (session_id, contact_id, dependent_id, phone, status, created_at)
              values (${sessionId}, ${c.id}, ${dependentId}, ${phone}, 'booked', ${now}::timestamptz)
              on conflict (session_id, contact_id, coalesce(dependent_id, 0)) where status <> 'cancelled' do nothing
              returning id`,
        );
        if (!inserted) return { kind: 'already', session: s };
        const bookingId = Number(inserted.id);
        const dep = dependentId === null ? undefined : (await this.dependents()).find((d) => d.id === dependentId);
        const who = dep?.name ?? null;
        const rel = dep?.relationship ?? null;
        let reminders = await scheduleReminders(sp, [{ id: bookingId, contactId: c.id, who, rel }], s, this.p.now);
        await this.p.audit('booking.create', `booking:${bookingId}`, { sessionId, dependentId });
        // The place: one conditional UPDATE, serialised by the row's lock, so capacity holds. The
        // tally goes with it in the same round trip (postgres.js pipelines them on the connection),
        // so the lock is held for one round trip and the commit; no place, and the savepoint undoes it.
        // The place is sent first: session row, then tally row, the order a cancellation locks them in.
        const place = sp
          .update(sessions)
          .set({ booked: sql`${sessions.booked} + 1` })
          .where(and(eq(sessions.id, sessionId), eq(sessions.status, 'scheduled'), gt(sessions.startsAt, this.p.now), sql`${sessions.booked} < ${sessions.capacity}`))
          .returning()
          .execute();
        const counted = tally(sp, sessionTallies(s, { bookings: 1 }));
        const [[taken]] = await Promise.all([place, counted]);
        if (!taken) throw noPlace; // back to the savepoint: no booking, no reminders, no audit, no tally
        const b = { id: bookingId, contactId: c.id, who, rel };
        if (JSON.stringify(reminderMessages(b, taken, this.p.now)) !== JSON.stringify(reminderMessages(b, s, this.p.now))) {
          // Staff changed the session since it was read: its reminders follow the session as it is now.
          await dropReminders(sp, [bookingId]);
          reminders = await scheduleReminders(sp, [b], taken, this.p.now);
        }
        // Counted on the day it was read; moved since, the count moves with it.
        const [was] = sessionTallies(s, { bookings: 1 });
        const [is] = sessionTallies(taken, { bookings: 1 });
        if (was!.day !== is!.day || was!.wardCode !== is!.wardCode || was!.programme !== is!.programme) await tally(sp, [{ ...was!, delta: -1 }, is!]);
        return { kind: 'booked', bookingId, session: taken, reminders };
      })
      .catch((err: unknown) => {
        if (err === noPlace) return null;
        throw err;
      });
    if (result) {
      if (result.kind === 'booked') await this.p.rememberName();
      return result;
    }
    // The last place went while this booking was being written.
    const now2 = await getSession(w, sessionId);
    if (now2?.status !== 'scheduled' || now2.startsAt <= this.p.now) return { kind: 'closed' };
    return { kind: 'full', session: now2, alternatives: await nextSessions(w, now2.programme, now2.wardCode, this.p.now, now2.id) };
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

