import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createBroadcast, enqueueBroadcast } from '../../src/broadcasts/store.js';
import { rows } from '../../src/db/client.js';
import { updateContact } from '../../src/domain/contacts.js';
import { outboxDatabase, someContacts } from './support.js';

/** The enqueue part of a broadcast: its one INSERT … SELECT and what it counts. */
let database: Awaited<ReturnType<typeof outboxDatabase>>;
const now = new Date('2026-11-23T02:00:00Z'); // 09:00 in Hải Phòng

beforeAll(async () => {
  database = await outboxDatabase();
});
afterAll(() => database.close());

describe('createBroadcast', () => {
  it('one row per person however many of their subscriptions match; stopped and blocked people counted as skipped', async () => {
    const db = database.db;
    const people = await someContacts(db, 5, 'bc-');
    for (const p of people) await rows(db, sql`insert into subscriptions (contact_id, programme) values (${p.id}, 'elderly')`);
    // The first also subscribed for a grandparent: named twice by the audience.
    await rows(db, sql`with d as (
        insert into dependents (contact_id, name, birth_year, relationship, created_at)
        values (${people[0]!.id}, 'Bà Lan', 1950, 'grandparent', ${now.toISOString()}) returning id)
      insert into subscriptions (contact_id, dependent_id, programme) select ${people[0]!.id}, id, 'elderly' from d`);
    await updateContact(db, people[3]!.id, { blockedAt: now });
    await updateContact(db, people[4]!.id, { optedOutAt: now });
    const b = await db.transaction((tx) =>
      createBroadcast(tx, {
        audience: { programmes: ['elderly'], wardCodes: null, relatives: false },
        text: 'Mời bác đi khám sức khỏe định kỳ.',
        campaign: null, scheduledAt: now, progressChannel: 'telegram', progressChat: '1',
      }, null, now),
    );
    expect(b).toMatchObject({ recipients: 3, skippedAtStart: 2, status: 'sending' });
    const got = await rows<{ dedupe_key: string; id: number }>(db, sql`select dedupe_key, id from outbox order by id`);
    expect(got.map((r) => r.dedupe_key)).toEqual(people.slice(0, 3).map((p) => `bc:${b.id}:${p.id}`));
    expect(got.every((r) => Number(r.id) > b.outboxFrom && Number(r.id) <= b.outboxTo)).toBe(true);
    // Enqueued again (a retry), it adds nobody.
    expect((await enqueueBroadcast(db, b)).enqueued).toBe(0);
  });
});
