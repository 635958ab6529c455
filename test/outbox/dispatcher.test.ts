import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { ManualClock } from '../../src/core/clock.js';
import { openDatabase, rows, type Database } from '../../src/db/client.js';
import { channelPause, contacts, outbox, outboxClaims } from '../../src/db/schema.js';
import { eraseContact, updateContact, type Contact } from '../../src/domain/contacts.js';
import { Dispatcher, type DispatcherOptions } from '../../src/outbox/dispatcher.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { singleProcessLock } from '../../src/outbox/leader.js';
import { PRIORITY } from '../../src/outbox/types.js';
import { FakeSender, maxInWindow, message, outboxDatabase, someContacts, statusCounts, travel } from './support.js';

let database: Awaited<ReturnType<typeof outboxDatabase>>;
let people: Contact[];
let clock: ManualClock;
let sender: FakeSender;
const START = new Date('2026-11-23T02:00:00Z'); // 09:00 in Hải Phòng
const MIN = 60_000;

beforeAll(async () => {
  database = await outboxDatabase();
  people = await someContacts(database.db, 60);
});
afterAll(() => database.close());
beforeEach(async () => {
  await database.db.delete(outbox);
  await database.db.delete(channelPause);
  await database.db.update(contacts).set({ blockedAt: null, optedOutAt: null });
  clock = new ManualClock(START);
  sender = new FakeSender(clock);
});

/** A dispatcher on the manual clock: its waits move time instead of passing it. */
const dispatcher = (extra: Partial<DispatcherOptions> = {}, db = database.db) =>
  new Dispatcher({
    db,
    channel: 'telegram',
    sender,
    clock,
    leader: singleProcessLock(),
    limits: { perSecond: 25, perChatPerSecond: 1, burst: 2 },
    sleep: travel(clock),
    ...extra,
  });

const row = async (key: string) => (await database.db.select().from(outbox).where(eq(outbox.dedupeKey, key)))[0]!;

describe('dispatcher on a travelling clock', () => {
  it('sends each message when it is due, not before', async () => {
    const [a, b] = people;
    await enqueue(database.db, [
      message('appt:1:d-1', a!.id, new Date(START.getTime() + 60 * MIN)),
      message('appt:2:d-1', b!.id, new Date(START.getTime() + 120 * MIN)),
    ]);
    const d = dispatcher();
    expect((await d.drain()).sent).toBe(0);
    clock.advance(60 * MIN - 1000);
    expect((await d.drain()).sent).toBe(0);
    clock.advance(1000);
    expect((await d.drain()).sent).toBe(1);
    expect(sender.keys()).toEqual(['appt:1:d-1']);
    clock.advance(60 * MIN);
    await d.drain();
    expect(sender.keys()).toEqual(['appt:1:d-1', 'appt:2:d-1']);
    const sent = await row('appt:2:d-1');
    expect(sent).toMatchObject({ status: 'sent', queued: false, attempts: 1, lastError: null });
    expect(sent.sentAt!.getTime()).toBeGreaterThanOrEqual(START.getTime() + 120 * MIN);
    // Each batch's claim row went with its record: nothing is left for crash recovery.
    expect(await database.db.select().from(outboxClaims)).toEqual([]);
  });

  it('hands the sender each row with the recipient’s language as it is now', async () => {
    const p = people[0]!;
    await enqueue(database.db, [message('lang', p.id, START)]);
    await updateContact(database.db, p.id, { locale: 'en' });
    await dispatcher().drain();
    expect(sender.calls[0]).toMatchObject({ dedupeKey: 'lang', locale: 'en', chatId: p.chatId, payload: { key: 'reminder.d1' } });
    await updateContact(database.db, p.id, { locale: 'vi' });
  });

  it('gives nothing to opted-out or blocked contacts, and nothing is left for an erased one', async () => {
    const [a, b, c, e] = people;
    await enqueue(database.db, [message('m:a', a!.id, START), message('m:b', b!.id, START), message('m:c', c!.id, START), message('m:e', e!.id, START)]);
    await updateContact(database.db, a!.id, { optedOutAt: START });
    await updateContact(database.db, b!.id, { blockedAt: START });
    const erased = await someContacts(database.db, 1, 'erase-');
    await enqueue(database.db, [message('m:gone', erased[0]!.id, START)]);
    await eraseContact(database.db, erased[0]!.id);
    const report = await dispatcher().drain();
    expect(sender.keys().sort()).toEqual(['m:c', 'm:e']);
    expect(report.sent).toBe(2);
    expect(await row('m:a')).toMatchObject({ status: 'skipped', lastError: 'contact opted out' });
    expect(await row('m:b')).toMatchObject({ status: 'skipped', lastError: 'contact blocked' });
    expect(await statusCounts(database.db)).toEqual({ sent: 2, skipped: 2 });
  });

  it('403: marks the contact blocked, skips the row, and sends that person nothing more', async () => {
    const [a, b] = people;
    await enqueue(database.db, [
      message('b:1', a!.id, START),
      message('b:2', b!.id, START),
      message('b:later', a!.id, new Date(START.getTime() + 10 * MIN)),
    ]);
    sender.script = (m) => (m.chatId === a!.chatId ? { kind: 'blocked' } : { kind: 'ok' });
    const d = dispatcher();
    await d.drain();
    expect(await row('b:1')).toMatchObject({ status: 'skipped', lastError: 'blocked by the recipient (403)' });
    const [blocked] = await database.db.select().from(contacts).where(eq(contacts.id, a!.id));
    expect(blocked!.blockedAt?.toISOString()).toBe(START.toISOString());
    clock.advance(10 * MIN);
    await d.drain();
    expect(sender.calls.map((m) => m.dedupeKey).sort()).toEqual(['b:1', 'b:2']);
    expect(await row('b:later')).toMatchObject({ status: 'skipped', lastError: 'contact blocked' });
  });

  it('retries transient errors with exponential backoff, then fails with the reason after N attempts', async () => {
    await enqueue(database.db, [message('flaky', people[0]!.id, START)]);
    sender.script = () => ({ kind: 'error', message: '502 Bad Gateway' });
    const d = dispatcher({ maxAttempts: 4, backoffMs: (n) => 30_000 * 2 ** (n - 1) });
    const tries: number[] = [];
    for (let i = 0; i < 60; i++) {
      const before = sender.calls.length;
      await d.drain();
      if (sender.calls.length > before) tries.push(clock.now().getTime() - START.getTime());
      clock.advance(5_000);
    }
    // Tried at 0, then after 30 s, 60 s and 120 s more (to the nearest 5 s tick), then given up.
    expect(tries).toEqual([0, 30_000, 90_000, 210_000].map((t) => Math.ceil(t / 5_000) * 5_000));
    expect(sender.calls).toHaveLength(4);
    expect(await row('flaky')).toMatchObject({ status: 'failed', attempts: 4, lastError: '502 Bad Gateway' });
  });

  it('a transient error that clears is sent once; a permanent one fails at once', async () => {
    await enqueue(database.db, [message('clears', people[0]!.id, START), message('bad', people[1]!.id, START)]);
    let failures = 1;
    sender.script = (m) =>
      m.dedupeKey === 'bad'
        ? { kind: 'error', message: '400 Bad Request: chat not found', permanent: true }
        : failures-- > 0
          ? { kind: 'error', message: 'network: ECONNRESET' }
          : { kind: 'ok' };
    const d = dispatcher();
    await d.drain();
    clock.advance(30_000);
    await d.drain();
    expect(sender.keys()).toEqual(['clears']);
    expect(await row('clears')).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await row('bad')).toMatchObject({ status: 'failed', attempts: 1, lastError: '400 Bad Request: chat not found' });
  });

  it('429: pauses the channel for every dispatcher until retry_after has passed, then sends once', async () => {
    await enqueue(database.db, people.slice(0, 5).map((p, i) => message(`r:${i}`, p.id, START)));
    let first = true;
    sender.script = () => {
      if (!first) return { kind: 'ok' };
      first = false;
      return { kind: 'retry_after', seconds: 7 };
    };
    // One send at a time, so nothing else is already in flight when the 429 comes back.
    const a = dispatcher({ concurrency: 1 });
    const report = await a.drain();
    expect(report.last.state).toBe('paused');
    expect(sender.deliveries).toHaveLength(0);
    const [pause] = await database.db.select().from(channelPause);
    expect(pause!.pausedUntil.getTime()).toBe(START.getTime() + 7_000);
    expect(await statusCounts(database.db)).toEqual({ pending: 5 }); // the whole batch went back, attempts uncounted

    // Another replica (its own connection) respects the shared pause too.
    const other: Database = await openDatabase({ url: database.url, max: 2 });
    try {
      const b = dispatcher({}, other.db);
      expect((await b.drain()).last.state).toBe('paused');
      clock.advance(6_999);
      expect((await b.drain()).last.state).toBe('paused');
      clock.advance(1);
      expect((await b.drain()).sent).toBe(5);
    } finally {
      await other.close();
    }
    expect(sender.keys().sort()).toEqual(['r:0', 'r:1', 'r:2', 'r:3', 'r:4']);
    expect(await statusCounts(database.db)).toEqual({ sent: 5 });
    expect((await row('r:0')).attempts).toBe(1);
  });

  it('keeps to the channel cap and one message per second per chat', async () => {
    const spread = people.slice(0, 50).map((p, i) => message(`cap:${i}`, p.id, START));
    const same = [0, 1, 2].map((i) => message(`chat:${i}`, people[55]!.id, START, { priority: PRIORITY.urgent }));
    await enqueue(database.db, [...spread, ...same]);
    const d = dispatcher({ limits: { perSecond: 10, perChatPerSecond: 1, burst: 1 } });
    for (let i = 0; i < 20 && (await statusCounts(database.db)).pending; i++) {
      await d.drain();
      clock.advance(100);
    }
    expect(sender.deliveries).toHaveLength(53);
    const times = sender.deliveries.map((x) => x.at);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(10 + 1);
    const chat = sender.deliveries.filter((x) => x.key.startsWith('chat:')).map((x) => x.at);
    expect(chat).toHaveLength(3);
    expect(chat[1]! - chat[0]!).toBeGreaterThanOrEqual(1000);
    expect(chat[2]! - chat[1]!).toBeGreaterThanOrEqual(1000);
  });

  it('sends urgent rows before a backlog of bulk ones', async () => {
    await enqueue(database.db, people.slice(0, 40).map((p, i) => message(`bulk:${i}`, p.id, START, { priority: PRIORITY.broadcast })));
    clock.advance(MIN);
    await enqueue(database.db, [message('urgent', people[50]!.id, clock.now(), { priority: PRIORITY.urgent })]);
    await dispatcher({ batchSize: 10 }).runBatch();
    expect(sender.keys()[0]).toBe('urgent');
  });

  it('keeps quiet hours at send time: a backlog stops at 21:00 and resumes at 07:00, urgent rows still go', async () => {
    const evening = new Date('2026-11-23T13:59:00Z'); // 20:59 local
    clock.set(evening);
    await enqueue(database.db, [message('q:bulk', people[0]!.id, evening, { priority: PRIORITY.reminder })]);
    clock.set(new Date('2026-11-23T14:00:00Z')); // 21:00
    await enqueue(database.db, [message('q:urgent', people[1]!.id, clock.now(), { priority: PRIORITY.urgent })]);
    const d = dispatcher();
    await d.drain();
    expect(sender.keys()).toEqual(['q:urgent']);
    clock.set(new Date('2026-11-23T23:59:59Z')); // 06:59:59
    await d.drain();
    expect(sender.keys()).toEqual(['q:urgent']);
    clock.set(new Date('2026-11-24T00:00:00Z')); // 07:00
    await d.drain();
    expect(sender.keys()).toEqual(['q:urgent', 'q:bulk']);
  });

  it('a sender that throws counts as a transient error, not a crash', async () => {
    await enqueue(database.db, [message('throws', people[0]!.id, START)]);
    sender.script = () => {
      throw new Error('socket hang up');
    };
    await dispatcher().drain();
    expect(await row('throws')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'socket hang up' });
  });
});

describe('the next batch, claimed while this one goes out', () => {
  const claimRows = async () => Number((await rows<{ n: number }>(database.db, sql`select count(*)::int as n from outbox_claims`))[0]!.n);

  it('is claimed once the batch before is recorded: the claim never stalls the bucket, and never more than two batches are out', async () => {
    await enqueue(database.db, people.slice(0, 20).map((p, i) => message(`ahead:${i}`, p.id, START)));
    const sendingAt: number[] = [];
    const inFlight = async () => (await statusCounts(database.db)).sending ?? 0;
    sender.script = async (_m, call) => {
      // The first batch's last message: give the claim running beside it a moment to land.
      if (call === 5) for (let i = 0; i < 100 && (await inFlight()) < 10; i++) await new Promise((r) => setTimeout(r, 20));
      sendingAt.push(await inFlight());
      return { kind: 'ok' };
    };
    const d = dispatcher({ batchSize: 5, concurrency: 1 });
    const report = await d.drain();
    expect(report.sent).toBe(20);
    // As the first batch's last message went out, the second batch was already claimed…
    expect(sendingAt[4]).toBe(10);
    // …and the crash bound held throughout: never more than two batches in flight.
    expect(Math.max(...sendingAt)).toBeLessThanOrEqual(d.inFlightBound);
    expect(await statusCounts(database.db)).toEqual({ sent: 20 });
    expect(await claimRows()).toBe(0);
  });

  it('goes back to pending, its attempt not counted, when the dispatcher stops', async () => {
    await enqueue(database.db, people.slice(0, 20).map((p, i) => message(`stop:${i}`, p.id, START)));
    const d = dispatcher({ batchSize: 5, concurrency: 1 });
    sender.script = (_m, call) => {
      if (call === 2) d.stop();
      return { kind: 'ok' };
    };
    await d.drain();
    expect(sender.deliveries).toHaveLength(2);
    expect(await statusCounts(database.db)).toEqual({ sent: 2, pending: 18 });
    const left = await database.db.select().from(outbox).where(eq(outbox.status, 'pending'));
    expect(left.every((r) => r.attempts === 0 && r.queued)).toBe(true);
    expect(await claimRows()).toBe(0);
  });

  it('is given back when the lead is lost meanwhile: only the batch in hand is finished', async () => {
    await enqueue(database.db, people.slice(0, 20).map((p, i) => message(`lost:${i}`, p.id, START)));
    let leads = true;
    const leader = { ensure: async () => leads, close: async () => {}, held: () => leads };
    sender.script = (_m, call) => {
      if (call === 1) leads = false; // the lock's connection closes during the first batch
      return { kind: 'ok' };
    };
    const report = await dispatcher({ batchSize: 5, concurrency: 1, leader }).drain();
    expect(report.last.state).toBe('not-leader');
    expect(sender.deliveries).toHaveLength(5);
    expect(await statusCounts(database.db)).toEqual({ sent: 5, pending: 15 });
    expect(await claimRows()).toBe(0);
  });
});
