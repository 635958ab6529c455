import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, rows, type Database } from '../../src/db/client.js';
import { createContact, findContactWithState, lockAndFindContact, lockContact } from '../../src/domain/contacts.js';
import { outboxDatabase } from './support.js';

/**
 * Every update that writes starts with the person's lock and a read of their
 * contact and state: one round trip, and the read must still see what the
 * lock's previous holder committed.
 */
let database: Awaited<ReturnType<typeof outboxDatabase>>;
let holder: Database;

beforeAll(async () => {
  database = await outboxDatabase();
  holder = await openDatabase({ url: database.url, max: 1 });
});
afterAll(async () => {
  await holder.close();
  await database.close();
});

describe('lockAndFindContact', () => {
  it('waits for the person’s lock, then reads what its previous holder committed', async () => {
    const c = await createContact(database.db, { channel: 'telegram', platformUserId: 'lock-find', chatId: 'lock-find', locale: 'vi' });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const first = holder.db.transaction(async (tx) => {
      await lockContact(tx, 'telegram', 'lock-find');
      await rows(tx, sql`update contacts set locale = 'en' where id = ${c.id}`);
      held();
      await released;
    });
    await holding;
    const second = database.db.transaction((tx) => lockAndFindContact(tx, 'telegram', 'lock-find'));
    await new Promise((r) => setTimeout(r, 100));
    const [waiting] = await rows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%lock_and_find_contact%'`,
    );
    expect(Number(waiting!.n)).toBe(1);
    release();
    await first;
    expect((await second)?.contact.locale).toBe('en');
  });

  it('returns what findContactWithState returns, in one write to the server', async () => {
    const c = await createContact(database.db, { channel: 'zalo', platformUserId: 'lock-find-2', chatId: 'lock-find-2', locale: 'vi' });
    await rows(database.db, sql`insert into conversation_state (contact_id, flow, step, data, menu, expires_at)
      values (${c.id}, 'optin', 'ward', '{"programmes":["elderly"]}', '[{"label":"A","value":"a"}]', now() + interval '1 day')`);
    const one = await openDatabase({ url: database.url, max: 1 });
    try {
      const [found, plain, writes] = await one.db.transaction(async (tx) => {
        await lockAndFindContact(tx, 'zalo', 'nobody'); // the connection has met the statement
        const spy = vi.spyOn(Socket.prototype, 'write');
        try {
          const f = await lockAndFindContact(tx, 'zalo', 'lock-find-2');
          const n = spy.mock.calls.length;
          return [f, await findContactWithState(tx, 'zalo', 'lock-find-2'), n] as const;
        } finally {
          spy.mockRestore();
        }
      });
      expect(writes).toBe(1);
      expect(found).toEqual(plain);
      expect(found?.contact.createdAt).toBeInstanceOf(Date);
      expect(found?.state?.data).toEqual({ programmes: ['elderly'] });
      expect(await one.db.transaction((tx) => lockAndFindContact(tx, 'zalo', 'nobody'))).toBeNull();
    } finally {
      await one.close();
    }
  });
});
