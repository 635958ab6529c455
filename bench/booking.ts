import { sql } from 'drizzle-orm';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/env.js';
import { ManualClock } from '../src/core/clock.js';
import { openDatabase } from '../src/db/client.js';
import { createContact, lockContact } from '../src/domain/contacts.js';
import { Person } from '../src/domain/person.js';
import { createSession } from '../src/domain/sessions.js';
import { createLogger } from '../src/log.js';
import { testFaq } from '../test/support/app.js';
import { benchPostgres, dbFigures, dbLimits, figure, startProfile } from './support.js';

/** Connections the bookings share (32 people book at once). */
const POOL = 16;

/**
 * `booking.per_s` under contention: many people book the same sessions at
 * once, each booking one locked transaction (place taken, booking row,
 * reminders queued, audit) as in chat; `booking.over_capacity` must stay 0.
 */
export async function benchBooking(opts: { quick: boolean }): Promise<string[]> {
  const pg = await benchPostgres();
  const database = await openDatabase({ url: pg.url, max: POOL });
  try {
    const clock = new ManualClock(new Date('2026-11-23T03:00:00Z'));
    await createApp({ config: loadConfig({}), database, clock, log: createLogger('silent'), faq: testFaq() });
    const people = opts.quick ? 400 : 4_000;
    const capacity = Math.floor(people * 0.8);
    const sessionIds: number[] = [];
    const staff = await createContact(database.db, { channel: 'telegram', platformUserId: 'bench-staff', chatId: 'bench-staff', locale: 'vi' });
    for (const ward of ['11383', '10507']) {
      const { session } = await createSession(database.db, {
        programme: 'elderly', wardCode: ward, placeName: 'Trạm Y tế', placeAddress: '1 Lê Lợi',
        startsAt: new Date('2026-12-10T00:30:00Z'), durationMin: 120, capacity: capacity / 2, note: null, needsPhone: false,
      }, staff.id, clock.now());
      sessionIds.push(session.id);
    }
    const book = (i: number) =>
      database.db.transaction(async (tx) => {
        const identity = { channel: 'telegram' as const, userId: `bench-${i}`, chatId: `bench-${i}` };
        await lockContact(tx, identity.channel, identity.userId);
        const person = new Person(tx, identity, null, clock.now(), 'vi');
        return person.bookings.book(sessionIds[i % 2]!, null, null);
      });
    // The server's durable one-row commits at the pool's depth: a booking is one transaction of a few writes.
    const limits = await dbLimits(pg.url, POOL, opts.quick ? 0.3 : 2);
    let next = 0;
    let booked = 0;
    const profile = await startProfile(process.env.BENCH_CPU_PROFILE);
    const start = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < people) {
          const r = await book(next++);
          if (r.kind === 'booked') booked++;
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    await profile?.stop();
    const [over] = await database.db.execute(sql`select count(*)::int as n from sessions where booked > capacity`) as unknown as { n: number }[];
    return [
      figure('booking.per_s', Math.round(people / seconds), 'bookings/s'),
      figure('booking.accepted', booked, 'bookings'),
      figure('booking.over_capacity', Number(over?.n ?? 0), 'sessions'),
      ...dbFigures('booking', limits),
      figure('booking.db_ratio', people / seconds / limits.insertCommitPerS, 'ratio'),
    ];
  } finally {
    await database.close();
    await pg.stop();
  }
}
