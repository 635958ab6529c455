import { and, eq, gte, inArray, sql, type SQL } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { broadcasts, type BroadcastPhoto } from '../db/schema.js';
import type { ChannelName } from '../core/messages.js';
import { enqueueToContacts } from '../outbox/enqueue.js';
import { PRIORITY } from '../outbox/types.js';
import { registerMedia } from './media.js';

/** Broadcasts: the SQL. Who may call what is decided in desk.ts, at the edge. */

export type Broadcast = typeof broadcasts.$inferSelect;
export type BroadcastStatus = 'scheduled' | 'sending' | 'paused' | 'cancelled' | 'done';

/** Who a broadcast goes to: subscribers of these programmes, in these wards (null = city-wide), and optionally relatives of dependents there. */
export interface Audience {
  programmes: string[];
  wardCodes: string[] | null;
  relatives: boolean;
}

/** The i18n key of a broadcast's outbox rows; params carry only the broadcast id (the text is rendered at send time). */
export const BROADCAST_KEY = 'broadcast.message';
export const broadcastPrefix = (id: number) => `bc:${id}:`;

/**
 * The contact ids a broadcast's audience names: one row per subscription (a
 * person subscribed for herself and her mother appears twice); distinct only
 * across groups. Count with `select distinct`; the enqueue's dedupe key keeps
 * one message per person. Never empty SQL.
 */
export function audienceSql(a: Audience): SQL {
  const parts: SQL[] = [];
  const inWards = (col: SQL) => (a.wardCodes === null ? sql`true` : a.wardCodes.length ? sql`${col} in ${a.wardCodes}` : sql`false`);
  if (a.programmes.length) {
    parts.push(sql`select s.contact_id from subscriptions s
      where s.ended_at is null and s.programme in ${a.programmes} and ${inWards(sql`s.ward_code`)}`);
  }
  if (a.relatives) parts.push(sql`select d.contact_id from dependents d where ${inWards(sql`d.ward_code`)}`);
  if (parts.length === 0) return sql`select null::integer as contact_id where false`;
  return sql.join(parts, sql` union `);
}

export interface AudienceCount {
  /** People the audience names. */
  total: number;
  /** Who will get it (not stopped, not blocked). */
  reachable: number;
  optedOut: number;
  blocked: number;
  /** Reachable people per channel (the length limit is the smallest of theirs). */
  channels: ChannelName[];
}

export async function countAudience(q: Queryable, a: Audience): Promise<AudienceCount> {
  const [r] = await rows<{ total: number; reachable: number; opted_out: number; blocked: number; channels: string[] | string | null }>(
    q,
    sql`select count(*)::int as total,
               count(*) filter (where c.opted_out_at is null and c.blocked_at is null)::int as reachable,
               count(*) filter (where c.opted_out_at is not null)::int as opted_out,
               count(*) filter (where c.opted_out_at is null and c.blocked_at is not null)::int as blocked,
               array_agg(distinct c.channel) filter (where c.opted_out_at is null and c.blocked_at is null) as channels
        from (select distinct contact_id from (${audienceSql(a)}) named) a join contacts c on c.id = a.contact_id`,
  );
  const channels = typeof r?.channels === 'string' ? r.channels.replace(/[{}]/g, '').split(',').filter(Boolean) : r?.channels ?? [];
  return {
    total: Number(r?.total ?? 0),
    reachable: Number(r?.reachable ?? 0),
    optedOut: Number(r?.opted_out ?? 0),
    blocked: Number(r?.blocked ?? 0),
    channels: channels as ChannelName[],
  };
}

export interface NewBroadcast {
  audience: Audience;
  text: string;
  /** The optional photo (a Telegram file_id and/or a URL). */
  photo?: BroadcastPhoto | null;
  campaign: string | null;
  scheduledAt: Date;
  progressChannel: ChannelName;
  progressChat: string;
}

/**
 * Stores a broadcast and enqueues its whole audience with ONE INSERT … SELECT
 * (dedupe `bc:<id>:<contact>`; stopped and blocked people are left out by the
 * outbox itself, and counted here). Run it in a transaction.
 */
export async function createBroadcast(q: Queryable, input: NewBroadcast, author: number | null, now: Date): Promise<Broadcast> {
  const unreachable = await countUnreachable(q, input.audience);
  const status: BroadcastStatus = input.scheduledAt.getTime() <= now.getTime() ? 'sending' : 'scheduled';
  // A Telegram photo has no URL for Zalo: it gets a token under which the bot may serve it (media.ts).
  const p = input.photo;
  const photo = p?.fileId && !p.url ? { ...p, media: await registerMedia(q, p.fileId, now) } : (p ?? null);
  const [row] = await q
    .insert(broadcasts)
    .values({ ...input, photo, authorContactId: author, status, createdAt: now, ...(status === 'sending' ? { startedAt: now } : {}) })
    .returning();
  const b = row!;
  const recipients = await enqueueBroadcast(q, b, { fresh: true });
  const [updated] = await q
    .update(broadcasts)
    .set({ recipients: recipients.enqueued, skippedAtStart: unreachable, outboxFrom: recipients.from, outboxTo: recipients.to })
    .where(eq(broadcasts.id, b.id))
    .returning();
  return updated!;
}

/**
 * People of the audience who will get nothing (stopped or blocked): the few such
 * contacts are found first, then looked up in the audience, so a million
 * reachable people are not counted twice (the enqueue counts them).
 */
async function countUnreachable(q: Queryable, a: Audience): Promise<number> {
  const [r] = await rows<{ n: number }>(
    q,
    sql`select count(*)::int as n from contacts c
        where (c.blocked_at is not null or c.opted_out_at is not null) and c.id in (${audienceSql(a)})`,
  );
  return Number(r?.n ?? 0);
}

/**
 * The one statement: every person of the audience gets a row `bc:<id>:<contact>`,
 * due at the broadcast's time. `fresh`: the broadcast was created in this
 * transaction, so none of its keys can exist yet (see enqueueToContacts).
 */
export async function enqueueBroadcast(
  q: Queryable,
  b: Pick<Broadcast, 'id' | 'audience' | 'scheduledAt'>,
  opts: { fresh?: boolean } = {},
): Promise<{ enqueued: number; from: number; to: number }> {
  const maxId = async () => Number((await rows<{ m: string | number }>(q, sql`select coalesce(max(id), 0) as m from outbox`))[0]?.m ?? 0);
  const from = await maxId();
  const enqueued = await enqueueToContacts(q, {
    contacts: audienceSql(b.audience),
    keyPrefix: broadcastPrefix(b.id),
    kind: 'broadcast',
    payload: { key: BROADCAST_KEY, params: { bc: b.id } },
    priority: PRIORITY.broadcast,
    dueAt: b.scheduledAt,
    fresh: opts.fresh ?? false,
  });
  return { enqueued, from, to: enqueued ? await maxId() : from };
}

/** Broadcasts newest first: one author's, or everyone's (null). */
export async function listBroadcasts(q: Queryable, author: number | null, limit: number): Promise<Broadcast[]> {
  return q
    .select()
    .from(broadcasts)
    .where(author === null ? sql`true` : eq(broadcasts.authorContactId, author))
    .orderBy(sql`${broadcasts.id} desc`)
    .limit(limit);
}

export async function getBroadcast(q: Queryable, id: number): Promise<Broadcast | null> {
  const [row] = await q.select().from(broadcasts).where(eq(broadcasts.id, id)).limit(1);
  return row ?? null;
}

/** What became of a broadcast's rows so far (a primary-key range scan). */
export interface Progress {
  recipients: number;
  sent: number;
  failed: number;
  /** The person blocked the bot (before or during the send). */
  blocked: number;
  /** Left out: stopped, blocked or already had it at enqueue, stopped since, deleted their data. */
  skipped: number;
  /** Still to go (pending or in flight). */
  waiting: number;
  inFlight: number;
  cancelled: number;
}

export async function progressOf(q: Queryable, b: Pick<Broadcast, 'id' | 'outboxFrom' | 'outboxTo' | 'recipients' | 'skippedAtStart'>): Promise<Progress> {
  const [r] = await rows<Record<string, number>>(
    q,
    sql`select count(*)::int as total,
          count(*) filter (where status = 'sent')::int as sent,
          count(*) filter (where status = 'failed')::int as failed,
          count(*) filter (where status = 'skipped' and last_error in ('contact blocked', 'blocked by the recipient (403)'))::int as blocked,
          count(*) filter (where status = 'skipped' and last_error is distinct from 'contact blocked' and last_error is distinct from 'blocked by the recipient (403)')::int as skipped,
          count(*) filter (where status in ('pending', 'sending'))::int as waiting,
          count(*) filter (where status = 'sending')::int as in_flight,
          count(*) filter (where status = 'cancelled')::int as cancelled
        from outbox
        where id > ${b.outboxFrom} and id <= ${b.outboxTo} and dedupe_key like ${`${broadcastPrefix(b.id)}%`}`,
  );
  const n = (k: string) => Number(r?.[k] ?? 0);
  // Rows that vanished: the person erased their data (/xoa) after the enqueue.
  const deleted = Math.max(0, b.recipients - n('total'));
  return {
    recipients: b.recipients,
    sent: n('sent'),
    failed: n('failed'),
    blocked: n('blocked'),
    skipped: b.skippedAtStart + n('skipped') + deleted,
    waiting: n('waiting'),
    inFlight: n('in_flight'),
    cancelled: n('cancelled'),
  };
}

/** Pause or cancel: what is still pending is cancelled (in-flight rows finish). */
export async function stopPending(q: Queryable, b: Pick<Broadcast, 'id' | 'outboxFrom' | 'outboxTo'>): Promise<number> {
  const r = await rows(
    q,
    sql`update outbox set status = 'cancelled'
        where id > ${b.outboxFrom} and id <= ${b.outboxTo} and status = 'pending' and dedupe_key like ${`${broadcastPrefix(b.id)}%`}
        returning id`,
  );
  return r.length;
}

/** Resume after a pause: the cancelled rows are pending again (same keys, so nobody gets it twice). */
export async function resumePending(q: Queryable, b: Pick<Broadcast, 'id' | 'outboxFrom' | 'outboxTo'>, dueAt: Date): Promise<number> {
  const r = await rows(
    q,
    sql`update outbox set status = 'pending', due_at = ${dueAt.toISOString()}::timestamptz, attempts = 0, claimed_at = null
        where id > ${b.outboxFrom} and id <= ${b.outboxTo} and status = 'cancelled' and dedupe_key like ${`${broadcastPrefix(b.id)}%`}
        returning id`,
  );
  return r.length;
}

/** Compare-and-set of a broadcast's status. */
export async function setStatus(q: Queryable, id: number, from: readonly BroadcastStatus[], to: BroadcastStatus, extra: Partial<Broadcast> = {}): Promise<Broadcast | null> {
  const [row] = await q
    .update(broadcasts)
    .set({ status: to, ...extra })
    .where(and(eq(broadcasts.id, id), inArray(broadcasts.status, [...from])))
    .returning();
  return row ?? null;
}

/** Broadcasts an author started since `since` that count towards the daily cap (not those cancelled before they began). */
export async function countSince(q: Queryable, author: number, since: Date): Promise<number> {
  const [r] = await q
    .select({ n: sql<number>`count(*)::int` })
    .from(broadcasts)
    .where(and(eq(broadcasts.authorContactId, author), gte(broadcasts.createdAt, since), sql`not (${broadcasts.status} = 'cancelled' and ${broadcasts.startedAt} is null)`));
  return Number(r?.n ?? 0);
}

