import { sql } from 'drizzle-orm';
import type { ManualClock, Clock } from '../../src/core/clock.js';
import { rows, type Db, type Queryable } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { createContact, type Contact } from '../../src/domain/contacts.js';
import type { ClaimedMessage, NewMessage, SendResult, Sender } from '../../src/outbox/types.js';
import { freshDatabase } from '../support/db.js';

/**
 * Real time, shifted to 09:00 in Hải Phòng: tests on the wall clock must pass at
 * any hour, and in quiet hours what they enqueue would wait for 07:00. One per
 * test: the enqueue and the dispatchers must read the same clock.
 */
export function daytimeClock(): Clock & { offsetMs: number } {
  const offsetMs = Date.parse('2026-11-23T02:00:00Z') - Date.now();
  return { offsetMs, now: () => new Date(Date.now() + offsetMs) };
}

/** A fresh database with the migrations applied. */
export async function outboxDatabase(max = 10) {
  const database = await freshDatabase(max);
  await migrate(database.db);
  return database;
}

/** `n` Telegram contacts with chat ids `${prefix}${i}`. */
export async function someContacts(q: Queryable, n: number, prefix = '9'): Promise<Contact[]> {
  const out: Contact[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await createContact(q, { channel: 'telegram', platformUserId: `${prefix}${i}`, chatId: `${prefix}${i}`, locale: i % 2 ? 'en' : 'vi' }));
  }
  return out;
}

/** Many contacts in one statement (benchmarks and big tests); returns their ids in order. */
export async function manyContacts(q: Queryable, n: number, prefix: string): Promise<number[]> {
  const created = await rows<{ id: number }>(
    q,
    sql`insert into contacts (channel, platform_user_id, chat_id, locale)
        select 'telegram', ${prefix} || g, ${prefix} || g, 'vi' from generate_series(1, ${n}::int) g
        returning id`,
  );
  return created.map((r) => Number(r.id)).sort((a, b) => a - b);
}

export const message = (dedupeKey: string, contactId: number, dueAt: Date, extra: Partial<NewMessage> = {}): NewMessage => ({
  dedupeKey,
  contactId,
  kind: 'reminder',
  payload: { key: 'reminder.d1', params: { place: 'Trạm y tế' } },
  priority: 2,
  dueAt,
  ...extra,
});

export interface Delivery {
  key: string;
  chatId: string;
  locale: string;
  /** On the dispatcher's clock. */
  at: number;
  /** Wall time (performance.now()), for real-time rate checks. */
  wall: number;
  by: string;
}

/**
 * A platform in memory: records each delivery and answers `ok`, or what the
 * script says for a message (a 429, a 403, an error).
 */
export class FakeSender implements Sender {
  readonly deliveries: Delivery[] = [];
  readonly calls: ClaimedMessage[] = [];
  script: (m: ClaimedMessage, call: number) => SendResult | Promise<SendResult> = () => ({ kind: 'ok' });

  constructor(
    private readonly clock: { now(): Date },
    readonly name = 'fake',
    private readonly shared?: Delivery[],
  ) {}

  async send(m: ClaimedMessage): Promise<SendResult> {
    this.calls.push(m);
    // When the dispatcher handed it over: a travelling clock may move on while the script is awaited.
    const at = this.clock.now().getTime();
    const wall = performance.now();
    const result = await this.script(m, this.calls.length);
    if (result.kind === 'ok') {
      const d = { key: m.dedupeKey, chatId: m.chatId, locale: m.locale, at, wall, by: this.name };
      this.deliveries.push(d);
      this.shared?.push(d);
    }
    return result;
  }

  keys(): string[] {
    return this.deliveries.map((d) => d.key);
  }
}

/** A sleep that moves the manual clock instead of waiting: time travel for the dispatcher. */
export const travel = (clock: ManualClock) => async (ms: number) => {
  clock.advance(ms);
};

/** The most sends in any window of `windowMs` (times sorted ascending). */
export function maxInWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

export function duplicates(keys: string[]): number {
  return keys.length - new Set(keys).size;
}

export async function statusCounts(db: Db): Promise<Record<string, number>> {
  const r = await rows<{ status: string; n: number }>(db, sql`select status, count(*)::int as n from outbox group by status`);
  return Object.fromEntries(r.map((x) => [x.status, Number(x.n)]));
}
