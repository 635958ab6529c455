import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { encodeAction } from '../core/actions.js';
import { Denied } from '../core/actor.js';
import { loadContent } from '../core/content.js';
import { fromLocal, localDate, localParts } from '../core/time.js';
import { rows, type Queryable } from '../db/client.js';
import { conversationState, ticketMessages, tickets } from '../db/schema.js';
import { cancelByPrefix, enqueue } from '../outbox/enqueue.js';
import { PRIORITY, type NewMessage, type OutboxPayload } from '../outbox/types.js';
import type { ClusterJob } from '../outbox/scheduler.js';
import type { Authority } from './authority.js';
import { STATE_TTL_MS } from './conversations.js';
import type { PersonPort } from './port.js';

/**
 * Conversations with a counsellor ("Hỏi cán bộ tư vấn"), anonymous by default.
 *
 * A ticket is opened for a person and routed to a pool: the counsellors of
 * their ward, or the city-wide counsellors when the ward has none (or is not
 * known). Counsellors know it only as `#T4821`, its ward and what the person
 * was reading (a programme, the loss path, a safety answer): never a name, a
 * phone number or a platform id. The first counsellor to claim it owns it.
 *
 * Every message that crosses over is an outbox row on the recipient's own
 * channel, whatever channel the sender uses, keyed `tk:<ticket>:…`:
 * - `tk:<t>:new:<counsellor>`: a new conversation, to each counsellor of the pool;
 * - `tk:<t>:m<message>:<recipient>`: a message relayed (urgent, priority 0: it
 *   answers someone who is waiting), or flagged (a danger sign) to the pool;
 * - `tk:<t>:claim<ms>`, `tk:<t>:t<ms>:<to>`, `tk:<t>:closed:<recipient>`:
 *   claimed, transferred, closed;
 * - `tk:<t>:alert:<admin>`: it waited unclaimed `unclaimedAlertMinutes` of
 *   working time (runCounselJob).
 *
 * /xoa erases the person's tickets' messages and their outbox rows and sets
 * the ticket's contact to null: the row stays, anonymous, for the figures
 * (ticketFigures). "dừng" closes an open ticket. Claims, transfers and closes
 * are audited.
 */

export type Ticket = typeof tickets.$inferSelect;

/** How a counsellor sees a conversation: no contact, no name. */
export interface TicketView {
  id: number;
  /** `#T4821` */
  tag: string;
  wardCode: string | null;
  /** A ward code, or 'city'. */
  pool: string;
  about: CounselAbout;
  status: string;
  ownerContactId: number | null;
  mine: boolean;
  flagged: boolean;
  firstMessageAt: Date | null;
  lastMessageAt: Date | null;
  /** The person's messages since a counsellor last wrote. */
  waiting: number;
}

export interface TranscriptLine {
  at: Date;
  sender: 'person' | 'counsellor';
  text: string;
  flagged: boolean;
}

/** What the person was reading when they asked: a programme, the loss path, a safety answer, or nothing in particular. */
export const COUNSEL_ABOUT = ['premarital', 'prenatal', 'newborn', 'elderly', 'familyplanning', 'loss', 'safety', 'general'] as const;
export type CounselAbout = (typeof COUNSEL_ABOUT)[number];

/** The pool of the city-wide counsellors. */
export const CITY_POOL = 'city';
/** A ward code no ward has: what a ticket of the city pool with no known ward is checked against (only city-wide roles pass). */
const NO_WARD = '*';

export const ticketTag = (t: Pick<Ticket, 'pseudonym'>) => `#T${t.pseudonym}`;

/**
 * Where a conversation lives in chat (flows/counsel.ts): the person's flow and
 * step while a ticket is open, and a counsellor's while answering one. Their
 * typed text is relayed from there, so the domain keeps these states alive
 * (keepConversation) as long as the ticket is.
 */
export const PERSON_CHAT = { flow: 'counsel', step: 'chat' } as const;
export const COUNSELLOR_CHAT = { flow: 'counsel-desk', step: 'reply' } as const;

/**
 * Puts (or keeps) someone in a ticket's conversation for another day: their
 * state is written when they have none, it expired, or it is that
 * conversation already; a flow they are in the middle of is left alone.
 * `any`: any conversation of this kind is replaced (the person has one ticket open at a time).
 */
async function keepConversation(q: Queryable, contactId: number, at: { flow: string; step: string }, ticket: number, now: Date, any: boolean): Promise<void> {
  const data = JSON.stringify({ ticket });
  const same = any
    ? sql`conversation_state.flow = ${at.flow}`
    : sql`(conversation_state.flow = ${at.flow} and conversation_state.data->>'ticket' = ${String(ticket)})`;
  await q.execute(
    sql`insert into conversation_state (contact_id, flow, step, data, menu, updated_at, expires_at)
        values (${contactId}, ${at.flow}, ${at.step}, ${data}::jsonb, null, ${now.toISOString()}::timestamptz, ${new Date(now.getTime() + STATE_TTL_MS).toISOString()}::timestamptz)
        on conflict (contact_id) do update set flow = excluded.flow, step = excluded.step, data = excluded.data, menu = null,
          updated_at = excluded.updated_at, expires_at = excluded.expires_at
        where ${same} or conversation_state.flow is null or conversation_state.expires_at <= ${now.toISOString()}::timestamptz`,
  );
}
export const ticketPrefix = (id: number) => `tk:${id}:`;

const TOPIC_PROGRAMMES: [string, string][] = [
  ['premarital.', 'premarital'],
  ['prenatal.', 'prenatal'],
  ['postpartum.', 'prenatal'],
  ['newborn.', 'newborn'],
  ['elderly.', 'elderly'],
  ['srh.', 'familyplanning'],
  ['screening.cancer', 'familyplanning'],
];

/** The programme an FAQ topic (or 'loss') belongs to, for the counsellor's context and the figures. */
export function programmeOfTopic(topic: string | null): string | null {
  if (!topic) return null;
  if (topic === 'loss') return 'prenatal';
  return TOPIC_PROGRAMMES.find(([prefix]) => topic.startsWith(prefix))?.[1] ?? null;
}

export function aboutOf(t: Pick<Ticket, 'programme' | 'topic'>): CounselAbout {
  if (t.topic === 'loss') return 'loss';
  if (t.topic?.startsWith('safety.')) return 'safety';
  return (COUNSEL_ABOUT as readonly string[]).includes(t.programme ?? '') ? (t.programme as CounselAbout) : 'general';
}

// ---- content: working hours, the alert, the stations ----

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM');
const CounselFile = z.object({
  about: z.string().optional(),
  hours: z.object({
    days: z.array(z.number().int().min(0).max(6)).min(1),
    periods: z
      .array(z.tuple([HHMM, HHMM]))
      .min(1)
      .refine((ps) => ps.every(([a, b]) => a < b), 'each period ends after it starts'),
    /** Days off on a working weekday (public holidays, Tết), as YYYY-MM-DD in Hải Phòng. */
    closed: z.array(z.iso.date()).default([]),
  }),
  unclaimedAlertMinutes: z.number().int().min(1).max(10_080),
  emptyCloseMinutes: z.number().int().min(10).default(1440),
  stations: z
    .record(
      z.string().regex(/^\d{5}$/),
      z.object({
        name: z.string().min(3).optional(),
        /** Shown only with `verified` (the date it was checked) and `source`. */
        phone: z.string().optional(),
        verified: z.string().optional(),
        source: z.string().optional(),
      }),
    )
    .default({}),
});
export type CounselContent = z.infer<typeof CounselFile>;
export type WorkingHours = CounselContent['hours'];

/** content/counsel.yaml: working hours, the unclaimed alert, the stations' verified phones. */
export function loadCounselContent(file = join(contentDir, 'counsel.yaml')): CounselContent {
  return loadContent(file, CounselFile);
}

/** A ward's station phone number, only where content has a verified one. */
export function verifiedPhone(content: CounselContent, wardCode: string | null): string | null {
  const s = wardCode ? content.stations[wardCode] : undefined;
  return s?.phone && s.verified && s.source ? s.phone : null;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function inWorkingHours(h: WorkingHours, at: Date): boolean {
  const p = localParts(at);
  if (!h.days.includes(p.weekday) || h.closed.includes(localDate(at))) return false;
  const m = p.h * 60 + p.mi;
  return h.periods.some(([a, b]) => m >= minutesOf(a) && m < minutesOf(b));
}

/** `at` itself inside working hours, else the start of the next working period (Hải Phòng time). */
export function nextWorkingStart(h: WorkingHours, at: Date): Date {
  if (inWorkingHours(h, at)) return at;
  const p = localParts(at);
  const starts = h.periods.map(([a]) => minutesOf(a)).sort((a, b) => a - b);
  // Tết can close a week and more: look a month ahead.
  for (let d = 0; d < 31; d++) {
    const midnight = fromLocal(p.y, p.m, p.d + d);
    const day = localParts(midnight);
    if (!h.days.includes(day.weekday) || h.closed.includes(localDate(midnight))) continue;
    for (const m of starts) {
      const start = fromLocal(day.y, day.m, day.d, 0, m);
      if (start > at) return start;
    }
  }
  return at;
}

// ---- who answers ----

/** Live counsellors of a pool who can be written to (not stopped, not blocked). */
export async function counsellorsOf(q: Queryable, pool: string): Promise<number[]> {
  const list = await rows<{ contact_id: number }>(
    q,
    sql`select r.contact_id from staff_roles r join contacts c on c.id = r.contact_id
        where r.revoked_at is null and r.role = 'counsellor' and c.opted_out_at is null and c.blocked_at is null
          and ${pool === CITY_POOL ? sql`cardinality(r.ward_codes) = 0` : sql`${pool} = any(r.ward_codes)`}
        order by r.contact_id`,
  );
  return list.map((r) => Number(r.contact_id));
}

/** Whether any ward has a counsellor of its own (then a person whose ward is unknown may be asked it). */
export async function anyWardCounsellor(q: Queryable): Promise<boolean> {
  const [r] = await rows<{ n: number }>(
    q,
    sql`select count(*)::int as n from staff_roles where revoked_at is null and role = 'counsellor' and cardinality(ward_codes) > 0`,
  );
  return Number(r?.n ?? 0) > 0;
}

/** The pool a person of this ward is answered by: the ward's counsellors, else the city's; null when there is nobody. */
export async function routeFor(q: Queryable, wardCode: string | null): Promise<string | null> {
  if (wardCode && (await counsellorsOf(q, wardCode)).length) return wardCode;
  return (await counsellorsOf(q, CITY_POOL)).length ? CITY_POOL : null;
}

async function administrators(q: Queryable): Promise<number[]> {
  const list = await rows<{ contact_id: number }>(
    q,
    sql`select r.contact_id from staff_roles r join contacts c on c.id = r.contact_id
        where r.revoked_at is null and r.role = 'admin' and c.opted_out_at is null and c.blocked_at is null order by r.contact_id`,
  );
  return list.map((r) => Number(r.contact_id));
}

async function wardName(q: Queryable, code: string | null): Promise<string | null> {
  if (!code) return null;
  const [w] = await rows<{ name: string }>(q, sql`select name from wards where code = ${code}`);
  return w?.name ?? null;
}

/** What a counsellor's message about a ticket starts with: `#T4821 · Phường Lê Chân · Tránh thai`. */
async function headParams(q: Queryable, t: Ticket): Promise<Record<string, string>> {
  const ward = await wardName(q, t.wardCode);
  return { tag: ticketTag(t), about: aboutOf(t), ...(ward ? { ward } : { context: 'noWard' }) };
}

/** A list of ward codes (five digits each) as a Postgres text[]. */
const textArray = (list: readonly string[]) => sql`${`{${list.filter((c) => /^\d{5}$/.test(c)).join(',')}}`}::text[]`;

const payload = (key: string, params: Record<string, string | number>, choices: OutboxPayload['choices'] = []): OutboxPayload => ({
  key,
  params,
  ...(choices.length ? { choices } : {}),
});

/** The buttons under what a counsellor receives about a ticket. */
const claimChoice = (id: number) => ({ key: 'counsel.btn.claim', value: encodeAction({ type: 'counselClaim', ticket: id }) });
const replyChoice = (id: number) => ({ key: 'counsel.btn.reply', value: encodeAction({ type: 'counselReply', ticket: id }) });
const endChoice = (id: number) => ({ key: 'counsel.btn.end', value: encodeAction({ type: 'counselEnd', ticket: id }) });
const transferChoice = (id: number) => ({ key: 'counsel.btn.transfer', value: encodeAction({ type: 'counselTransfer', ticket: id }) });
/** The person's: write again, end; and 👍 / 👎 once it closed. */
const personReplyChoice = () => ({ key: 'counsel.btn.write', value: encodeAction({ type: 'counsel' }) });
export const rateChoices = (id: number) => [
  { key: 'counsel.btn.up', value: encodeAction({ type: 'counselRate', ticket: id, up: true }) },
  { key: 'counsel.btn.down', value: encodeAction({ type: 'counselRate', ticket: id, up: false }) },
];

const view = (t: Ticket, me: number | null, waiting = 0): TicketView => ({
  id: t.id,
  tag: ticketTag(t),
  wardCode: t.wardCode,
  pool: t.pool,
  about: aboutOf(t),
  status: t.status,
  ownerContactId: t.ownerContactId,
  mine: me !== null && t.ownerContactId === me,
  flagged: t.flaggedAt !== null,
  firstMessageAt: t.firstMessageAt,
  lastMessageAt: t.lastMessageAt,
  waiting,
});

/** The ward a counsellor's authority is checked against for a ticket: its pool's, or (city pool) its own ward. */
const wardToCheck = (t: Pick<Ticket, 'pool' | 'wardCode'>) => (t.pool === CITY_POOL ? (t.wardCode ?? NO_WARD) : t.pool);

export type CounselRefusal = 'taken' | 'closed' | 'not-owner';

/**
 * One person's side of the counselling for one update (Person.counsel): as
 * someone who asks, and, holding the counsellor role (or administrator), as
 * someone who answers. Every counsellor action is checked at this edge
 * (Authority: 'counsel.answer', the ticket's ward) and audited.
 */
export class CounselDesk {
  constructor(
    private readonly p: PersonPort,
    private readonly authority: Authority,
  ) {}

  private get me(): number | null {
    return this.p.contact()?.id ?? null;
  }

  private async get(id: number): Promise<Ticket | null> {
    if (!Number.isInteger(id)) return null;
    const [t] = await this.p.read.select().from(tickets).where(eq(tickets.id, id)).limit(1);
    return t ?? null;
  }

  // ---- the person who asks ----

  /** The person's open ticket, if any. */
  async current(): Promise<Ticket | null> {
    const me = this.me;
    if (me === null) return null;
    const [t] = await this.p.read
      .select()
      .from(tickets)
      .where(and(eq(tickets.contactId, me), eq(tickets.status, 'open')))
      .limit(1);
    return t ?? null;
  }

  /** Who would answer someone of this ward now: a pool, or null (nobody yet). */
  route(wardCode: string | null): Promise<string | null> {
    return routeFor(this.p.read, wardCode);
  }

  /** Whether a person whose ward is not known should be asked it (some wards have counsellors, the city has none). */
  async askWard(): Promise<boolean> {
    return (await anyWardCounsellor(this.p.read)) && (await counsellorsOf(this.p.read, CITY_POOL)).length === 0;
  }

  /**
   * Opens a ticket (or finds the open one): routed to the ward's pool, else
   * the city's; null when nobody can answer. Counsellors hear of it with the
   * person's first message.
   */
  async open(o: { wardCode: string | null; about: string | null }): Promise<{ ticket: Ticket; fresh: boolean } | null> {
    const open = await this.current();
    if (open) return { ticket: open, fresh: false };
    const pool = await this.route(o.wardCode);
    if (!pool) return null;
    const c = await this.p.ensure();
    const w = this.p.write();
    for (let i = 0; i < 50; i++) {
      const [row] = await w
        .insert(tickets)
        .values({
          contactId: c.id,
          pseudonym: String(randomInt(1000, 10_000)),
          wardCode: o.wardCode,
          pool,
          programme: programmeOfTopic(o.about),
          topic: o.about,
          openedAt: this.p.now,
        })
        .onConflictDoNothing()
        .returning();
      if (row) return { ticket: row, fresh: true };
      const again = await this.current();
      if (again) return { ticket: again, fresh: false };
    }
    throw new Error('no free ticket pseudonym');
  }

  /**
   * The person wrote in their open ticket: kept, and relayed to its
   * counsellor (urgent) or, the first time, to its pool. A danger sign flags
   * the ticket and reaches the counsellor (or the pool) at once.
   */
  async say(text: string, o: { flagged: boolean; readingOf?: (topic: string) => string | null }): Promise<{ ticket: Ticket; first: boolean } | null> {
    const t = await this.current();
    if (!t) return null;
    const w = this.p.write();
    const now = this.p.now;
    const [m] = await w
      .insert(ticketMessages)
      .values({ ticketId: t.id, sender: 'person', text, flagged: o.flagged, at: now })
      .returning({ id: ticketMessages.id });
    const first = t.firstMessageAt === null;
    const [row] = await w
      .update(tickets)
      .set({ lastMessageAt: now, ...(first ? { firstMessageAt: now } : {}), ...(o.flagged && !t.flaggedAt ? { flaggedAt: now } : {}) })
      .where(eq(tickets.id, t.id))
      .returning();
    await keepConversation(w, t.contactId!, PERSON_CHAT, t.id, now, true);
    const head = { ...(await headParams(w, t)), text };
    const out: NewMessage[] = [];
    if (t.ownerContactId !== null) {
      out.push({
        dedupeKey: `${ticketPrefix(t.id)}m${m!.id}:${t.ownerContactId}`,
        contactId: t.ownerContactId,
        kind: 'counsel.relay',
        payload: payload(o.flagged ? 'counsel.relay.flagged' : 'counsel.relay.toCounsellor', head, [replyChoice(t.id), endChoice(t.id)]),
        priority: PRIORITY.urgent,
        dueAt: now,
      });
    } else if (first || o.flagged) {
      // The pool hears of it once, with the first message; again only for a danger sign.
      const key = first ? 'counsel.notice.new' : 'counsel.relay.flagged';
      const title = t.topic && o.readingOf ? o.readingOf(t.topic) : null;
      const reading = title ? { reading: title, readingKind: 'yes' } : { readingKind: 'no' };
      for (const to of await counsellorsOf(w, t.pool)) {
        if (to === t.contactId) continue;
        out.push({
          dedupeKey: first ? `${ticketPrefix(t.id)}new:${to}` : `${ticketPrefix(t.id)}m${m!.id}:${to}`,
          contactId: to,
          kind: 'counsel.notice',
          payload: payload(key, { ...head, ...reading, flag: o.flagged || aboutOf(t) === 'safety' ? 'yes' : 'no' }, [claimChoice(t.id)]),
          // A danger sign, or a conversation opened from a safety answer, cannot wait for the morning.
          priority: o.flagged || aboutOf(t) === 'safety' ? PRIORITY.urgent : PRIORITY.reminder,
          dueAt: now,
        });
      }
    }
    await enqueue(w, out);
    return { ticket: row!, first };
  }

  /** "Kết thúc" by the person: closed; the counsellor (or the pool's notices) told. */
  async end(): Promise<Ticket | null> {
    const t = await this.current();
    if (!t) return null;
    return this.closeTicket(t, 'person');
  }

  /** 👍 / 👎 after a ticket closed, once, by its own person. */
  async rate(id: number, up: boolean): Promise<'rated' | 'gone'> {
    const me = this.me;
    const t = await this.get(id);
    if (!t || me === null || t.contactId !== me || t.status !== 'closed' || t.rating !== null) return 'gone';
    await this.p
      .write()
      .update(tickets)
      .set({ rating: up ? 1 : -1 })
      .where(eq(tickets.id, id));
    return 'rated';
  }

  /** Stop ("dừng"): the open ticket closes with everything else. */
  async closeOpen(reason: 'stop'): Promise<number> {
    const t = await this.current();
    if (!t) return 0;
    await this.closeTicket(t, reason);
    return 1;
  }

  /**
   * Delete (/xoa): the open ticket closes; every ticket of the person loses
   * its messages, its relayed copies in the outbox and its link to the
   * person. The anonymous row stays for the figures.
   */
  async erase(): Promise<void> {
    const me = this.me;
    if (me === null) return;
    const open = await this.current();
    if (open) await this.closeTicket(open, 'erase');
    const w = this.p.write();
    const mine = await w.select({ id: tickets.id }).from(tickets).where(eq(tickets.contactId, me));
    for (const { id } of mine) {
      await w.delete(ticketMessages).where(eq(ticketMessages.ticketId, id));
      // Every copy of what was said, sent or not, whoever it went to.
      await w.execute(sql`delete from outbox where dedupe_key like ${`${ticketPrefix(id)}%`} and dedupe_key not like ${`${ticketPrefix(id)}closed:%`}`);
    }
    await w.update(tickets).set({ contactId: null }).where(eq(tickets.contactId, me));
  }

  private async closeTicket(t: Ticket, by: 'person' | 'counsellor' | 'stop' | 'erase'): Promise<Ticket> {
    const w = this.p.write();
    const now = this.p.now;
    const [row] = await w.update(tickets).set({ status: 'closed', closedAt: now, closedBy: by }).where(eq(tickets.id, t.id)).returning();
    // Notices of a new conversation or an alert still waiting for the morning are moot now.
    await cancelByPrefix(w, `${ticketPrefix(t.id)}new:`);
    await cancelByPrefix(w, `${ticketPrefix(t.id)}alert:`);
    await this.p.audit('ticket.close', `ticket:${t.id}`, { by, tag: ticketTag(t) });
    const out: NewMessage[] = [];
    const head = await headParams(w, t);
    if (by !== 'counsellor' && t.ownerContactId !== null) {
      out.push({
        dedupeKey: `${ticketPrefix(t.id)}closed:${t.ownerContactId}`,
        contactId: t.ownerContactId,
        kind: 'counsel.closed',
        payload: payload(`counsel.closed.${by}`, head),
        priority: PRIORITY.reminder,
        dueAt: now,
      });
    }
    if (by === 'counsellor' && t.contactId !== null) {
      out.push({
        dedupeKey: `${ticketPrefix(t.id)}closed:${t.contactId}`,
        contactId: t.contactId,
        kind: 'counsel.closed',
        payload: payload('counsel.closed.toPerson', { tag: ticketTag(t) }, rateChoices(t.id)),
        priority: PRIORITY.reminder,
        dueAt: now,
      });
    }
    await enqueue(w, out);
    return row!;
  }

  // ---- counsellors ----

  /** A ticket this person may answer (role and ward checked, refusals audited). */
  private async answerable(id: number): Promise<Ticket | Denied> {
    const t = await this.get(id);
    if (!t) return (await this.authority.check('counsel.answer', undefined, `ticket:${id}`)) ?? new Denied('not-found');
    return (await this.authority.check('counsel.answer', wardToCheck(t), `ticket:${id}`)) ?? t;
  }

  /** Whether this person is a counsellor or an administrator (no audit: for choosing what to show). */
  async answers(): Promise<boolean> {
    const g = await this.authority.grant();
    return g?.role === 'counsellor' || g?.role === 'admin';
  }

  /** The ticket's messages so far, oldest first. */
  private async lines(id: number): Promise<TranscriptLine[]> {
    const list = await this.p.read
      .select({ at: ticketMessages.at, sender: ticketMessages.sender, text: ticketMessages.text, flagged: ticketMessages.flagged })
      .from(ticketMessages)
      .where(eq(ticketMessages.ticketId, id))
      .orderBy(asc(ticketMessages.id));
    return list.map((l) => ({ ...l, sender: l.sender === 'counsellor' ? 'counsellor' : 'person' }));
  }

  /** The first to claim a waiting ticket owns it: audited; the person is told someone is answering. */
  async claim(id: number): Promise<{ ticket: TicketView; lines: TranscriptLine[] } | Denied | CounselRefusal> {
    const t = await this.answerable(id);
    if (t instanceof Denied) return t;
    if (t.status !== 'open') return 'closed';
    const me = (await this.p.ensure()).id;
    if (t.ownerContactId === me) return { ticket: view(t, me), lines: await this.lines(id) };
    const w = this.p.write();
    const now = this.p.now;
    const [row] = await w
      .update(tickets)
      .set({ ownerContactId: me, claimedAt: now })
      .where(and(eq(tickets.id, id), eq(tickets.status, 'open'), sql`${tickets.ownerContactId} is null`))
      .returning();
    if (!row) return 'taken';
    await cancelByPrefix(w, `${ticketPrefix(id)}new:`);
    await cancelByPrefix(w, `${ticketPrefix(id)}alert:`);
    await this.p.audit('ticket.claim', `ticket:${id}`, { tag: ticketTag(t), pool: t.pool });
    if (row.contactId !== null) {
      await enqueue(w, [
        {
          dedupeKey: `${ticketPrefix(id)}claim${now.getTime()}`,
          contactId: row.contactId,
          kind: 'counsel.claimed',
          payload: payload('counsel.claimed', { tag: ticketTag(row) }),
          priority: PRIORITY.urgent,
          dueAt: now,
        },
      ]);
    }
    return { ticket: view(row, me), lines: await this.lines(id) };
  }

  /** Opens a ticket this counsellor owns for answering (a waiting one is claimed first). */
  async focus(id: number): Promise<{ ticket: TicketView; lines: TranscriptLine[] } | Denied | CounselRefusal> {
    const t = await this.answerable(id);
    if (t instanceof Denied) return t;
    if (t.status !== 'open') return 'closed';
    if (t.ownerContactId === null) return this.claim(id);
    const me = this.me;
    if (t.ownerContactId !== me) return 'taken';
    return { ticket: view(t, me), lines: await this.lines(id) };
  }

  /** A counsellor's answer: kept, and relayed at once to the person on their own channel. */
  async reply(id: number, text: string): Promise<TicketView | Denied | CounselRefusal> {
    const t = await this.answerable(id);
    if (t instanceof Denied) return t;
    if (t.status !== 'open' || t.contactId === null) return 'closed';
    const me = (await this.p.ensure()).id;
    if (t.ownerContactId !== me) return t.ownerContactId === null ? 'not-owner' : 'taken';
    const w = this.p.write();
    const now = this.p.now;
    const [m] = await w
      .insert(ticketMessages)
      .values({ ticketId: id, sender: 'counsellor', authorContactId: me, text, at: now })
      .returning({ id: ticketMessages.id });
    const [row] = await w
      .update(tickets)
      .set({ lastMessageAt: now, ...(t.firstResponseAt ? {} : { firstResponseAt: now }) })
      .where(eq(tickets.id, id))
      .returning();
    await enqueue(w, [
      {
        dedupeKey: `${ticketPrefix(id)}m${m!.id}:${t.contactId}`,
        contactId: t.contactId,
        kind: 'counsel.relay',
        payload: payload('counsel.relay.toPerson', { tag: ticketTag(t), text }, [personReplyChoice(), endChoice(id)]),
        priority: PRIORITY.urgent,
        dueAt: now,
      },
    ]);
    // What the person types next goes to the counsellor, even after a day without a word or a visit to the menu.
    await keepConversation(w, t.contactId, PERSON_CHAT, id, now, true);
    await keepConversation(w, me, COUNSELLOR_CHAT, id, now, false);
    return view(row!, me);
  }

  /** "Kết thúc" by the counsellor (or an administrator): closed, audited; the person may rate it. */
  async close(id: number): Promise<TicketView | Denied | CounselRefusal> {
    const t = await this.answerable(id);
    if (t instanceof Denied) return t;
    if (t.status !== 'open') return 'closed';
    const me = (await this.p.ensure()).id;
    const admin = (await this.authority.grant())?.role === 'admin';
    if (t.ownerContactId !== null && t.ownerContactId !== me && !admin) return 'taken';
    return view(await this.closeTicket(t, 'counsellor'), me);
  }

  /** Who a ticket can be handed to: counsellors who may answer it, but this one. */
  async transferTargets(id: number): Promise<{ contactId: number; name: string | null }[] | Denied | CounselRefusal> {
    const t = await this.answerable(id);
    if (t instanceof Denied) return t;
    if (t.status !== 'open') return 'closed';
    const me = this.me;
    const pools = [...new Set([t.pool, ...(t.wardCode ? [t.wardCode] : []), CITY_POOL])];
    const ids = new Set<number>();
    for (const pool of pools) for (const c of await counsellorsOf(this.p.read, pool)) if (c !== me && c !== t.contactId) ids.add(c);
    if (!ids.size) return [];
    const names = await rows<{ id: number; display_name: string | null }>(
      this.p.read,
      sql`select id, display_name from contacts where id in (${sql.join(
        [...ids].map((i) => sql`${i}`),
        sql`, `,
      )}) order by id`,
    );
    return names.map((n) => ({ contactId: Number(n.id), name: n.display_name }));
  }

  /**
   * Hands a ticket to another counsellor who may answer it, or back to its
   * pool ('pool'): only its owner or an administrator; audited; the new
   * owner (or the pool) is told.
   */
  async transfer(id: number, to: number | 'pool'): Promise<TicketView | Denied | CounselRefusal> {
    const t = await this.answerable(id);
    if (t instanceof Denied) return t;
    if (t.status !== 'open') return 'closed';
    const me = (await this.p.ensure()).id;
    const admin = (await this.authority.grant())?.role === 'admin';
    if (t.ownerContactId !== me && !admin) return 'not-owner';
    if (to !== 'pool') {
      const targets = await this.transferTargets(id);
      if (!Array.isArray(targets) || !targets.some((x) => x.contactId === to)) return new Denied('not-found');
    }
    const w = this.p.write();
    const now = this.p.now;
    const owner = to === 'pool' ? null : to;
    const [row] = await w
      .update(tickets)
      .set({ ownerContactId: owner, claimedAt: owner === null ? null : now })
      .where(eq(tickets.id, id))
      .returning();
    await this.p.audit('ticket.transfer', `ticket:${id}`, { tag: ticketTag(t), from: t.ownerContactId, to: owner ?? 'pool' });
    const head = await headParams(w, t);
    const last = (await this.lines(id)).filter((l) => l.sender === 'person').at(-1)?.text ?? '';
    const recipients = owner === null ? (await counsellorsOf(w, t.pool)).filter((c) => c !== me && c !== t.contactId) : [owner];
    await enqueue(
      w,
      recipients.map((c) => ({
        dedupeKey: `${ticketPrefix(id)}t${now.getTime()}:${c}`,
        contactId: c,
        kind: 'counsel.notice',
        payload: payload(owner === null ? 'counsel.notice.released' : 'counsel.notice.transferred', { ...head, text: last }, [
          owner === null ? claimChoice(id) : replyChoice(id),
        ]),
        priority: t.flaggedAt ? PRIORITY.urgent : PRIORITY.reminder,
        dueAt: now,
      })),
    );
    return view(row!, me);
  }

  /** /tuvan: the tickets this counsellor owns, and those waiting in the pools they answer. */
  async list(): Promise<{ mine: TicketView[]; waiting: TicketView[] } | Denied> {
    const denied = await this.authority.check('counsel.answer', undefined, 'tickets');
    if (denied) return denied;
    const me = this.me;
    const scope = await this.authority.wards();
    const found = await rows<Record<string, unknown>>(
      this.p.read,
      sql`select t.*, (select count(*)::int from ticket_messages m where m.ticket_id = t.id and m.sender = 'person'
                        and m.id > coalesce((select max(x.id) from ticket_messages x where x.ticket_id = t.id and x.sender = 'counsellor'), 0)) as waiting
          from tickets t
          where t.status = 'open' and t.first_message_at is not null
            and (t.owner_contact_id = ${me ?? -1}
                 or (t.owner_contact_id is null and ${
                   scope === null ? sql`true` : sql`(t.pool = any(${textArray(scope)}) or t.ward_code = any(${textArray(scope)}))`
                 }))
          order by t.flagged_at is null, t.first_message_at`,
    );
    const all = found.map((r) => view(fromRow(r), me, Number(r.waiting ?? 0)));
    return { mine: all.filter((v) => v.mine), waiting: all.filter((v) => v.ownerContactId === null) };
  }

  /**
   * A ticket and what was said. Another counsellor's conversation stays
   * theirs: its lines are null (withheld) unless the reader owns it, it is
   * still waiting for someone to claim it, or the reader is an administrator.
   */
  async transcript(id: number): Promise<{ ticket: TicketView; lines: TranscriptLine[] | null } | Denied> {
    const t = await this.answerable(id);
    if (t instanceof Denied) return t;
    const v = view(t, this.me);
    const theirs = v.ownerContactId !== null && !v.mine && (await this.authority.grant())?.role !== 'admin';
    return { ticket: v, lines: theirs ? null : await this.lines(id) };
  }

  /** The ticket a counsellor is answering in chat: the one their conversation (the flow `flowId`) is on. */
  async answering(flowId: string): Promise<number | null> {
    const me = this.me;
    if (me === null) return null;
    const [s] = await this.p.read
      .select({ data: conversationState.data })
      .from(conversationState)
      .where(and(eq(conversationState.contactId, me), eq(conversationState.flow, flowId)))
      .limit(1);
    const id = Number((s?.data as { ticket?: unknown } | undefined)?.ticket);
    return Number.isInteger(id) && id > 0 ? id : null;
  }

  /** The figures of a year, by ward and month and for the city (anyone who may read the indicators). */
  async figures(year: number): Promise<TicketFigure[] | Denied> {
    const denied = await this.authority.check('reports.read', undefined, 'tickets');
    if (denied) return denied;
    return ticketFigures(this.p.read, { from: fromLocal(year, 1, 1), to: fromLocal(year + 1, 1, 1) });
  }
}

/** A tickets row from raw SQL (snake_case) as drizzle's shape. */
function fromRow(r: Record<string, unknown>): Ticket {
  const d = (v: unknown) => (v === null || v === undefined ? null : new Date(String(v instanceof Date ? v.toISOString() : v)));
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: Number(r.id),
    contactId: n(r.contact_id),
    pseudonym: String(r.pseudonym),
    wardCode: s(r.ward_code),
    pool: String(r.pool),
    programme: s(r.programme),
    topic: s(r.topic),
    status: String(r.status),
    ownerContactId: n(r.owner_contact_id),
    openedAt: d(r.opened_at)!,
    firstMessageAt: d(r.first_message_at),
    claimedAt: d(r.claimed_at),
    firstResponseAt: d(r.first_response_at),
    lastMessageAt: d(r.last_message_at),
    flaggedAt: d(r.flagged_at),
    alertedAt: d(r.alerted_at),
    closedAt: d(r.closed_at),
    closedBy: s(r.closed_by),
    rating: n(r.rating),
  };
}

// ---- figures ----

/** Conversations by ward and month (`city`: every ward together, the unknown ward included). */
export interface TicketFigure {
  /** YYYY-MM, Hải Phòng time, of the person's first message. */
  month: string;
  /** null: the ward was not known (or, with `city`, every ward). */
  wardCode: string | null;
  city: boolean;
  /** Conversations in which the person wrote. */
  opened: number;
  /** … and a counsellor answered. */
  answered: number;
  /** Median minutes from the person's first message to the first answer (answered ones only); null when none. */
  medianFirstResponseMinutes: number | null;
  closed: number;
  /** Administrators were alerted that it waited unclaimed. */
  alerted: number;
  /** A danger sign in the person's messages. */
  flagged: number;
  ratedUp: number;
  ratedDown: number;
}

/**
 * The counselling figures for the console and reports: tickets opened,
 * answered, the median first-response time, by ward and month and for the
 * whole city. From the tickets rows alone, which /xoa leaves (anonymous).
 */
export async function ticketFigures(q: Queryable, o: { from: Date; to: Date; wardCodes?: readonly string[] }): Promise<TicketFigure[]> {
  const wards = o.wardCodes ? sql`and ward_code = any(${textArray(o.wardCodes)})` : sql``;
  const list = await rows<Record<string, unknown>>(
    q,
    sql`select month, ward_code, grouping(ward_code) = 1 as city,
               count(*)::int as opened,
               count(first_response_at)::int as answered,
               percentile_cont(0.5) within group (order by minutes) as median,
               count(*) filter (where status = 'closed')::int as closed,
               count(alerted_at)::int as alerted,
               count(flagged_at)::int as flagged,
               count(*) filter (where rating = 1)::int as up,
               count(*) filter (where rating = -1)::int as down
        from (select *, to_char(first_message_at at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM') as month,
                     extract(epoch from (first_response_at - first_message_at)) / 60.0 as minutes
              from tickets
              where first_message_at >= ${o.from.toISOString()}::timestamptz and first_message_at < ${o.to.toISOString()}::timestamptz ${wards}) t
        group by grouping sets ((month, ward_code), (month))
        order by month, city, ward_code nulls last`,
  );
  return list.map((r) => ({
    month: String(r.month),
    wardCode: r.ward_code === null || r.city === true || r.city === 't' ? null : String(r.ward_code),
    city: r.city === true || r.city === 't',
    opened: Number(r.opened),
    answered: Number(r.answered),
    medianFirstResponseMinutes: r.median === null || r.median === undefined ? null : Math.round(Number(r.median) * 10) / 10,
    closed: Number(r.closed),
    alerted: Number(r.alerted),
    flagged: Number(r.flagged),
    ratedUp: Number(r.up),
    ratedDown: Number(r.down),
  }));
}

// ---- the periodic job ----

export interface CounselJobReport {
  alerted: string[];
  closedEmpty: number;
}

/**
 * Tickets waiting unclaimed `unclaimedAlertMinutes` of working time since the
 * person's first message: the administrators are told (once per ticket), with
 * buttons to take it or hand it on. Tickets opened without a message close
 * after `emptyCloseMinutes`.
 */
export async function runCounselJob(q: Queryable, now: Date, content: CounselContent): Promise<CounselJobReport> {
  const report: CounselJobReport = { alerted: [], closedEmpty: 0 };
  const waiting = (
    await rows<Record<string, unknown>>(
      q,
      sql`select * from tickets where status = 'open' and owner_contact_id is null and first_message_at is not null and alerted_at is null order by id`,
    )
  ).map(fromRow);
  const admins = waiting.length ? await administrators(q) : [];
  const out: NewMessage[] = [];
  for (const t of waiting) {
    const due = new Date(nextWorkingStart(content.hours, t.firstMessageAt!).getTime() + content.unclaimedAlertMinutes * 60_000);
    if (due > now) continue;
    const head = await headParams(q, t);
    const minutes = Math.round((now.getTime() - t.firstMessageAt!.getTime()) / 60_000);
    for (const a of admins) {
      out.push({
        dedupeKey: `${ticketPrefix(t.id)}alert:${a}`,
        contactId: a,
        kind: 'counsel.alert',
        payload: payload('counsel.alert.unclaimed', { ...head, minutes, pool: t.pool === CITY_POOL ? 'city' : 'ward' }, [
          claimChoice(t.id),
          transferChoice(t.id),
        ]),
        priority: t.flaggedAt ? PRIORITY.urgent : PRIORITY.reminder,
        dueAt: now,
      });
    }
    await q.update(tickets).set({ alertedAt: now }).where(eq(tickets.id, t.id));
    report.alerted.push(ticketTag(t));
  }
  await enqueue(q, out);
  const empty = await q
    .update(tickets)
    .set({ status: 'closed', closedAt: now, closedBy: 'empty' })
    .where(
      and(
        eq(tickets.status, 'open'),
        sql`${tickets.firstMessageAt} is null`,
        sql`${tickets.openedAt} < ${new Date(now.getTime() - content.emptyCloseMinutes * 60_000).toISOString()}::timestamptz`,
      ),
    )
    .returning({ id: tickets.id });
  report.closedEmpty = empty.length;
  return report;
}

/** Every minute, once per cluster: the unclaimed alert and the closing of empty tickets. */
export const counselJob = (content: CounselContent): ClusterJob => ({
  name: 'counsel.unclaimed',
  cron: '* * * * *',
  run: (tx, now) => runCounselJob(tx, now, content),
});
