import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgDialect, PgSession } from 'drizzle-orm/pg-core';
import { rows, type Db, type Queryable } from '../db/client.js';
import { channelPause, contacts, outbox, outboxClaims } from '../db/schema.js';
import type { ClaimedMessage, OutboxChannel, OutboxPayload } from './types.js';

/** The dispatcher's SQL: claim, record what happened, recover, pause. */

const iso = (d: Date) => d.toISOString();
const asDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

interface ClaimRow {
  id: string | number;
  dedupe_key: string;
  contact_id: number;
  channel: string;
  chat_id: string;
  kind: string;
  payload: OutboxPayload | string;
  priority: number;
  due_at: string | Date;
  attempts: number;
  status: 'sending' | 'skipped';
  locale: string;
  batch: string | number | null;
}

/** A claimed batch: its rows (priority, then due time), and its outbox_claims row (null when nothing went in flight). */
export type ClaimedBatch = ClaimedMessage[] & { batch: number | null };

/**
 * Claims up to `limit` due rows of one channel in one statement (its own short
 * transaction): pending → sending, or → skipped when the contact is blocked or
 * opted out (they get nothing, and the row says why). The rows that went in
 * flight are written down in outbox_claims (one row for the batch), which is
 * what crash recovery reads.
 *
 * Rows are taken priority by priority: for each p in 0..maxPriority the lateral
 * probe walks outbox_claim_idx (channel, priority, due_at where queued) from the
 * oldest due row and stops at the first future one, so a million rows due next
 * month cost nothing, and a backlog of bulk rows never hides an urgent one. The
 * outer LIMIT stops the walk as soon as the batch is full; FOR UPDATE SKIP
 * LOCKED lets two claimers run at once without taking the same row or waiting on
 * each other. Rows in flight are still in the index (queued) and skipped by
 * status: at most two batches of them (the crash bound).
 *
 * pending → sending changes no indexed column (the index is on `queued`, which
 * stays true), so the server writes each new row version beside the old one in
 * its page (the fillfactor leaves half of each page free) and touches no index:
 * a HOT update, about half the server time of one that adds an entry to each of
 * the outbox's indexes.
 *
 * The claim commits without waiting for the disk (synchronous_commit off for
 * this one transaction, set from inside the statement so it costs no round
 * trip): a claim lost in a server crash only puts its rows back to pending,
 * which is what crash recovery does anyway, and the next durable commit (the
 * batch's record) flushes it. That takes the disk flush — 2–9 ms on a small
 * server — out of the claim. Run it on the database, not inside a caller's
 * transaction, whose commit it would make asynchronous too.
 *
 * The claim is a named prepared statement, planned once per connection and
 * reused: a plan is half a millisecond of a 2–3 ms claim. For that the batch
 * size and the top priority are written into its text, not sent as parameters
 * (with a parameter LIMIT the reusable plan looks dear and the server re-plans
 * every time); a dispatcher uses two texts at most (all priorities, urgent only).
 */
export async function claimBatch(
  q: Queryable,
  opts: { channel: OutboxChannel; now: Date; limit: number; maxPriority: number },
): Promise<ClaimedBatch> {
  const { channel, now } = opts;
  const limit = literalInt(opts.limit, 'limit');
  const maxPriority = literalInt(opts.maxPriority, 'maxPriority');
  const reachable = sql.raw('c.blocked_at is null and c.opted_out_at is null');
  const claimed = await preparedRows<ClaimRow>(
    q,
    'outbox_claim',
    sql`with picked as (
          select o.id
          from generate_series(0, ${maxPriority}) as p(priority)
          cross join lateral (
            select id from outbox
            where queued and status = 'pending' and channel = ${channel} and priority = p.priority
              and due_at <= ${iso(now)}::timestamptz
            order by due_at
            limit ${limit}
            for update skip locked
          ) o
          limit ${limit}
        ),
        claimed as (
          update outbox o set
            status = case when ${reachable} then 'sending' else 'skipped' end,
            queued = ${reachable},
            attempts = o.attempts + case when ${reachable} then 1 else 0 end,
            last_error = case when c.blocked_at is not null then 'contact blocked'
                              when c.opted_out_at is not null then 'contact opted out'
                              else o.last_error end,
            claimed_at = ${iso(now)}::timestamptz
          from picked, contacts c, (select set_config('synchronous_commit', 'off', true)) as async_commit
          where o.id = picked.id and c.id = o.contact_id
          returning o.id, o.dedupe_key, o.contact_id, o.channel, o.chat_id, o.kind, o.payload, o.priority,
                    o.due_at, o.attempts, o.status, c.locale
        ),
        batch as (
          insert into outbox_claims (channel, claimed_at, ids)
          select ${channel}, ${iso(now)}::timestamptz, array_agg(id) from claimed where status = 'sending' having count(*) > 0
          returning id
        )
        select claimed.*, (select id from batch) as batch from claimed`,
  );
  const batch = claimed[0]?.batch;
  const messages = claimed
    .map((r) => ({
      id: Number(r.id),
      dedupeKey: r.dedupe_key,
      contactId: r.contact_id,
      channel: r.channel as OutboxChannel,
      chatId: r.chat_id,
      kind: r.kind,
      payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as OutboxPayload) : r.payload,
      priority: Number(r.priority),
      dueAt: asDate(r.due_at),
      attempts: Number(r.attempts),
      status: r.status,
      locale: r.locale,
    }))
    .sort((a, b) => a.priority - b.priority || a.dueAt.getTime() - b.dueAt.getTime() || a.id - b.id);
  return Object.assign(messages, { batch: batch === null || batch === undefined ? null : Number(batch) });
}

/**
 * Rows of a statement the server keeps prepared. drizzle's execute() sends raw
 * SQL as an unnamed statement, parsed and planned on every call; this goes
 * through the session's prepareQuery with a name, as drizzle's own
 * `.prepare(name)` does for built queries (postgres.js then keeps one
 * server-side statement per text and connection; PGlite runs it as a query).
 */
async function preparedRows<T>(q: Queryable, name: string, query: SQL): Promise<T[]> {
  const { session, dialect } = q as unknown as { session: PgSession; dialect: PgDialect };
  const result = (await session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false).execute()) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** A whole number written into SQL text (never anything else). */
function literalInt(n: number, what: string) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`claimBatch: ${what} must be a whole number ≥ 0, not ${n}`);
  return sql.raw(String(n));
}

/** What became of a claimed batch; recorded in one transaction. */
export interface Outcomes {
  /** The batch's outbox_claims row, deleted with the record. */
  batch?: number | null;
  sent: number[];
  /** 403: the contact is marked blocked and the row skipped. */
  blocked: { id: number; contactId: number }[];
  /** Send errors: retried later (attempts permitting) or failed for good. */
  errors: { id: number; attempts: number; message: string; permanent: boolean }[];
  /** Not attempted (a 429, a pause, a stop, a busy chat): back to pending, the attempt not counted. */
  requeue: { id: number; dueAt?: Date }[];
}

export const emptyOutcomes = (): Outcomes => ({ sent: [], blocked: [], errors: [], requeue: [] });

export interface RetryPolicy {
  maxAttempts: number;
  /** Delay before attempt n+1 after n failed ones. */
  backoffMs(attempts: number): number;
}

/**
 * Records a batch in one transaction, and deletes its outbox_claims row with it.
 * Each statement sets `queued` with `status` (false once a row leaves the
 * queue), so the outbox_queued trigger has nothing to correct.
 */
export async function recordOutcomes(db: Db, o: Outcomes, now: Date, policy: RetryPolicy): Promise<void> {
  if (!o.sent.length && !o.blocked.length && !o.errors.length && !o.requeue.length && !o.batch) return;
  await db.transaction(async (tx) => {
    if (o.batch) await tx.delete(outboxClaims).where(eq(outboxClaims.id, o.batch));
    if (o.sent.length) {
      await tx
        .update(outbox)
        .set({ status: 'sent', queued: false, sentAt: now, lastError: null })
        .where(and(inArray(outbox.id, o.sent), eq(outbox.status, 'sending')));
    }
    if (o.blocked.length) {
      await tx
        .update(contacts)
        .set({ blockedAt: now })
        .where(and(inArray(contacts.id, [...new Set(o.blocked.map((b) => b.contactId))]), sql`${contacts.blockedAt} is null`));
      await tx
        .update(outbox)
        .set({ status: 'skipped', queued: false, lastError: 'blocked by the recipient (403)' })
        .where(and(inArray(outbox.id, o.blocked.map((b) => b.id)), eq(outbox.status, 'sending')));
    }
    for (const e of o.errors) {
      const final = e.permanent || e.attempts >= policy.maxAttempts;
      await tx
        .update(outbox)
        .set(
          final
            ? { status: 'failed', queued: false, lastError: e.message }
            : { status: 'pending', queued: true, lastError: e.message, claimedAt: null, dueAt: new Date(now.getTime() + policy.backoffMs(e.attempts)) },
        )
        .where(and(eq(outbox.id, e.id), eq(outbox.status, 'sending')));
    }
    const plain = o.requeue.filter((r) => !r.dueAt).map((r) => r.id);
    if (plain.length) {
      await tx
        .update(outbox)
        .set({ status: 'pending', queued: true, claimedAt: null, attempts: sql`greatest(${outbox.attempts} - 1, 0)` })
        .where(and(inArray(outbox.id, plain), eq(outbox.status, 'sending')));
    }
    for (const r of o.requeue.filter((r) => r.dueAt)) {
      await tx
        .update(outbox)
        .set({ status: 'pending', queued: true, claimedAt: null, dueAt: r.dueAt!, attempts: sql`greatest(${outbox.attempts} - 1, 0)` })
        .where(and(eq(outbox.id, r.id), eq(outbox.status, 'sending')));
    }
  });
}

/**
 * Crash recovery: batches claimed more than `leaseMs` ago are still in
 * outbox_claims only if their dispatcher died (a live one gives a batch up at
 * half the lease and records it by three quarters). What they still hold in
 * flight goes back to pending, and may be sent a second time: that is the
 * in-flight bound. A row that keeps coming back (it crashes its sender?) fails
 * after maxAttempts. Reads a handful of claim rows, never the outbox's index.
 */
export async function recoverInFlight(
  q: Queryable,
  opts: { channel: OutboxChannel; now: Date; leaseMs: number; maxAttempts: number },
): Promise<number> {
  const cutoff = new Date(opts.now.getTime() - opts.leaseMs);
  const recovered = await rows(
    q,
    sql`with stale as (
          delete from outbox_claims where channel = ${opts.channel} and claimed_at < ${iso(cutoff)}::timestamptz
          returning ids
        )
        update outbox set
          status = case when attempts >= ${opts.maxAttempts}::int then 'failed' else 'pending' end,
          queued = attempts < ${opts.maxAttempts}::int,
          last_error = case when attempts >= ${opts.maxAttempts}::int then 'in flight when its dispatcher stopped, too often'
                            else 'in flight when its dispatcher stopped' end,
          claimed_at = null
        where id in (select unnest(ids) from stale) and status = 'sending'
        returning id`,
  );
  return recovered.length;
}

/** The shared "paused until" of a channel (a 429 anywhere pauses every replica). */
export async function readPause(q: Queryable, channel: OutboxChannel): Promise<Date | null> {
  const [row] = await q.select({ until: channelPause.pausedUntil }).from(channelPause).where(eq(channelPause.channel, channel));
  return row?.until ?? null;
}

/** Pauses a channel until `until` (never shortens a longer pause already set). */
export async function pauseChannel(q: Queryable, channel: OutboxChannel, until: Date): Promise<void> {
  await q
    .insert(channelPause)
    .values({ channel, pausedUntil: until })
    .onConflictDoUpdate({
      target: channelPause.channel,
      set: { pausedUntil: sql`greatest(${channelPause.pausedUntil}, excluded.paused_until)` },
    });
}
