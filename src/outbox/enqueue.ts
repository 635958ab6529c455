import { sql, type SQL } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { rows, type Queryable } from '../db/client.js';
import { deferQuietHours, deferQuietHoursSql } from './quiet-hours.js';
import type { NewMessage, OutboxPayload } from './types.js';

/**
 * A key already present is left alone — enqueueing twice is a no-op, a message
 * sent is never sent again — except when its row was cancelled: then it comes
 * back with the new values. So a reschedule is `cancelByPrefix` + `enqueue` in
 * one transaction, with the same keys.
 */
const reviveCancelled = sql`
    on conflict (dedupe_key) do update set
      contact_id = excluded.contact_id, channel = excluded.channel, chat_id = excluded.chat_id,
      kind = excluded.kind, payload = excluded.payload, priority = excluded.priority, due_at = excluded.due_at,
      status = 'pending', queued = true, attempts = 0, last_error = null, claimed_at = null, sent_at = null
    where outbox.status = 'cancelled'`;

/**
 * The INSERT … SELECT every enqueue of a list goes through. `source` yields
 * (dedupe_key, contact_id, kind, payload, priority, due_at); the contact gives
 * channel and chat, and decides who gets nothing (blocked or opted out). Due
 * times in quiet hours move to 07:00 unless the priority is 0 (urgent).
 *
 * Every insert into the outbox locks its contacts FOR KEY SHARE: the outbox has
 * no foreign key (schema.ts), and this is what its check did, so a person erased
 * at the same moment is either not enqueued or has the rows deleted with them.
 */
function insertFrom(source: SQL): SQL {
  return sql`
    insert into outbox (dedupe_key, contact_id, channel, chat_id, kind, payload, priority, due_at)
    select s.dedupe_key, c.id, c.channel, c.chat_id, s.kind, s.payload, s.priority,
           case when s.priority = 0 then s.due_at else ${deferQuietHoursSql(sql`s.due_at`)} end
    from (
      -- one row per key: ON CONFLICT DO UPDATE may not touch a row twice in one statement
      select distinct on (src.dedupe_key) src.dedupe_key::text as dedupe_key, src.contact_id::integer as contact_id, src.kind::text as kind,
             src.payload::jsonb as payload, coalesce(src.priority::smallint, 5::smallint) as priority, src.due_at::timestamptz as due_at
      from (${source}) as src
      order by src.dedupe_key
    ) s
    join contacts c on c.id = s.contact_id
    where c.blocked_at is null and c.opted_out_at is null
    for key share of c
    ${reviveCancelled}`;
}

/**
 * How many rows a statement added or revived, from its command tag (postgres.js
 * `count`, PGlite `affectedRows`): a million ids never travel to us, nor does
 * the server keep them to count them.
 */
async function written(q: Queryable, statement: SQL): Promise<number> {
  const result = (await q.execute(statement)) as unknown as { count?: number | null; affectedRows?: number };
  return Number(result.count ?? result.affectedRows ?? 0);
}

/**
 * The one statement that enqueues `messages`, or null for none. `onlyIf` (a
 * condition, e.g. `exists (select 1 from place)` inside a WITH) gates every
 * row, so a larger statement can enqueue only when its own write succeeded.
 */
export function enqueueStatement(messages: readonly NewMessage[], onlyIf?: SQL): SQL | null {
  if (messages.length === 0) return null;
  const json = JSON.stringify(
    messages.map((m) => ({
      dedupe_key: m.dedupeKey,
      contact_id: m.contactId,
      kind: m.kind,
      payload: m.payload,
      priority: m.priority ?? 5,
      due_at: m.dueAt.toISOString(),
    })),
  );
  // The LIMIT (the count itself, in the text) tells the planner how many rows come: it takes
  // jsonb_to_recordset for 100, and for a booking's three reminders it would scan a few
  // thousand contacts to hash them rather than look three up by key.
  const source = sql`select * from jsonb_to_recordset(${json}::jsonb)
    as v(dedupe_key text, contact_id integer, kind text, payload jsonb, priority smallint, due_at timestamptz)
    ${onlyIf ? sql`where ${onlyIf}` : sql``}
    limit ${sql.raw(String(messages.length))}`;
  return insertFrom(source);
}

/** Enqueues messages (one statement whatever their number). Returns how many rows were added or revived. */
export async function enqueue(q: Queryable, messages: readonly NewMessage[]): Promise<number> {
  const statement = enqueueStatement(messages);
  return statement ? written(q, statement) : 0;
}

/**
 * Enqueues a whole audience in one statement. `select` must yield the columns
 * dedupe_key, contact_id, kind, payload (jsonb), priority, due_at, e.g.
 *
 *     sql`select 'bc:' || ${id} || ':' || s.contact_id as dedupe_key, s.contact_id,
 *                'broadcast' as kind, ${payload}::jsonb as payload, 7 as priority, ${at}::timestamptz as due_at
 *         from subscriptions s where s.programme = ${p} and s.ward_code = ${w} and s.ended_at is null`
 */
export async function enqueueSelect(q: Queryable, select: SQL): Promise<number> {
  return written(q, insertFrom(select));
}

/** One message to each of a set of contacts: a broadcast's audience. */
export interface ToContacts {
  /** `select contact_id …`: who gets it (someone named twice gets it once). */
  contacts: SQL;
  /** Each row's dedupe key is this prefix and the contact's id (`bc:12:` → `bc:12:345`). */
  keyPrefix: string;
  kind: string;
  payload: OutboxPayload;
  priority: number;
  dueAt: Date;
  /**
   * No key with this prefix can exist yet (its broadcast was created in this
   * very transaction): a plain INSERT, without the per-row conflict check. Were
   * a key there after all, the statement would fail, never send anything twice.
   */
  fresh?: boolean;
}

/**
 * The outbox's erasure lock (migration 0012_outbox_hot_claim): a bulk enqueue
 * holds it shared, the trigger that deletes an erased person's rows holds it
 * exclusively.
 */
const ERASURE_LOCK = 72_021_002;

/**
 * `enqueueSelect` for the case where every row is the same message: one
 * INSERT … SELECT straight from contacts. The key is made from contacts.id, so
 * each is unique without sorting a million keys to make sure (DISTINCT ON), and
 * the quiet-hours deferral is worked out once, not per row.
 *
 * Rows go in in key order (byte order, as outbox_dedupe_key_uq sorts them), so
 * the key index grows at its right edge instead of taking a million inserts all
 * over its pages. And instead of locking each contact FOR KEY SHARE (a WAL record
 * and a dirtied page for every one of a million people), the statement runs
 * after taking the outbox's erasure lock shared: an erasure (the trigger on
 * contacts) takes it exclusively, so it waits for this enqueue to commit and
 * then deletes its rows too, or, if it came first, this INSERT's snapshot,
 * taken after the lock, no longer sees the person. That holds in READ COMMITTED
 * (each statement its own snapshot); in a stricter transaction the enqueue locks
 * the contacts as the other enqueues do. Outside a transaction it opens one.
 */
export async function enqueueToContacts(q: Queryable, m: ToContacts): Promise<number> {
  if (!(q instanceof PgTransaction)) return q.transaction((tx) => enqueueToContacts(tx, m));
  const [held] = await rows<{ iso: string }>(
    q,
    sql`select current_setting('transaction_isolation') as iso from (select pg_advisory_xact_lock_shared(${ERASURE_LOCK}::bigint)) as erasure_lock`,
  );
  const lockContacts = held?.iso !== 'read committed';
  const dueAt = m.priority === 0 ? m.dueAt : deferQuietHours(m.dueAt);
  const key = sql`${m.keyPrefix} || c.id::text`;
  return written(
    q,
    sql`insert into outbox (dedupe_key, contact_id, channel, chat_id, kind, payload, priority, due_at)
        select ${key}, c.id, c.channel, c.chat_id, ${m.kind}::text, ${JSON.stringify(m.payload)}::jsonb,
               ${m.priority}::smallint, ${dueAt.toISOString()}::timestamptz
        from contacts c
        where c.id in (${m.contacts}) and c.blocked_at is null and c.opted_out_at is null
        order by ${key} collate "C"
        ${lockContacts ? sql`for key share of c` : sql``}
        ${m.fresh ? sql`` : reviveCancelled}`,
  );
}

/** `LIKE` pattern for "starts with", whatever the prefix contains. */
const startsWith = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Cancels what is still pending under a key prefix (`appt:123:` drops a booking's
 * reminders). Rows already in flight or sent are history and stay as they are.
 * The prefix is a range of outbox_dedupe_key_uq (text_pattern_ops).
 */
export async function cancelByPrefix(q: Queryable, prefix: string): Promise<number> {
  if (!prefix) throw new Error('cancelByPrefix needs a prefix: an empty one would cancel everything');
  return written(
    q,
    sql`update outbox set status = 'cancelled', queued = false
        where status = 'pending' and dedupe_key like ${startsWith(prefix)}`,
  );
}
