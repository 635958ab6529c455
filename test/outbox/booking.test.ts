import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { openDatabase, rows, type Database, type Queryable } from '../../src/db/client.js';
import { BookingDesk } from '../../src/domain/bookings.js';
import { createContact, type Contact } from '../../src/domain/contacts.js';
import { DEFAULT_SETTINGS, type PersonPort } from '../../src/domain/port.js';
import { createSession } from '../../src/domain/sessions.js';
import { outboxDatabase } from './support.js';

/**
 * A booking is one read and one write (bench/booking.ts: booking.per_s): the
 * session's row is everyone's, so its lock is taken by the one statement that
 * writes the place, the booking, its reminders, the audit and the count, and
 * held only until the commit; no place, and that statement writes nothing.
 */
let database: Awaited<ReturnType<typeof outboxDatabase>>;
let other: Database;
let staff: Contact;
const NOW = new Date('2026-11-23T03:00:00Z'); // 10:00 in Hải Phòng
let n = 0;

beforeAll(async () => {
  database = await outboxDatabase();
  // Another session, as another person's booking or a staff member would be; it never waits long for a lock.
  other = await openDatabase({ url: database.url, max: 1 });
  await rows(other.db, sql`select set_config('lock_timeout', '2s', false)`);
  staff = await createContact(database.db, { channel: 'telegram', platformUserId: 'booking-staff', chatId: 'booking-staff', locale: 'vi' });
});
afterAll(async () => {
  await other.close();
  await database.close();
});

async function session(capacity = 5, wardCode = '11383') {
  const { session: s } = await createSession(database.db, {
    programme: 'elderly', wardCode, placeName: 'Trạm Y tế', placeAddress: '1 Lê Lợi',
    startsAt: new Date('2026-12-10T00:30:00Z'), durationMin: 120, capacity, note: null, needsPhone: false,
  }, staff.id, NOW);
  return s;
}

const dialect = new PgDialect();

/**
 * Books `sessionId` for a new person in one transaction; `meanwhile` runs just
 * before the booking's write (another session's change between its read and its write).
 */
async function book(sessionId: number, meanwhile: () => Promise<void> = async () => {}, dependentId: number | null = null, existing?: Contact) {
  n++;
  const person = existing ?? (await createContact(database.db, { channel: 'telegram', platformUserId: `booker-${n}`, chatId: `booker-${n}`, locale: 'vi' }));
  const statements: string[] = [];
  const result = await database.db.transaction(async (tx) => {
    // The transaction as the booking sees it: each statement is recorded, and the write waits for `meanwhile`.
    const seen = new Proxy(tx, {
      get(target, prop, receiver) {
        if (prop !== 'execute') return Reflect.get(target, prop, receiver);
        return async (query: SQL) => {
          const text = dialect.sqlToQuery(query).sql;
          statements.push(text);
          if (text.includes('with place as')) await meanwhile();
          return target.execute(query);
        };
      },
    }) as unknown as Queryable;
    const port: PersonPort = {
      read: seen, write: () => seen, now: NOW, settings: DEFAULT_SETTINGS,
      contact: () => person, ensure: async () => person,
      audit: async () => {
        throw new Error('a booking writes its audit row in its own statement');
      },
      rememberName: async () => {},
      actor: async () => ({ contactId: person.id, grant: null }),
      granted: () => {},
    };
    return new BookingDesk(port).book(sessionId, dependentId, null);
  });
  return { result, person, statements };
}

const left = async (contactId: number) => ({
  bookings: (await rows(database.db, sql`select 1 from bookings where contact_id = ${contactId}`)).length,
  reminders: (await rows<{ k: string }>(database.db, sql`select dedupe_key as k, status from outbox where contact_id = ${contactId} order by k`)),
  audit: (await rows(database.db, sql`select 1 from audit_log where actor_contact_id = ${contactId}`)).length,
});

describe('a booking is one read and one write', () => {
  it('the place, the booking, its reminders, the audit and the count are written by one statement', async () => {
    const s = await session(5, '10525');
    const { result, person, statements } = await book(s.id);
    expect(result.kind).toBe('booked');
    expect(statements).toHaveLength(2);
    expect(statements[1]).toContain('with place as');
    const [row] = await rows<{ booked: number }>(database.db, sql`select booked from sessions where id = ${s.id}`);
    expect(Number(row!.booked)).toBe(1);
    const written = await left(person.id);
    expect(written.bookings).toBe(1);
    expect(written.audit).toBe(1);
    expect(written.reminders.map((r) => r.k)).toEqual(['d-1', 'd-3', 'h-2'].map((slot) => `appt:${(result as { bookingId: number }).bookingId}:v1:${slot}`));
    if (result.kind === 'booked') expect(result.reminders).toBe(3);
    const [counted] = await rows<{ count: number }>(database.db, sql`select count from tallies where ward_code = '10525' and metric = 'bookings'`);
    expect(Number(counted?.count)).toBe(1);
  });

  it('booked already, or for someone else’s relative: no place taken, nothing written', async () => {
    const s = await session(5, '10525');
    const first = await book(s.id);
    const again = await book(s.id, undefined, null, first.person);
    expect(again.result.kind).toBe('already');
    const strangers = await createContact(database.db, { channel: 'telegram', platformUserId: 'booking-stranger', chatId: 'booking-stranger', locale: 'vi' });
    const [dep] = await rows<{ id: number }>(
      database.db,
      sql`insert into dependents (contact_id, name, birth_year, relationship, created_at) values (${strangers.id}, 'Lan', 1950, 'mother', now()) returning id`,
    );
    const other = await book(s.id, undefined, Number(dep!.id));
    expect(other.result.kind).toBe('closed');
    expect(other.statements).toHaveLength(1);
    const [row] = await rows<{ booked: number }>(database.db, sql`select booked from sessions where id = ${s.id}`);
    expect(Number(row!.booked)).toBe(1);
    expect((await left(first.person.id)).bookings).toBe(1);
  });

  it('the last place taken meanwhile: full, and nothing of the booking stays (no booking, reminder or audit row)', async () => {
    const s = await session(1);
    const { result, person } = await book(s.id, async () => {
      await rows(other.db, sql`update sessions set booked = capacity where id = ${s.id}`);
    });
    expect(result.kind).toBe('full');
    expect(await left(person.id)).toEqual({ bookings: 0, reminders: [], audit: 0 });
    const [row] = await rows<{ booked: number }>(database.db, sql`select booked from sessions where id = ${s.id}`);
    expect(Number(row!.booked)).toBe(1); // never over capacity
  });

  it('the session moved meanwhile: the reminders follow it as it is now', async () => {
    const s = await session(5, '10507');
    const { result, person } = await book(s.id, async () => {
      await rows(other.db, sql`update sessions set starts_at = starts_at + interval '1 day', version = version + 1 where id = ${s.id}`);
    });
    expect(result.kind).toBe('booked');
    const { reminders } = await left(person.id);
    const pending = reminders.filter((r) => (r as { status?: string }).status === 'pending').map((r) => r.k);
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((k) => k.includes(`:v${s.version + 1}:`))).toBe(true);
    // The booking counts on the session's new day, not the day it was read on.
    const counts = await rows<{ day: string; count: number }>(
      database.db,
      sql`select day::text as day, count from tallies where ward_code = '10507' and programme = 'elderly' and metric = 'bookings' and count <> 0 order by day`,
    );
    expect(counts.map((c) => [c.day, Number(c.count)])).toEqual([['2026-12-11', 1]]);
  });
});
