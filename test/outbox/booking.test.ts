import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, rows, type Database, type Queryable } from '../../src/db/client.js';
import { audit } from '../../src/domain/audit.js';
import { BookingDesk } from '../../src/domain/bookings.js';
import { createContact, type Contact } from '../../src/domain/contacts.js';
import { DEFAULT_SETTINGS, type PersonPort } from '../../src/domain/port.js';
import { createSession } from '../../src/domain/sessions.js';
import { outboxDatabase } from './support.js';

/**
 * A booking takes its place last (bench/booking.ts: booking.per_s): the
 * session's row is everyone's, so its lock is taken by the last write before
 * the commit, and what comes before (the booking, its reminders in the outbox,
 * the audit) is written in a savepoint that goes if the place is gone.
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

/** Books `sessionId` for a new person in one transaction; `meanwhile` runs when the booking writes its audit row. */
async function book(sessionId: number, meanwhile: () => Promise<void>) {
  n++;
  const person = await createContact(database.db, { channel: 'telegram', platformUserId: `booker-${n}`, chatId: `booker-${n}`, locale: 'vi' });
  const result = await database.db.transaction(async (tx) => {
    const port: PersonPort = {
      read: tx, write: () => tx, now: NOW, settings: DEFAULT_SETTINGS,
      contact: () => person, ensure: async () => person,
      audit: async (action, target, details) => {
        await meanwhile();
        await audit(tx as Queryable, { actorContactId: person.id, action, at: NOW, ...(target ? { target } : {}), ...(details ? { details } : {}) });
      },
      rememberName: async () => {},
      actor: async () => ({ contactId: person.id, grant: null }),
      granted: () => {},
    };
    return new BookingDesk(port).book(sessionId, null, null);
  });
  return { result, person };
}

const left = async (contactId: number) => ({
  bookings: (await rows(database.db, sql`select 1 from bookings where contact_id = ${contactId}`)).length,
  reminders: (await rows<{ k: string }>(database.db, sql`select dedupe_key as k, status from outbox where contact_id = ${contactId} order by k`)),
  audit: (await rows(database.db, sql`select 1 from audit_log where actor_contact_id = ${contactId}`)).length,
});

describe('a booking takes its place last', () => {
  it('while the booking, its reminders and the audit are written, the session’s row is free for others', async () => {
    const s = await session();
    let locked: boolean | undefined;
    const { result, person } = await book(s.id, async () => {
      locked = await other.db
        .transaction(async (tx) => {
          // What another booking's UPDATE of the place needs (the booking row's foreign key holds only KEY SHARE).
          await rows(tx, sql`select id from sessions where id = ${s.id} for no key update nowait`);
          return false;
        })
        .catch(() => true);
    });
    expect(locked).toBe(false);
    expect(result.kind).toBe('booked');
    const [row] = await rows<{ booked: number }>(database.db, sql`select booked from sessions where id = ${s.id}`);
    expect(Number(row!.booked)).toBe(1);
    expect((await left(person.id)).reminders.length).toBeGreaterThan(0);
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
