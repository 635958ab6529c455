import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import type { InboundEvent, OutboundMessage } from '../core/messages.js';
import type { Db, Queryable } from '../db/client.js';
import { inbox } from '../db/schema.js';
import { describeError, type Logger } from '../log.js';

/** What handling needs from the engine: one event in, replies out, the inbox row marked in the engine's own transaction. */
export type RecordedHandler = (event: InboundEvent, record: (q: Queryable, replies: readonly OutboundMessage[]) => Promise<void>) => Promise<OutboundMessage[]>;

/** How a channel turns a stored event into work: the inbound event (null: nothing to answer) and how replies go out. */
export interface EventWork {
  toEvent(body: unknown): InboundEvent | null;
  /** Sends the replies to the chat (a block or a refusal is the channel's to handle). */
  send(chat: string, replies: readonly OutboundMessage[], body: unknown): Promise<void>;
}

/**
 * The inbox: what "acknowledged" promises. A webhook event is written here
 * before the platform gets its 200, keyed by the platform's own id, so:
 *
 * - a redelivery (slow answer, a retry, another replica) meets the key and is
 *   not handled again, wherever it lands;
 * - the engine handles an event once: its transaction marks the row handled
 *   and stores the replies (`recordIn`), so a crash before that commit leaves
 *   the event to be handled again from here, and a crash after it leaves the
 *   replies to be sent again from here — never the event handled twice;
 * - an event whose handler died (kill -9, a lost replica) is taken back after
 *   the lease by any replica's sweep (`due`), or at the next start, in the
 *   order received; one that keeps failing gives up after `maxAttempts`, logged.
 *
 * A handled and sent row keeps its key, not its body, for `retentionMs`.
 */
export interface InboxOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  /** How long a claim holds before another handler may take the event back. Default 60 s. */
  leaseMs?: number;
  /** Attempts before an event is given up (logged as an error). Default 5. */
  maxAttempts?: number;
  /** How long a done event's key is kept against redeliveries. Default 3 days. */
  retentionMs?: number;
}

export interface InboxEvent {
  key: string;
  channel: string;
  /** Events of one chat are handled in the order received. */
  chat: string;
  body: unknown;
}

export interface Claimed {
  key: string;
  chat: string;
  body: unknown;
  /** The engine already handled it: only its replies are left to send. */
  replies: OutboundMessage[] | null;
  attempts: number;
}

export class Inbox {
  readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly retentionMs: number;

  constructor(private readonly o: InboxOptions) {
    this.leaseMs = o.leaseMs ?? 60_000;
    this.maxAttempts = o.maxAttempts ?? 5;
    this.retentionMs = o.retentionMs ?? 3 * 86_400_000;
  }

  /** Writes an event unless its key is known: true when it is new and must be handled, false for a redelivery. */
  async accept(e: InboxEvent): Promise<boolean> {
    const rows = await this.o.db
      .insert(inbox)
      .values({ key: e.key, channel: e.channel, chat: e.chat, body: e.body as Record<string, unknown>, receivedAt: this.o.clock.now() })
      .onConflictDoNothing()
      .returning({ key: inbox.key });
    return rows.length > 0;
  }

  /** Takes an event to handle now; null when it is done or another handler holds it. */
  async claim(key: string): Promise<Claimed | null> {
    const now = this.o.clock.now();
    const [row] = await this.o.db
      .update(inbox)
      .set({ claimedAt: now, attempts: sql`${inbox.attempts} + 1` })
      .where(and(eq(inbox.key, key), isNull(inbox.sentAt), or(isNull(inbox.claimedAt), lt(inbox.claimedAt, new Date(now.getTime() - this.leaseMs)))))
      .returning();
    if (!row) return null;
    return { key: row.key, chat: row.chat, body: row.body, replies: (row.replies as OutboundMessage[] | null) ?? null, attempts: row.attempts };
  }

  /** Marks the event handled with its replies, in the engine's own transaction (`q`). */
  async recordIn(q: Queryable, key: string, replies: readonly OutboundMessage[]): Promise<void> {
    await q
      .update(inbox)
      .set({ handledAt: this.o.clock.now(), replies: [...replies] as unknown as Record<string, unknown> })
      .where(eq(inbox.key, key));
  }

  /** Done: the replies went out (or there were none). The body goes. */
  async sent(key: string): Promise<void> {
    await this.o.db.update(inbox).set({ sentAt: this.o.clock.now(), body: null, replies: null, lastError: null }).where(eq(inbox.key, key));
  }

  /** Handling or sending failed: logged, and left for another try (or given up after maxAttempts). */
  async failed(c: Claimed, channel: string, err: unknown): Promise<void> {
    const error = describeError(err);
    const giveUp = c.attempts >= this.maxAttempts;
    await this.o.db
      .update(inbox)
      .set(giveUp ? { sentAt: this.o.clock.now(), body: null, lastError: `gave up: ${error}` } : { claimedAt: null, lastError: error })
      .where(eq(inbox.key, c.key));
    const log = { event: 'inbox.failed', channel, key: c.key, attempt: c.attempts, error };
    if (giveUp) this.o.log.error(log, 'inbox: an event failed too often and was given up');
    else this.o.log.warn(log, 'inbox: handling an event failed; it will be tried again');
  }

  /**
   * Events of a channel not done and not held, received more than a lease
   * ago (their handler died, or failed): oldest first. Younger ones are still
   * their live handler's, which keeps a chat's order.
   */
  async due(channel: string, limit = 50): Promise<string[]> {
    const now = this.o.clock.now();
    const before = new Date(now.getTime() - this.leaseMs);
    const rows = await this.o.db
      .select({ key: inbox.key })
      .from(inbox)
      .where(and(eq(inbox.channel, channel), isNull(inbox.sentAt), lt(inbox.receivedAt, before), or(isNull(inbox.claimedAt), lt(inbox.claimedAt, before))))
      .orderBy(asc(inbox.receivedAt))
      .limit(limit);
    return rows.map((r) => r.key);
  }

  /** Forgets done events older than the retention. */
  prune(): Promise<number> {
    return pruneInbox(this.o.db, this.o.clock.now(), this.retentionMs);
  }
}

/** Forgets done events older than the retention (their keys guarded against redeliveries that long). */
export async function pruneInbox(q: Queryable, now: Date, retentionMs = 3 * 86_400_000): Promise<number> {
  const rows = await q.delete(inbox).where(lt(inbox.sentAt, new Date(now.getTime() - retentionMs))).returning({ key: inbox.key });
  return rows.length;
}

/**
 * Handles one accepted event, once: claims it (another handler may hold it),
 * has the engine handle it (recorded in its transaction) unless it already
 * was, sends the replies, marks it done. A failure is logged and the event
 * left for another try.
 */
export async function handleEvent(inbox: Inbox, channel: string, key: string, handle: RecordedHandler, work: EventWork): Promise<void> {
  const c = await inbox.claim(key);
  if (!c) return;
  try {
    let replies = c.replies;
    if (!replies) {
      const event = work.toEvent(c.body);
      replies = event ? await handle(event, (q, r) => inbox.recordIn(q, key, r)) : [];
    }
    await work.send(c.chat, replies, c.body);
    await inbox.sent(key);
  } catch (err) {
    await inbox.failed(c, channel, err);
  }
}

/**
 * Takes back what handlers left (a crash, a lost replica, a failure): at
 * start, then every `everyMs`, each channel's due events in the order
 * received. Every replica sweeps; a claim keeps two from handling one event.
 */
export function startInboxSweep(o: { inbox: Inbox; channels: readonly { name: string; replay?: (key: string) => Promise<void> }[]; log: Logger; everyMs?: number }): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const sweep = async () => {
    for (const c of o.channels) {
      if (!c.replay) continue;
      const keys = await o.inbox.due(c.name);
      if (keys.length) o.log.info({ event: 'inbox.replay', channel: c.name, count: keys.length }, 'inbox: handling events left unanswered');
      for (const key of keys) {
        if (stopped) return;
        await c.replay(key);
      }
    }
  };
  const tick = () => {
    running = running.then(sweep).catch((err: unknown) => o.log.error({ event: 'inbox.sweep.failed', error: describeError(err) }, 'inbox sweep failed'));
  };
  tick();
  const timer = setInterval(tick, o.everyMs ?? 5_000);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
