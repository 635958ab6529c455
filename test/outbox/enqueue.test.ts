import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, rows } from '../../src/db/client.js';
import type { Contact } from '../../src/domain/contacts.js';
import { eraseContact, updateContact } from '../../src/domain/contacts.js';
import { outbox } from '../../src/db/schema.js';
import { cancelByPrefix, enqueue, enqueueSelect, enqueueToContacts, type ToContacts } from '../../src/outbox/enqueue.js';
import { claimBatch } from '../../src/outbox/store.js';
import { PRIORITY } from '../../src/outbox/types.js';
import { manyContacts, message, outboxDatabase, someContacts, statusCounts } from './support.js';

let database: Awaited<ReturnType<typeof outboxDatabase>>;
let people: Contact[];
const noon = new Date('2026-11-23T05:00:00Z'); // 12:00 in Hải Phòng

beforeAll(async () => {
  database = await outboxDatabase();
  people = await someContacts(database.db, 6);
});
afterAll(() => database.close());
beforeEach(async () => {
  await database.db.delete(outbox);
  for (const p of people) await updateContact(database.db, p.id, { blockedAt: null, optedOutAt: null });
});

const byKey = async (key: string) => (await database.db.select().from(outbox).where(eq(outbox.dedupeKey, key)))[0];
/**
 * `c.id in (…people)`: an audience of this file's six people only. Other tests add contacts of their own
 * (erased-, racing-, bulk-…, 5,000 crowd-), which a whole-table audience would count, whatever ran first.
 */
const ourPeople = () => sql`c.id in ${people.map((p) => p.id)}`;

describe('enqueue', () => {
  it('dedupes on the key: the second enqueue of a message adds nothing', async () => {
    const p = people[0]!;
    expect(await enqueue(database.db, [message('appt:1:d-1', p.id, noon)])).toBe(1);
    expect(await enqueue(database.db, [message('appt:1:d-1', p.id, new Date(noon.getTime() + 3600_000))])).toBe(0);
    // Even twice in one call.
    expect(await enqueue(database.db, [message('appt:2:d-1', p.id, noon), message('appt:2:d-1', p.id, noon)])).toBe(1);
    const row = await byKey('appt:1:d-1');
    expect(row).toMatchObject({ status: 'pending', channel: 'telegram', chatId: p.chatId, attempts: 0, kind: 'reminder' });
    expect(row!.dueAt.toISOString()).toBe(noon.toISOString()); // the first enqueue's time stands
    expect(row!.payload).toEqual({ key: 'reminder.d1', params: { place: 'Trạm y tế' } });
    expect(await statusCounts(database.db)).toEqual({ pending: 2 });
  });

  it('moves a due time in quiet hours to 07:00, except for urgent messages', async () => {
    const p = people[0]!;
    const late = new Date('2026-11-23T15:30:00Z'); // 22:30 local
    await enqueue(database.db, [
      message('bulk', p.id, late, { priority: PRIORITY.broadcast }),
      message('urgent', p.id, late, { priority: PRIORITY.urgent }),
    ]);
    expect((await byKey('bulk'))!.dueAt.toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect((await byKey('urgent'))!.dueAt.toISOString()).toBe(late.toISOString());
  });

  it('gives nothing to a blocked or opted-out contact', async () => {
    const [a, b, c] = people;
    await updateContact(database.db, a!.id, { blockedAt: noon });
    await updateContact(database.db, b!.id, { optedOutAt: noon });
    const added = await enqueue(database.db, [message('x:a', a!.id, noon), message('x:b', b!.id, noon), message('x:c', c!.id, noon)]);
    expect(added).toBe(1);
    expect((await database.db.select({ k: outbox.dedupeKey }).from(outbox)).map((r) => r.k)).toEqual(['x:c']);
  });

  it('enqueues a whole audience with one INSERT … SELECT, idempotently', async () => {
    await updateContact(database.db, people[5]!.id, { optedOutAt: noon });
    const audience = sql`select 'bc:7:' || c.id as dedupe_key, c.id as contact_id, 'broadcast' as kind,
                                ${JSON.stringify({ key: 'campaign.day', params: { day: 'thalassemia' } })}::jsonb as payload,
                                ${PRIORITY.broadcast} as priority, ${noon.toISOString()}::timestamptz as due_at
                         from contacts c where c.channel = 'telegram' and ${ourPeople()}`;
    expect(await enqueueSelect(database.db, audience)).toBe(5);
    expect(await enqueueSelect(database.db, audience)).toBe(0);
    const rowsNow = await database.db.select().from(outbox);
    expect(rowsNow.map((r) => r.kind)).toEqual(Array(5).fill('broadcast'));
    expect(rowsNow.every((r) => r.priority === PRIORITY.broadcast && r.payload.key === 'campaign.day')).toBe(true);
  });

  it('cancels what is pending under a prefix, and only that', async () => {
    const p = people[0]!;
    await enqueue(database.db, [
      message('appt:1:d-3', p.id, noon),
      message('appt:1:d-1', p.id, noon),
      message('appt:10:d-1', p.id, noon),
      message('appt:1%:x', p.id, noon),
    ]);
    await database.db.update(outbox).set({ status: 'sent' }).where(eq(outbox.dedupeKey, 'appt:1:d-3'));
    expect(await cancelByPrefix(database.db, 'appt:1:')).toBe(1); // d-1 only: d-3 was sent, 10 and 1% are other keys
    expect((await byKey('appt:1:d-1'))!.status).toBe('cancelled');
    expect((await byKey('appt:1:d-3'))!.status).toBe('sent');
    expect((await byKey('appt:10:d-1'))!.status).toBe('pending');
    expect((await byKey('appt:1%:x'))!.status).toBe('pending');
    await expect(cancelByPrefix(database.db, '')).rejects.toThrow(/prefix/);
  });

  it('reschedule = cancel + enqueue with the same keys in one transaction; a sent key is never revived', async () => {
    const p = people[0]!;
    await enqueue(database.db, [message('appt:5:d-1', p.id, noon), message('appt:5:h-2', p.id, noon)]);
    await database.db.update(outbox).set({ status: 'sent' }).where(eq(outbox.dedupeKey, 'appt:5:h-2'));
    const later = new Date(noon.getTime() + 86_400_000);
    const revived = await database.db.transaction(async (tx) => {
      await cancelByPrefix(tx, 'appt:5:');
      return enqueue(tx, [message('appt:5:d-1', p.id, later), message('appt:5:h-2', p.id, later)]);
    });
    expect(revived).toBe(1);
    const d1 = await byKey('appt:5:d-1');
    expect(d1).toMatchObject({ status: 'pending', attempts: 0 });
    expect(d1!.dueAt.toISOString()).toBe(later.toISOString());
    expect((await byKey('appt:5:h-2'))!.status).toBe('sent');
  });
});

describe('enqueueToContacts (a broadcast)', () => {
  const toAll = (extra: Partial<ToContacts> = {}): ToContacts => ({
    // Each person twice: the audience may name someone more than once (own and a relative's subscription).
    contacts: sql`select c.id as contact_id from contacts c where ${ourPeople()} union all select c.id from contacts c where ${ourPeople()}`,
    keyPrefix: 'bc:9:',
    kind: 'broadcast',
    payload: { key: 'broadcast.message', params: { bc: 9 } },
    priority: PRIORITY.broadcast,
    dueAt: noon,
    ...extra,
  });

  it('one row per person, however often named; stopped and blocked people left out; again, adds nobody', async () => {
    await updateContact(database.db, people[0]!.id, { blockedAt: noon });
    await updateContact(database.db, people[1]!.id, { optedOutAt: noon });
    expect(await enqueueToContacts(database.db, toAll({ fresh: true }))).toBe(people.length - 2);
    expect(await enqueueToContacts(database.db, toAll())).toBe(0);
    const got = await database.db.select().from(outbox);
    expect(got.map((r) => r.dedupeKey).sort()).toEqual(people.slice(2).map((p) => `bc:9:${p.id}`).sort());
    const first = got.find((r) => r.contactId === people[2]!.id)!;
    expect(first).toMatchObject({ status: 'pending', channel: 'telegram', chatId: people[2]!.chatId, kind: 'broadcast', priority: PRIORITY.broadcast });
    expect(first.payload).toEqual({ key: 'broadcast.message', params: { bc: 9 } });
    expect(first.dueAt.toISOString()).toBe(noon.toISOString());
  });

  it('revives a cancelled row (a resumed broadcast); fresh keys that exist fail instead of doubling up', async () => {
    await enqueueToContacts(database.db, toAll({ fresh: true }));
    expect(await cancelByPrefix(database.db, 'bc:9:')).toBe(people.length);
    const later = new Date(noon.getTime() + 3_600_000);
    expect(await enqueueToContacts(database.db, toAll({ dueAt: later }))).toBe(people.length);
    expect(await statusCounts(database.db)).toEqual({ pending: people.length });
    expect((await byKey(`bc:9:${people[0]!.id}`))!.dueAt.toISOString()).toBe(later.toISOString());
    const clash = await enqueueToContacts(database.db, toAll({ fresh: true })).catch((e: Error) => e.cause ?? e);
    expect(clash).toMatchObject({ code: '23505', constraint_name: 'outbox_dedupe_key_uq' }); // unique violation
    expect(await statusCounts(database.db)).toEqual({ pending: people.length });
  });

  it('moves a time in quiet hours to 07:00 once for all, except for urgent messages', async () => {
    const late = new Date('2026-11-23T15:30:00Z'); // 22:30 local
    await enqueueToContacts(database.db, toAll({ dueAt: late, fresh: true }));
    await enqueueToContacts(database.db, toAll({ dueAt: late, keyPrefix: 'urgent:', priority: PRIORITY.urgent, fresh: true }));
    expect((await byKey(`bc:9:${people[0]!.id}`))!.dueAt.toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect((await byKey(`urgent:${people[0]!.id}`))!.dueAt.toISOString()).toBe(late.toISOString());
  });
});

describe('the outbox of an erased person', () => {
  it('goes with them, sent rows too (the trigger that stands in for a foreign key)', async () => {
    const [gone] = await someContacts(database.db, 1, 'erased-');
    await enqueue(database.db, [message('e:1', gone!.id, noon), message('e:2', gone!.id, noon), message('e:3', people[0]!.id, noon)]);
    await database.db.update(outbox).set({ status: 'sent' }).where(eq(outbox.dedupeKey, 'e:2'));
    await eraseContact(database.db, gone!.id);
    expect((await database.db.select({ k: outbox.dedupeKey }).from(outbox)).map((r) => r.k)).toEqual(['e:3']);
  });

  it('an erasure waits for an enqueue in flight, then takes its rows along', async () => {
    const [gone] = await someContacts(database.db, 1, 'racing-');
    const other = await openDatabase({ url: database.url, max: 1 });
    try {
      let erased = false;
      let erasing: Promise<void> | undefined;
      await database.db.transaction(async (tx) => {
        expect(await enqueueToContacts(tx, { ...toOne(gone!.id), fresh: true })).toBe(1);
        expect(await enqueue(tx, [message('r:2', gone!.id, noon)])).toBe(1);
        // The person erases their data while the broadcast's transaction is still open.
        erasing = eraseContact(other.db, gone!.id).then(() => void (erased = true));
        await new Promise((r) => setTimeout(r, 300));
        expect(erased).toBe(false); // held by the erasure lock the bulk enqueue holds shared (and the other enqueue's FOR KEY SHARE)
      });
      await erasing;
      expect(await rows(database.db, sql`select 1 from outbox where contact_id = ${gone!.id}`)).toHaveLength(0);
      // And once they are gone, nothing more is enqueued for them.
      expect(await enqueueToContacts(database.db, toOne(gone!.id))).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe('a bulk enqueue and the contacts it reads', () => {
  /** Can another session lock this contact FOR UPDATE right now? (FOR KEY SHARE would be in its way.) */
  const lockable = async (url: string, contactId: number) => {
    const other = await openDatabase({ url, max: 1 });
    try {
      await other.db.transaction(async (tx) => {
        await rows(tx, sql`select id from contacts where id = ${contactId} for update nowait`);
      });
      return true;
    } catch {
      return false;
    } finally {
      await other.close();
    }
  };

  it('locks no contact row in READ COMMITTED: a million people are not each locked and logged', async () => {
    const [p] = await someContacts(database.db, 1, 'bulk-rc-');
    await database.db.transaction(async (tx) => {
      expect(await enqueueToContacts(tx, { ...toOne(p!.id), keyPrefix: 'rc:1:' })).toBe(1);
      expect(await lockable(database.url, p!.id)).toBe(true);
    });
    expect(await byKey(`rc:1:${p!.id}`)).toBeDefined();
  });

  it('in a stricter transaction, where its snapshot predates the lock, it locks them FOR KEY SHARE as before', async () => {
    const [p] = await someContacts(database.db, 1, 'bulk-rr-');
    await database.db.transaction(
      async (tx) => {
        expect(await enqueueToContacts(tx, { ...toOne(p!.id), keyPrefix: 'rr:1:' })).toBe(1);
        expect(await lockable(database.url, p!.id)).toBe(false);
      },
      { isolationLevel: 'repeatable read' },
    );
  });

  it('an erasure that came first: the enqueue waits for it, then leaves the person out', async () => {
    const [gone] = await someContacts(database.db, 1, 'first-');
    const other = await openDatabase({ url: database.url, max: 1 });
    try {
      let enqueued: Promise<number> | undefined;
      await other.db.transaction(async (tx) => {
        await eraseContact(tx, gone!.id); // the trigger holds the erasure lock until this commits
        enqueued = enqueueToContacts(database.db, toOne(gone!.id));
        await new Promise((r) => setTimeout(r, 200));
      });
      expect(await enqueued).toBe(0);
      expect(await rows(database.db, sql`select 1 from outbox where contact_id = ${gone!.id}`)).toHaveLength(0);
    } finally {
      await other.close();
    }
  });
});

describe('queued, the claim index\'s column', () => {
  it('follows status whoever writes it: a cancel leaves the queue, a resume comes back and is claimed', async () => {
    const p = people[0]!;
    await enqueue(database.db, [message('q:1', p.id, noon)]);
    expect((await byKey('q:1'))!.queued).toBe(true);
    // As other modules write it (a broadcast's pause and resume): status only.
    await rows(database.db, sql`update outbox set status = 'cancelled' where dedupe_key = 'q:1'`);
    expect((await byKey('q:1'))!.queued).toBe(false);
    await rows(database.db, sql`update outbox set status = 'pending' where dedupe_key = 'q:1'`);
    expect((await byKey('q:1'))!.queued).toBe(true);
    const claimed = await claimBatch(database.db, { channel: 'telegram', now: noon, limit: 10, maxPriority: 9 });
    expect(claimed.map((m) => m.dedupeKey)).toEqual(['q:1']);
    // A row cannot be written out of step: whatever is said, queued is what status says.
    await rows(database.db, sql`update outbox set queued = true, status = 'sent' where dedupe_key = 'q:1'`);
    expect((await byKey('q:1'))!.queued).toBe(false);
  });
});

const toOne = (contactId: number): ToContacts => ({
  contacts: sql`select ${contactId}::integer as contact_id`,
  keyPrefix: 'r:1:',
  kind: 'broadcast',
  payload: { key: 'broadcast.message' },
  priority: PRIORITY.broadcast,
  dueAt: noon,
});

describe('a small enqueue', () => {
  it('looks its contacts up by key: a booking’s three reminders never scan the contacts table', async () => {
    await manyContacts(database.db, 5000, 'crowd-');
    await rows(database.db, sql`analyze contacts`);
    const one = await openDatabase({ url: database.url, max: 1 });
    try {
      const scans = async () => {
        await rows(one.db, sql`select pg_stat_force_next_flush()`);
        const [r] = await rows<{ n: string | number }>(one.db, sql`select seq_scan as n from pg_stat_user_tables where relname = 'contacts'`);
        return Number(r!.n);
      };
      const before = await scans();
      const p = people[0]!;
      expect(await enqueue(one.db, ['d-3', 'd-1', 'h-2'].map((slot) => message(`appt:9:v1:${slot}`, p.id, noon)))).toBe(3);
      expect(await scans()).toBe(before);
    } finally {
      await one.close();
    }
  });
});
