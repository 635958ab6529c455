import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { bookings, dependents, journeys, sessions } from '../db/schema.js';
import { cancelByPrefix, enqueue } from '../outbox/enqueue.js';
import { PRIORITY, type NewMessage, type OutboxPayload } from '../outbox/types.js';
import type { BookingDesk } from './bookings.js';
import { daysFromToday, formatDate, formatTime, fromLocal, localDate, localParts } from '../core/time.js';
import type { PersonPort } from './port.js';
import { encodeAction } from '../core/actions.js';
import { milestoneOf, subscriptionTallies, tally } from './tallies.js';
import { contraceptionPayload, contraceptionSlots, restartAnchor, restarts } from './contraception.js';
import { relativeParams } from './reminders.js';

/**
 * Journeys that follow a life event. One answer (a due date, a birth time, a
 * wedding month) becomes reminders at the right windows, each an outbox row
 * keyed `j:<journey>:<window>:v<version>:<slot>` and rendered at send time from
 * an i18n key and params. Changing the date bumps the version: pending rows are
 * cancelled and planned again in the same transaction. Stop, pause, "Đã làm"
 * and the loss path cancel by prefix.
 *
 * Windows, with their sources: QĐ 1807/QĐ-BYT sets the
 * first-trimester scan with nuchal translucency at 11w–13w6d and thalassemia
 * screening before 21 weeks; the triple test (15–22 w), morphology scan
 * (~20–24 w) and glucose test (24–28 w) come from hospital sources only; the
 * heel-prick sample at 24–72 h of age, ideally 48 h (QĐ 1807 Art. 9); the
 * pre-marital checkup 3–6 months before the wedding (MoH newspaper).
 */
export const JOURNEY_KINDS = ['pregnancy', 'newborn', 'premarital', 'elderly', 'contraception'] as const;
export type JourneyKind = (typeof JOURNEY_KINDS)[number];

/** A kind read back from a raw row (the table's check constraint keeps it one of these). */
export function journeyKind(v: unknown): JourneyKind {
  if (!JOURNEY_KINDS.includes(v as JourneyKind)) throw new Error(`not a journey kind: ${String(v)}`);
  return v as JourneyKind;
}
export type Journey = typeof journeys.$inferSelect;
/** A live journey, with the relative's name when it is about one. */
export type LiveJourney = Journey & { who: string | null; rel: string | null };

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Reminders go out at 09:00 Hải Phòng time: well inside the day, after the 08:00 booking reminders. */
const SEND_HOUR = 9;

/** A pregnancy window in days of gestation (day 0 = first day of the last period; due date = day 280). */
export const PREGNANCY_WINDOW_IDS = ['thal', 'nt', 'tri2', 'morph', 'gdm', 'nbs', 'born'] as const;
export type PregnancyWindowId = (typeof PREGNANCY_WINDOW_IDS)[number];
/** The windows a late joiner is told she missed (the quiet ones never are). */
export type MissableWindow = Exclude<PregnancyWindowId, 'nbs' | 'born'>;

export interface PregnancyWindow {
  id: PregnancyWindowId;
  from: number;
  to: number;
  programme: 'prenatal' | 'newborn';
  /** Only while this other window is not done (the second-trimester tests if the first were missed). */
  unlessDone?: PregnancyWindowId;
  /** One reminder only (no "still time" reminder a week before the end). */
  once?: boolean;
  /** Not reported as missed to a late joiner. */
  quiet?: boolean;
}

export const PREGNANCY_WINDOWS: readonly PregnancyWindow[] = [
  { id: 'thal', from: 70, to: 146, programme: 'prenatal' },
  { id: 'nt', from: 77, to: 97, programme: 'prenatal' },
  { id: 'tri2', from: 105, to: 160, programme: 'prenatal', unlessDone: 'nt' },
  { id: 'morph', from: 140, to: 174, programme: 'prenatal' },
  { id: 'gdm', from: 168, to: 202, programme: 'prenatal' },
  { id: 'nbs', from: 252, to: 279, programme: 'newborn', once: true, quiet: true },
  { id: 'born', from: 273, to: 294, programme: 'newborn', quiet: true },
];

/** Days of gestation the bot accepts: from 4 weeks to 42 weeks. */
export const MIN_GA = 28;
export const MAX_GA = 294;

/** Local midnight of a calendar day. */
export const localDay = (y: number, m: number, d: number) => fromLocal(y, m, d);

/** Days of gestation today for this due date (the due date is day 280). */
export function gestationDays(due: Date, now: Date): number {
  return 280 - daysFromToday(now, due);
}

/** "14 tuần 2 ngày" as numbers. */
export const weekOf = (days: number) => ({ weeks: Math.floor(days / 7), days: days % 7 });

/** The due date from the first day of the last period, or from the current week. */
export const dueFromLmp = (lmp: { y: number; m: number; d: number }) => localDay(lmp.y, lmp.m, lmp.d + 280);
export function dueFromWeek(weeks: number, days: number, now: Date): Date {
  const t = localParts(now);
  return localDay(t.y, t.m, t.d + 280 - (weeks * 7 + days));
}

/** Day n of gestation at `hour` local. */
function gaDayAt(due: Date, n: number, hour = SEND_HOUR): Date {
  const p = localParts(due);
  return fromLocal(p.y, p.m, p.d - (280 - n), hour);
}

/** The next 09:00 local after `now` (today's if still ahead). */
function nextSendTime(now: Date): Date {
  const p = localParts(now);
  const today = fromLocal(p.y, p.m, p.d, SEND_HOUR);
  return today > now ? today : fromLocal(p.y, p.m, p.d + 1, SEND_HOUR);
}

export const journeyPrefix = (id: number) => `j:${id}:`;
export const windowPrefix = (id: number, win: string) => `j:${id}:${win}:`;
export const journeyKey = (id: number, win: string, version: number, slot: string) => `j:${id}:${win}:v${version}:${slot}`;
const KEY = /^j:(\d+):([a-z0-9]+):v(\d+):([a-z0-9-]+)$/;
export function parseJourneyKey(key: string): { id: number; win: string; version: number; slot: string } | null {
  const m = KEY.exec(key);
  return m ? { id: Number(m[1]), win: m[2]!, version: Number(m[3]), slot: m[4]! } : null;
}

/** One planned reminder, before its words. */
export interface PlannedSlot {
  win: string;
  slot: string;
  dueAt: Date;
  programme: string;
  /** Sessions offered are those from the reminder until here. */
  until: Date;
  params?: Record<string, string | number>;
  /** Planned at "now" for someone joining inside a window: the doctor never re-queues these (a cleaned-up sent row would go twice). */
  catchUp?: boolean;
  /** Queued ahead of need (a contraception journey's second next reminder): the doctor expects only the next one. */
  ahead?: boolean;
}

/** Windows already over for a late joiner (what she may have missed), by id. */
export function missedWindows(due: Date, now: Date, done: Record<string, string> = {}): MissableWindow[] {
  const ga = gestationDays(due, now);
  const missable = (id: PregnancyWindowId): id is MissableWindow => id !== 'nbs' && id !== 'born';
  return PREGNANCY_WINDOWS.filter((w) => !w.quiet && w.to < ga && !done[w.id] && !(w.unlessDone && done[w.unlessDone])).map((w) => w.id).filter(missable);
}

/** The pregnancy's reminders still to come: each window's opening and, for long ones, a "still time" a week before it ends. */
export function pregnancySlots(due: Date, now: Date, done: Record<string, string>): PlannedSlot[] {
  const out: PlannedSlot[] = [];
  for (const w of PREGNANCY_WINDOWS) {
    if (done[w.id] || (w.unlessDone && done[w.unlessDone])) continue;
    const end = gaDayAt(due, w.to + 1, 0);
    const until = end;
    const open = gaDayAt(due, w.from);
    const late = !w.once && w.to - w.from >= 14 ? gaDayAt(due, w.to - 7) : null;
    let first = open > now ? open : null;
    let catchUp = false;
    // Joined inside the window: the next morning's reminder, unless the "still time" one is as near.
    if (!first && now < end) {
      const next = nextSendTime(now);
      if (next < end && (!late || late <= now || late.getTime() - next.getTime() > 3 * DAY)) [first, catchUp] = [next, true];
    }
    const week = (at: Date) => weekOf(gestationDays(due, at)).weeks;
    if (first) out.push({ win: w.id, slot: 'open', dueAt: first, programme: w.programme, until, params: { week: week(first) }, ...(catchUp ? { catchUp } : {}) });
    if (late && late > now) out.push({ win: w.id, slot: 'late', dueAt: late, programme: w.programme, until, params: { week: week(late) } });
  }
  return out;
}

/** The newborn's reminders: the heel-prick window opening at 24 h, "was it done?" after 72 h, the results at two weeks. */
export function newbornSlots(birth: Date, now: Date, done: Record<string, string>): PlannedSlot[] {
  const p = localParts(birth);
  const plan: PlannedSlot[] = [
    { win: 'heel', slot: 'open', dueAt: new Date(birth.getTime() + 24 * HOUR), programme: 'newborn', until: new Date(birth.getTime() + 72 * HOUR) },
    { win: 'check', slot: 'open', dueAt: fromLocal(p.y, p.m, p.d + 4, SEND_HOUR), programme: 'newborn', until: fromLocal(p.y, p.m, p.d + 14) },
    { win: 'result', slot: 'open', dueAt: fromLocal(p.y, p.m, p.d + 14, SEND_HOUR), programme: 'newborn', until: fromLocal(p.y, p.m, p.d + 28) },
  ];
  return plan.filter((s) => s.dueAt > now && !done[s.win] && !(s.win === 'heel' && done.check));
}

/** Before the wedding: the checkup suggested 3–6 months before; reminded 6 months and 3 months before. */
export function premaritalSlots(month: Date, now: Date, done: Record<string, string>): PlannedSlot[] {
  if (done.pm) return [];
  const p = localParts(month);
  const six = fromLocal(p.y, p.m - 6, 1, SEND_HOUR);
  const three = fromLocal(p.y, p.m - 3, 1, SEND_HOUR);
  const out: PlannedSlot[] = [];
  const first = six > now ? six : now < three && three.getTime() - now.getTime() > 7 * DAY ? nextSendTime(now) : null;
  const months = (at: Date) => ({ months: Math.max(1, monthsBetween(at, month)) });
  if (first) out.push({ win: 'pm', slot: 'open', dueAt: first, programme: 'premarital', until: month, params: months(first), ...(first === six ? {} : { catchUp: true }) });
  if (three > now) out.push({ win: 'pm', slot: 'late', dueAt: three, programme: 'premarital', until: month, params: months(three) });
  else if (!first && month > now) {
    const soon = nextSendTime(now);
    out.push({ win: 'pm', slot: 'soon', dueAt: soon, programme: 'premarital', until: month, params: months(soon), catchUp: true });
  }
  return out;
}

/** When a journey has nothing more to say (elderly: never). */
export function journeyEnds(j: Pick<Journey, 'kind' | 'anchorAt'>): Date | null {
  if (!j.anchorAt) return null;
  const p = localParts(j.anchorAt);
  switch (j.kind) {
    case 'pregnancy':
      return fromLocal(p.y, p.m, p.d + 15);
    case 'newborn':
      return fromLocal(p.y, p.m, p.d + 15);
    case 'premarital':
      return fromLocal(p.y, p.m + 1, 1);
    default:
      return null;
  }
}

export function slotsFor(j: Pick<Journey, 'kind' | 'anchorAt' | 'marks' | 'plan'>, now: Date): PlannedSlot[] {
  if (!j.anchorAt) return [];
  switch (j.kind) {
    case 'pregnancy':
      return pregnancySlots(j.anchorAt, now, j.marks);
    case 'newborn':
      return newbornSlots(j.anchorAt, now, j.marks);
    case 'premarital':
      return premaritalSlots(j.anchorAt, now, j.marks);
    case 'contraception':
      return contraceptionSlots(j.anchorAt, j.plan, now, j.marks);
    default:
      return [];
  }
}

/** The buttons of a journey reminder. */
export function reminderChoices(id: number, kind: string, win: string): NonNullable<OutboxPayload['choices']> {
  const stop = { key: 'journeys.btn.stop', value: encodeAction({ type: 'journeyStopMenu', journey: id }) };
  if (win === 'born') return [{ key: 'journeys.btn.born', value: encodeAction({ type: 'journeyNewborn', fromPregnancy: id }) }, { key: 'journeys.btn.notYet', value: encodeAction({ type: 'journeyNotYet', journey: id }) }, stop];
  if (kind === 'newborn' && win === 'check') return [{ key: 'journeys.btn.done', value: encodeAction({ type: 'journeyDone', journey: id, window: 'check' }) }, { key: 'journeys.btn.notDone', value: encodeAction({ type: 'journeyNotDone', journey: id }) }, stop];
  if (kind === 'newborn' && win === 'result') return [stop];
  if (kind === 'elderly') win = 'checkup';
  return [{ key: 'journeys.btn.done', value: encodeAction({ type: 'journeyDone', journey: id, window: win }) }, { key: 'journeys.btn.snooze', value: encodeAction({ type: 'journeySnooze', journey: id, window: win }) }, stop];
}

/** Where to go: the ward's upcoming sessions of that programme until `until`, or its health station. */
export async function whereParams(q: Queryable, programme: string, wardCode: string | null, from: Date, until: Date): Promise<{ params: Record<string, string>; sessions: (typeof sessions.$inferSelect)[] }> {
  if (!wardCode) return { params: { whereKind: 'none' }, sessions: [] as (typeof sessions.$inferSelect)[] };
  const [ward] = await rows<{ name: string }>(q, sql`select name from wards where code = ${wardCode}`);
  const list = await q
    .select()
    .from(sessions)
    .where(and(eq(sessions.programme, programme), eq(sessions.wardCode, wardCode), eq(sessions.status, 'scheduled'), gt(sessions.startsAt, from), lt(sessions.startsAt, until)))
    .orderBy(asc(sessions.startsAt))
    .limit(3);
  const ward$ = ward?.name ?? '';
  if (!list.length) return { params: { whereKind: 'station', ward: ward$ }, sessions: list };
  const lines = list.map((s) => `• ${formatDate(s.startsAt)} ${formatTime(s.startsAt)}, ${s.placeName}, ${s.placeAddress}`).join('\n');
  return { params: { whereKind: 'sessions', ward: ward$, sessions: lines }, sessions: list };
}

/** The programme whose sessions a window's reminder offers. */
export const programmeOf = (kind: string, win: string) =>
  kind === 'contraception'
    ? 'familyplanning'
    : kind === 'premarital'
      ? 'premarital'
      : kind === 'elderly'
        ? 'elderly'
        : kind === 'newborn' || win === 'nbs' || win === 'born'
          ? 'newborn'
          : 'prenatal';

/** Until when a reminder sent at `dueAt` offers sessions: the pregnancy window's end, else a month on. */
export function windowUntil(j: Pick<Journey, 'kind' | 'anchorAt'>, win: string, dueAt: Date): Date {
  const w = PREGNANCY_WINDOWS.find((x) => x.id === win);
  const until = j.kind === 'pregnancy' && j.anchorAt && w ? gaDayAt(j.anchorAt, w.to + 1, 0) : j.kind === 'premarital' && j.anchorAt ? j.anchorAt : new Date(dueAt.getTime() + 30 * DAY);
  return until > dueAt ? until : new Date(dueAt.getTime() + 14 * DAY);
}

/** `days` after a day's local midnight. */
const gaDayAtOffset = (anchor: Date, days: number) => {
  const p = localParts(anchor);
  return fromLocal(p.y, p.m, p.d + days);
};

/** The first words of a reminder: its opening, "still time", a snoozed one again, the wedding close. */
const leadOf = (slot: string) => (slot === 'late' ? 'late' : slot === 'soon' ? 'soon' : slot.startsWith('z') ? 'again' : 'open');

/** Whole months from one instant's month to another's. */
export const monthsBetween = (a: Date, b: Date) => {
  const x = localParts(a);
  const y = localParts(b);
  return (y.y - x.y) * 12 + (y.m - x.m);
};

/** A planned slot as an outbox row, with its words and where to go. */
export async function slotMessage(q: Queryable, j: Pick<Journey, 'id' | 'contactId' | 'kind' | 'version' | 'wardCode' | 'anchorAt' | 'plan'>, s: PlannedSlot, extra: Record<string, string | number> = {}): Promise<NewMessage> {
  if (j.kind === 'contraception') return contraceptionMessage(q, j, s);
  const where = await whereParams(q, s.programme, j.wardCode, s.dueAt, s.until);
  const first = where.sessions[0];
  const choices = reminderChoices(j.id, j.kind, s.win);
  if (first && s.win !== 'born' && s.win !== 'result') choices.splice(choices.length - 1, 0, { key: 'journeys.btn.book', value: encodeAction({ type: 'book', session: first.id }), params: { date: formatDate(first.startsAt) } });
  return {
    dedupeKey: journeyKey(j.id, s.win, j.version, s.slot),
    contactId: j.contactId,
    kind: `journey.${j.kind}`,
    payload: { key: `journeys.msg.${j.kind}.${s.win}`, params: { ...where.params, ...s.params, ...extra, lead: leadOf(s.slot) }, choices },
    priority: PRIORITY.reminder,
    dueAt: s.dueAt,
  };
}

/**
 * A contraception reminder: discreet (no method, no "tránh thai", nothing of
 * where to go) unless the person turned discretion off; then its details and
 * the ward's family-planning sessions, as the other journeys' reminders.
 */
async function contraceptionMessage(q: Queryable, j: Pick<Journey, 'id' | 'contactId' | 'kind' | 'version' | 'wardCode' | 'anchorAt' | 'plan'>, s: PlannedSlot): Promise<NewMessage> {
  const { discreet, ...payload } = contraceptionPayload(j, s);
  payload.params = { ...payload.params, lead: leadOf(s.slot) };
  if (!discreet) {
    const where = await whereParams(q, s.programme, j.wardCode, s.dueAt, s.until);
    payload.params = { ...where.params, ...payload.params };
    const first = where.sessions[0];
    if (first) payload.choices!.splice(payload.choices!.length - 1, 0, { key: 'journeys.btn.book', value: encodeAction({ type: 'book', session: first.id }), params: { date: formatDate(first.startsAt) } });
  }
  return { dedupeKey: journeyKey(j.id, s.win, j.version, s.slot), contactId: j.contactId, kind: `journey.${j.kind}`, payload, priority: PRIORITY.reminder, dueAt: s.dueAt };
}

/** The outbox rows a journey should have now (`repair`: what the doctor expects, without catch-ups and reminders queued ahead). */
export async function journeyMessages(q: Queryable, j: Journey, now: Date, repair = false): Promise<NewMessage[]> {
  if (j.status !== 'active') return [];
  const out: NewMessage[] = [];
  for (const s of slotsFor(j, now)) if (!(repair && (s.catchUp || s.ahead))) out.push(await slotMessage(q, j, s));
  return out;
}

/** Plans (again) what a journey should send: pending rows of other versions go, the current plan is queued. */
async function replan(q: Queryable, j: Journey, now: Date): Promise<number> {
  await cancelByPrefix(q, journeyPrefix(j.id));
  return enqueue(q, await journeyMessages(q, j, now));
}

export type StartResult = { journey: Journey; queued: number; missed: MissableWindow[]; changed: boolean };

/**
 * A person's journeys, for one update (Person.journeys). Every change to a
 * journey and to its outbox rows happens in the update's transaction.
 */
export class JourneyDesk {
  constructor(
    private readonly p: PersonPort,
    private readonly bookingDesk: () => BookingDesk,
  ) {}

  /** Live journeys (active or paused), oldest first. */
  async live(): Promise<LiveJourney[]> {
    const c = this.p.contact();
    if (!c) return [];
    const list = await this.p.read
      .select({ j: journeys, who: dependents.name, rel: dependents.relationship })
      .from(journeys)
      .leftJoin(dependents, eq(dependents.id, journeys.dependentId))
      .where(and(eq(journeys.contactId, c.id), inArray(journeys.status, ['active', 'paused'])))
      .orderBy(asc(journeys.id));
    return list.map((r) => ({ ...r.j, who: r.who, rel: r.rel }));
  }

  /** Live journeys that still have something to say (for /lich). */
  async current(): Promise<LiveJourney[]> {
    return (await this.live()).filter((j) => {
      const ends = journeyEnds(j);
      return !ends || ends > this.p.now;
    });
  }

  async get(id: number): Promise<Journey | null> {
    const c = this.p.contact();
    if (!c || !Number.isInteger(id)) return null;
    const [j] = await this.p.read.select().from(journeys).where(and(eq(journeys.id, id), eq(journeys.contactId, c.id))).limit(1);
    return j ?? null;
  }

  /** The ward's upcoming sessions of a programme, one line each ("• 10/12 7:30, Trạm Y tế …"), the next 90 days. */
  async sessionLines(programme: string, wardCode: string): Promise<string[]> {
    const w = await whereParams(this.p.read, programme, wardCode, this.p.now, new Date(this.p.now.getTime() + 90 * DAY));
    return w.params.sessions ? w.params.sessions.split('\n') : [];
  }

  /** Any live journey about a pregnancy or a baby (the loss path's concern). */
  async hasPregnancyOrBaby(): Promise<boolean> {
    return (await this.live()).some((j) => j.kind === 'pregnancy' || j.kind === 'newborn');
  }

  /**
   * Starts a journey, or changes the date of the live one of that kind (a new
   * version: pending reminders are dropped and planned again here).
   */
  async start(kind: Exclude<JourneyKind, 'elderly'>, anchorAt: Date | null, wardCode: string | null, plan?: Journey['plan']): Promise<StartResult> {
    const c = await this.p.ensure();
    const w = this.p.write();
    const now = this.p.now;
    const existing = (await this.live()).find((j) => j.kind === kind && j.dependentId === null);
    let journey: Journey;
    if (existing) {
      const [row] = await w
        .update(journeys)
        .set({ anchorAt, wardCode: wardCode ?? existing.wardCode, ...(plan ? { plan, marks: {} } : {}), status: 'active', version: sql`${journeys.version} + 1`, updatedAt: now })
        .where(eq(journeys.id, existing.id))
        .returning();
      journey = row!;
    } else {
      const [row] = await w.insert(journeys).values({ contactId: c.id, kind, anchorAt, wardCode, ...(plan ? { plan } : {}), createdAt: now, updatedAt: now }).returning();
      journey = row!;
    }
    const queued = await replan(w, journey, now);
    await this.p.audit(existing ? 'journey.change' : 'journey.start', `journey:${journey.id}`, { kind });
    const missed = kind === 'pregnancy' && anchorAt ? missedWindows(anchorAt, now, journey.marks) : [];
    return { journey, queued, missed, changed: Boolean(existing) };
  }

  /** "Đã làm": that window's reminders end (the first-trimester tests done, the second-trimester ones are not needed). */
  async markDone(id: number, win: string): Promise<Journey | null> {
    const j = await this.get(id);
    if (!j || j.status === 'ended') return null;
    const w = this.p.write();
    const marks = { ...j.marks, [win]: this.p.now.toISOString() };
    const milestone = milestoneOf(j.kind, win, j.marks);
    if (milestone) await tally(w, [{ day: localDate(this.p.now), wardCode: j.wardCode, programme: programmeOf(j.kind, win), metric: milestone, delta: 1 }]);
    // An injection given, a new pack, a device replaced: the cycle starts again from that day.
    if (j.kind === 'contraception' && restarts(win)) return this.restart(j, win);
    const [row] = await w.update(journeys).set({ marks, updatedAt: this.p.now }).where(eq(journeys.id, id)).returning();
    await cancelByPrefix(w, windowPrefix(id, win));
    for (const pw of PREGNANCY_WINDOWS) if (pw.unlessDone === win) await cancelByPrefix(w, windowPrefix(id, pw.id));
    if (j.kind === 'newborn' && win === 'check') await cancelByPrefix(w, windowPrefix(id, 'heel'));
    return row ?? null;
  }

  /** A contraception cycle restarted by "Đã tiêm" / "Đã làm": a new anchor, a new version, its reminders planned again. */
  private async restart(j: Journey, win: string): Promise<Journey> {
    const w = this.p.write();
    const anchorAt = j.anchorAt ? restartAnchor(j.anchorAt, j.plan, win, this.p.now) : this.p.now;
    const [row] = await w.update(journeys).set({ anchorAt, marks: {}, version: sql`${journeys.version} + 1`, updatedAt: this.p.now }).where(eq(journeys.id, j.id)).returning();
    await replan(w, row!, this.p.now);
    await this.p.audit('journey.restart', `journey:${j.id}`, { kind: j.kind, window: win });
    return row!;
  }

  /** A contraception reminder's details with the method named (the reply to "Xem chi tiết", in chat): its words, where to go, its buttons. */
  async details(id: number, win: string): Promise<{ journey: Journey; key: string; params: Record<string, string | number>; choices: NonNullable<OutboxPayload['choices']> } | null> {
    const j = await this.get(id);
    if (!j?.anchorAt || j.kind !== 'contraception' || j.status === 'ended') return null;
    const now = this.p.now;
    const slot = win === 'inj' ? (gaDayAtOffset(j.anchorAt, 84) > now ? 'd77' : 'd84') : 'open';
    const m = await contraceptionMessage(this.p.read, { ...j, plan: { ...j.plan, discreet: false } }, { win, slot, dueAt: now, programme: 'familyplanning', until: new Date(now.getTime() + 45 * DAY) });
    return { journey: j, key: m.payload.key, params: m.payload.params ?? {}, choices: m.payload.choices ?? [] };
  }

  /** Discretion of a contraception journey's reminders on or off: the pending ones are queued again in the new words. */
  async setDiscreet(id: number, on: boolean): Promise<Journey | null> {
    const j = await this.get(id);
    if (j?.kind !== 'contraception' || j.status === 'ended') return null;
    const w = this.p.write();
    const [row] = await w
      .update(journeys)
      .set({ plan: { ...j.plan, discreet: on }, version: sql`${journeys.version} + 1`, updatedAt: this.p.now })
      .where(eq(journeys.id, id))
      .returning();
    if (row!.status === 'active') await replan(w, row!, this.p.now);
    await this.p.audit('journey.discreet', `journey:${id}`, { on });
    return row!;
  }

  /** "Nhắc lại sau 3 ngày": the same window's reminder again, three days on at 09:00. */
  async snooze(id: number, win: string): Promise<Date | null> {
    const j = await this.get(id);
    if (j?.status !== 'active' || j.marks[win]) return null;
    const p = localParts(this.p.now);
    const dueAt = fromLocal(p.y, p.m, p.d + 3, SEND_HOUR);
    const slot = `z${p.y}${String(p.m).padStart(2, '0')}${String(p.d).padStart(2, '0')}`;
    const w = this.p.write();
    const programme = programmeOf(j.kind, win);
    const params: Record<string, string | number> = {};
    if (j.kind === 'pregnancy' && j.anchorAt) params.week = weekOf(gestationDays(j.anchorAt, dueAt)).weeks;
    if (j.kind === 'elderly') Object.assign(params, await subjectParams(w, j));
    if (j.kind === 'premarital' && j.anchorAt) params.months = Math.max(1, monthsBetween(dueAt, j.anchorAt));
    const key = j.kind === 'elderly' ? 'journeys.msg.elderly.checkup' : undefined;
    const m = await slotMessage(w, j, { win, slot, dueAt, programme, until: windowUntil(j, win, dueAt), params });
    if (key) m.payload.key = key;
    await enqueue(w, [m]);
    return dueAt;
  }

  async pause(id: number): Promise<Journey | null> {
    const j = await this.get(id);
    if (j?.status !== 'active') return null;
    const w = this.p.write();
    const [row] = await w.update(journeys).set({ status: 'paused', updatedAt: this.p.now }).where(eq(journeys.id, id)).returning();
    await cancelByPrefix(w, journeyPrefix(id));
    await this.p.audit('journey.pause', `journey:${id}`);
    return row ?? null;
  }

  /** Back from a pause: only what is still ahead is planned. */
  async resume(id: number): Promise<Journey | null> {
    const j = await this.get(id);
    if (j?.status !== 'paused') return null;
    const w = this.p.write();
    const [row] = await w.update(journeys).set({ status: 'active', version: sql`${journeys.version} + 1`, updatedAt: this.p.now }).where(eq(journeys.id, id)).returning();
    await replan(w, row!, this.p.now);
    await this.p.audit('journey.resume', `journey:${id}`);
    return row ?? null;
  }

  /** Ends a journey; its pending reminders go. */
  async stop(id: number, reason = 'stopped'): Promise<Journey | null> {
    const j = await this.get(id);
    if (!j || j.status === 'ended') return null;
    return this.end(j, reason);
  }

  private async end(j: Journey, reason: string): Promise<Journey> {
    const w = this.p.write();
    const [row] = await w.update(journeys).set({ status: 'ended', endedAt: this.p.now, endReason: reason, updatedAt: this.p.now }).where(eq(journeys.id, j.id)).returning();
    await cancelByPrefix(w, journeyPrefix(j.id));
    await this.p.audit('journey.end', `journey:${j.id}`, { kind: j.kind, reason });
    return row!;
  }

  /** Stop (/huy): every live journey ends with the opt-out; /batlai brings them back. Returns those that ended. */
  async endAll(reason: string): Promise<LiveJourney[]> {
    const live = await this.live();
    for (const j of live) await this.end(j, reason);
    return live;
  }

  /** Journeys the stop at `stoppedAt` ended that a resume would bring back (none of their kind live since). */
  async endedSince(stoppedAt: Date): Promise<LiveJourney[]> {
    const c = this.p.contact();
    if (!c) return [];
    const ended = await this.p.read
      .select({ j: journeys, who: dependents.name, rel: dependents.relationship })
      .from(journeys)
      .leftJoin(dependents, eq(dependents.id, journeys.dependentId))
      .where(and(eq(journeys.contactId, c.id), eq(journeys.status, 'ended'), eq(journeys.endReason, 'optout'), sql`${journeys.endedAt} >= ${stoppedAt.toISOString()}::timestamptz`))
      .orderBy(asc(journeys.id));
    const live = await this.live();
    return ended.map((r) => ({ ...r.j, who: r.who, rel: r.rel })).filter((j) => !live.some((l) => l.kind === j.kind && l.dependentId === j.dependentId));
  }

  /** After /batlai: journeys the last stop ended come back, planned from now. Returns those that came back. */
  async resumeEndedSince(stoppedAt: Date): Promise<LiveJourney[]> {
    const back = await this.endedSince(stoppedAt);
    const w = this.p.write();
    for (const j of back) {
      const [row] = await w
        .update(journeys)
        .set({ status: 'active', endedAt: null, endReason: null, version: sql`${journeys.version} + 1`, updatedAt: this.p.now })
        .where(eq(journeys.id, j.id))
        .returning();
      await replan(w, row!, this.p.now);
    }
    return back;
  }

  /**
   * The loss path: every pregnancy and newborn journey ends at once, the
   * prenatal and newborn subscriptions end, and every pending message about a
   * pregnancy or a baby (invitations, booking reminders) is cancelled, so
   * nothing about them is sent again unless she starts a new journey herself.
   */
  async loss(): Promise<number> {
    const c = this.p.contact();
    if (!c) return 0;
    const w = this.p.write();
    const live = (await this.live()).filter((j) => j.kind === 'pregnancy' || j.kind === 'newborn');
    for (const j of live) await this.end(j, 'loss');
    const PROGRAMMES = ['prenatal', 'newborn'];
    const ended = await rows<{ programme: string; ward_code: string | null }>(
      w,
      sql`update subscriptions set ended_at = ${this.p.now.toISOString()}::timestamptz
          where contact_id = ${c.id} and ended_at is null and programme in ('prenatal', 'newborn')
          returning programme, ward_code`,
    );
    await tally(w, subscriptionTallies(ended.map((e) => ({ programme: e.programme, wardCode: e.ward_code })), 'subscribers.stopped', this.p.now));
    const held = await w
      .select({ id: bookings.id })
      .from(bookings)
      .innerJoin(sessions, eq(sessions.id, bookings.sessionId))
      .where(and(eq(bookings.contactId, c.id), eq(bookings.status, 'booked'), inArray(sessions.programme, PROGRAMMES)));
    for (const b of held) await this.bookingDesk().cancel(b.id);
    await w.execute(
      sql`update outbox set status = 'cancelled'
          where contact_id = ${c.id} and status = 'pending'
            and (payload->'params'->>'programme' in ('prenatal', 'newborn') or kind in ('journey.pregnancy', 'journey.newborn'))`,
    );
    return live.length;
  }
}

/** The elderly person a yearly reminder is about: nobody (themselves) or a relative by name. */
async function subjectParams(q: Queryable, j: Pick<Journey, 'dependentId'>): Promise<Record<string, string>> {
  if (!j.dependentId) return {};
  const [d] = await rows<{ name: string; relationship: string }>(q, sql`select name, relationship from dependents where id = ${j.dependentId}`);
  return relativeParams(d?.name, d?.relationship);
}

export { subjectParams };
