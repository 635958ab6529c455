import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { and, asc, count, desc, eq, gt, gte, inArray, lt, lte, ne, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { loadContent } from '../core/content.js';
import { fold } from '../core/text.js';
import { fromLocal, localParts } from '../core/time.js';
import { rows, type Queryable } from '../db/client.js';
import { auditLog, bookings, contacts, dependents, sessions, wardDenominators } from '../db/schema.js';
import type { BookingLine, Session } from './sessions.js';

/**
 * The figures the console shows and their rules: the city's targets
 * (content/targets/<year>.yaml), the wards' denominators, the indicators per
 * ward × programme × period built from the anonymous tallies (tallies.ts), and
 * the small-cell rule. Who may read or change what is decided in staff.ts.
 */

// ---- targets ----

/**
 * Programmes the figures are kept for: the four with city coverage targets,
 * family planning (its "Đã làm" on contraception reminders count as one column
 * of milestones, never by method), and campaign news.
 */
export const REPORT_PROGRAMMES = ['premarital', 'prenatal', 'newborn', 'elderly', 'familyplanning', 'campaigns'] as const;
export type ReportProgramme = (typeof REPORT_PROGRAMMES)[number];
export const TARGET_PROGRAMMES = ['premarital', 'prenatal', 'newborn', 'elderly'] as const;
export type TargetProgramme = (typeof TARGET_PROGRAMMES)[number];
/** What a ward's station counts each year: couples registering marriage, births, residents aged 60+. */
export const DENOMINATOR_KINDS = ['marriages', 'births', 'elderly'] as const;
export type DenominatorKind = (typeof DENOMINATOR_KINDS)[number];
export const isDenominatorKind = (v: unknown): v is DenominatorKind => DENOMINATOR_KINDS.includes(v as DenominatorKind);

const ProgrammeTarget = z.object({
  /** The city's percentage for the year. */
  target: z.number().min(0).max(100),
  /** The indicator's words in the plan. */
  indicator: z.string().min(3),
  denominator: z.enum(DENOMINATOR_KINDS),
  /** People per denominator unit (a couple registering marriage is two people to counsel). */
  perUnit: z.number().positive().default(1),
  /** What counts as done: people who attended, walk-ins, and/or journey milestones marked "Đã làm". */
  numerator: z.array(z.string().regex(/^(attended|walkins|milestone\.[a-z0-9]+)$/)).min(1),
});
/**
 * A target the plan sets as a number of people for the whole city, not as a
 * share of a ward's denominator (family planning: "Tổng số người mới thực hiện
 * biện pháp tránh thai hiện đại: 90.000 người"). The console states it with its
 * source; nothing the bot counts measures it, so no coverage is computed.
 */
const CountTarget = z.object({
  count: z.number().int().positive(),
  indicator: z.string().min(3),
});
const TargetFile = z.object({
  year: z.number().int().min(2000).max(2100),
  source: z.string().min(3),
  note: z.string().optional(),
  programmes: z.object({ premarital: ProgrammeTarget, prenatal: ProgrammeTarget, newborn: ProgrammeTarget, elderly: ProgrammeTarget }),
  counts: z.object({ familyplanning: CountTarget.optional() }).optional(),
});
export type Targets = z.infer<typeof TargetFile>;
export type ProgrammeTargets = z.infer<typeof ProgrammeTarget>;
export type CountTargets = z.infer<typeof CountTarget>;

/** content/targets/<year>.yaml, each checked; a file's year must match its name. */
export function loadTargets(dir = join(contentDir, 'targets')): Map<number, Targets> {
  const out = new Map<number, Targets>();
  for (const file of readdirSync(dir).filter((f) => /^\d{4}\.ya?ml$/.test(f))) {
    const t = loadContent(join(dir, file), TargetFile);
    if (String(t.year) !== file.slice(0, 4)) throw new Error(`${join(dir, file)}: year ${t.year} does not match the file name`);
    out.set(t.year, t);
  }
  return out;
}

// ---- denominators ----

export type Denominators = Map<string, Partial<Record<DenominatorKind, number>>>;

export async function denominatorsOf(q: Queryable, year: number, wardCodes?: readonly string[] | null): Promise<Denominators> {
  const where = [eq(wardDenominators.year, year)];
  if (wardCodes) where.push(wardCodes.length ? inArray(wardDenominators.wardCode, [...wardCodes]) : sql`false`);
  const list = await q.select().from(wardDenominators).where(and(...where));
  const out: Denominators = new Map();
  for (const r of list) if (isDenominatorKind(r.kind)) out.set(r.wardCode, { ...out.get(r.wardCode), [r.kind]: r.value });
  return out;
}

/** Sets (a number) or clears (null) a ward's denominators for a year. */
export async function setDenominators(q: Queryable, wardCode: string, year: number, values: Partial<Record<DenominatorKind, number | null>>, by: number | null, now: Date): Promise<void> {
  for (const kind of DENOMINATOR_KINDS) {
    if (!(kind in values)) continue;
    const value = values[kind];
    if (value === null || value === undefined) {
      await q.delete(wardDenominators).where(and(eq(wardDenominators.wardCode, wardCode), eq(wardDenominators.year, year), eq(wardDenominators.kind, kind)));
    } else {
      await q
        .insert(wardDenominators)
        .values({ wardCode, year, kind, value, updatedBy: by, updatedAt: now })
        .onConflictDoUpdate({ target: [wardDenominators.wardCode, wardDenominators.year, wardDenominators.kind], set: { value, updatedBy: by, updatedAt: now } });
    }
  }
}

// ---- indicators ----

export type Grain = 'month' | 'quarter' | 'year';
export const GRAINS: readonly Grain[] = ['month', 'quarter', 'year'];

/** The columns of every indicator table and CSV, in order. */
export const COLUMNS = [
  'subscribersNew',
  'subscribersActive',
  'subscribersStopped',
  'invitations',
  'bookings',
  'attended',
  'noShow',
  'walkIns',
  'milestones',
  'remindersSent',
  'remindersFailed',
  'broadcastReach',
  'examined',
] as const;
export type Column = (typeof COLUMNS)[number];

/** A tally summed by ward, programme, metric and local month (1-12). */
export interface MonthTally {
  wardCode: string;
  programme: string;
  metric: string;
  month: number;
  n: number;
}

/** Sums of one year's tallies by month, and each ward and programme's active subscribers before it. */
export async function loadYear(q: Queryable, year: number): Promise<{ months: MonthTally[]; opening: Map<string, number> }> {
  const from = `${year}-01-01`;
  const to = `${year + 1}-01-01`;
  const months = await rows<{ ward_code: string; programme: string; metric: string; month: number; n: string | number }>(
    q,
    sql`select ward_code, programme, metric, extract(month from day)::int as month, sum(count)::bigint as n
        from tallies where day >= ${from}::date and day < ${to}::date
        group by 1, 2, 3, 4`,
  );
  const opening = await rows<{ ward_code: string; programme: string; n: string | number }>(
    q,
    sql`select ward_code, programme, sum(case when metric = 'subscribers.started' then count else -count end)::bigint as n
        from tallies where day < ${from}::date and metric in ('subscribers.started', 'subscribers.stopped')
        group by 1, 2`,
  );
  return {
    months: months.map((r) => ({ wardCode: r.ward_code, programme: r.programme, metric: r.metric, month: Number(r.month), n: Number(r.n) })),
    opening: new Map(opening.map((r) => [`${r.ward_code}|${r.programme}`, Number(r.n)])),
  };
}

export interface Period {
  /** 2026-03, 2026-Q1, 2026 */
  key: string;
  grain: Grain;
  /** Its months, 1-12. */
  from: number;
  to: number;
}

/** The periods of a year at a grain, up to `lastMonth` (the current month of the current year; 12 for a past year). */
export function periodsOf(year: number, grain: Grain, lastMonth: number): Period[] {
  if (lastMonth < 1) return [];
  if (grain === 'year') return [{ key: String(year), grain, from: 1, to: lastMonth }];
  if (grain === 'quarter') {
    const out: Period[] = [];
    for (let q = 1; (q - 1) * 3 + 1 <= lastMonth; q++) out.push({ key: `${year}-Q${q}`, grain, from: (q - 1) * 3 + 1, to: Math.min(q * 3, lastMonth) });
    return out;
  }
  return Array.from({ length: lastMonth }, (_, i) => ({ key: `${year}-${String(i + 1).padStart(2, '0')}`, grain, from: i + 1, to: i + 1 }));
}

/** Months of `year` that have begun by `now` (Hải Phòng time): 12 for a past year, 0 for a future one. */
export function monthsBegun(year: number, now: Date): number {
  const p = localParts(now);
  return year < p.y ? 12 : year > p.y ? 0 : p.m;
}

export interface IndicatorRow {
  period: Period;
  /** null: the city (the sum of its wards); '' the ward was not known. */
  wardCode: string | null;
  programme: ReportProgramme;
  values: Record<Column, number>;
  /** People the year's coverage is of (denominator × perUnit), or null when no ward in the row has one. */
  denominator: number | null;
  /** Cumulative coverage, % of the year's denominator, from January to the period's end. */
  coverage: number | null;
  /** The city's target for the year, %. */
  target: number | null;
  /** City rows: how many wards have a denominator. */
  wardsWithDenominator?: number;
}

export interface IndicatorInput {
  year: number;
  grain: Grain;
  lastMonth: number;
  months: readonly MonthTally[];
  opening: ReadonlyMap<string, number>;
  /** Every ward of the city (rows are made for each, with zeros where nothing happened). */
  wardCodes: readonly string[];
  denominators: Denominators;
  targets: Targets | null;
}

type Monthly = Float64Array[]; // per column index, 13 slots (index 1-12)

const METRIC_COLUMN: Record<string, Column | undefined> = {
  'subscribers.started': 'subscribersNew',
  'subscribers.stopped': 'subscribersStopped',
  invitations: 'invitations',
  bookings: 'bookings',
  attended: 'attended',
  no_show: 'noShow',
  walkins: 'walkIns',
  'reminders.sent': 'remindersSent',
  'reminders.failed': 'remindersFailed',
  'broadcast.reach': 'broadcastReach',
};

const colIndex = new Map<Column, number>(COLUMNS.map((c, i) => [c, i]));
const emptyMonthly = (): Monthly => COLUMNS.map(() => new Float64Array(13));

/** What a programme's coverage counts as done (its target's numerator; attended and walk-ins without one). */
const numeratorOf = (programme: string, targets: Targets | null): string[] =>
  (targets?.programmes as Record<string, ProgrammeTargets | undefined> | undefined)?.[programme]?.numerator ?? ['attended', 'walkins'];

/**
 * The indicator table, pure: one row per ward × programme × period, and the
 * city's rows, each the sum of its wards' (so a quarter is the sum of its
 * months and the city the sum of its wards, by construction). Coverage is
 * cumulative over the year: people done from January to the period's end,
 * over the ward's yearly denominator (× perUnit); the city's, over the wards
 * that have one. Nothing is hidden here: `shown` applies the small-cell rule.
 */
export function buildIndicators(input: IndicatorInput): IndicatorRow[] {
  const { year, grain, lastMonth, targets } = input;
  const periods = periodsOf(year, grain, lastMonth);
  const grid = new Map<string, Monthly>();
  const cell = (ward: string, programme: string) => {
    const k = `${ward}|${programme}`;
    let m = grid.get(k);
    if (!m) grid.set(k, (m = emptyMonthly()));
    return m;
  };
  const wards = new Set(input.wardCodes);
  for (const t of input.months) {
    if (!(REPORT_PROGRAMMES as readonly string[]).includes(t.programme) || t.month < 1 || t.month > 12) continue;
    if (!wards.has(t.wardCode)) wards.add(t.wardCode);
    const m = cell(t.wardCode, t.programme);
    const column = t.metric.startsWith('milestone.') ? 'milestones' : t.metric === 'bookings.cancelled' ? 'bookings' : METRIC_COLUMN[t.metric];
    if (column) m[colIndex.get(column)!]![t.month]! += t.metric === 'bookings.cancelled' ? -t.n : t.n;
    if (numeratorOf(t.programme, targets).includes(t.metric)) m[colIndex.get('examined')!]![t.month]! += t.n;
  }
  for (const k of input.opening.keys()) wards.add(k.split('|')[0]!);

  const out: IndicatorRow[] = [];
  const cityTotals = new Map<string, { values: Record<Column, number>; examinedCum: number; denominator: number; wardsWith: number }>();
  const wardList = [...wards].sort();
  for (const programme of REPORT_PROGRAMMES) {
    const pt = (targets?.programmes as Record<string, ProgrammeTargets | undefined> | undefined)?.[programme] ?? null;
    for (const ward of wardList) {
      const m = grid.get(`${ward}|${programme}`) ?? emptyMonthly();
      const opening = input.opening.get(`${ward}|${programme}`) ?? 0;
      const d = pt ? input.denominators.get(ward)?.[pt.denominator] : undefined;
      const denominator = pt && d !== undefined ? d * pt.perUnit : null;
      for (const period of periods) {
        const values = {} as Record<Column, number>;
        for (const c of COLUMNS) {
          const series = m[colIndex.get(c)!]!;
          if (c === 'subscribersActive') {
            let active = opening;
            const started = m[colIndex.get('subscribersNew')!]!;
            const stopped = m[colIndex.get('subscribersStopped')!]!;
            for (let i = 1; i <= period.to; i++) active += started[i]! - stopped[i]!;
            values[c] = active;
          } else {
            let sum = 0;
            for (let i = period.from; i <= period.to; i++) sum += series[i]!;
            values[c] = sum;
          }
        }
        let examinedCum = 0;
        const ex = m[colIndex.get('examined')!]!;
        for (let i = 1; i <= period.to; i++) examinedCum += ex[i]!;
        out.push({ period, wardCode: ward, programme, values, denominator, coverage: denominator ? (examinedCum / denominator) * 100 : null, target: pt?.target ?? null });
        const ck = `${programme}|${period.key}`;
        let city = cityTotals.get(ck);
        if (!city) cityTotals.set(ck, (city = { values: Object.fromEntries(COLUMNS.map((c) => [c, 0])) as Record<Column, number>, examinedCum: 0, denominator: 0, wardsWith: 0 }));
        for (const c of COLUMNS) city.values[c] += values[c];
        if (denominator !== null) {
          city.examinedCum += examinedCum;
          city.denominator += denominator;
          city.wardsWith += 1;
        }
      }
    }
    for (const period of periods) {
      const city = cityTotals.get(`${programme}|${period.key}`)!;
      out.push({
        period,
        wardCode: null,
        programme,
        values: city.values,
        denominator: city.wardsWith ? city.denominator : null,
        coverage: city.wardsWith && city.denominator ? (city.examinedCum / city.denominator) * 100 : null,
        target: pt?.target ?? null,
        wardsWithDenominator: city.wardsWith,
      });
    }
  }
  return out;
}

/** Counts from 1 to 4 are shown as "<5" outside the reader's own wards (0 says nothing about anyone). */
export const SMALL_CELL = 5;
export type Shown = number | '<5';

/** Whether a row is wholly within the reader's wards (null: every ward, an administrator). */
export function isOwn(wardCode: string | null, scope: readonly string[] | null): boolean {
  if (scope === null) return true;
  return wardCode !== null && wardCode !== '' && scope.includes(wardCode);
}

export const shown = (n: number, own: boolean): Shown => (!own && n > 0 && n < SMALL_CELL ? '<5' : n);

/** A row as a reader may see it: small counts hidden outside their wards, and the coverage built on a hidden count with them. */
export function shownRow(row: IndicatorRow, scope: readonly string[] | null): { values: Record<Column, Shown>; coverage: number | null | '<5' } {
  const own = isOwn(row.wardCode, scope);
  const values = Object.fromEntries(COLUMNS.map((c) => [c, shown(row.values[c], own)])) as Record<Column, Shown>;
  const hidden = values.examined === '<5';
  return { values, coverage: row.coverage === null ? null : hidden ? '<5' : row.coverage };
}

// ---- lists the console pages ----

export const PAGE_SIZE = 50;

/** A booking as the console lists it: the chat's staff line, and when it was made. */
export type BookingRow = BookingLine & { createdAt: Date };

/** Lowercase without Vietnamese diacritics, in SQL (the same folding as core/text.ts fold for names). */
const FROM = 'àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ';
const TO = 'aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd';
const foldSql = (col: SQL) => sql`translate(lower(coalesce(${col}, '')), ${FROM}, ${TO})`;

/** A search of a session's bookings: by name (with or without diacritics) or by phone digits. */
function bookingSearch(search: string): SQL | undefined {
  const words = fold(search).split(' ').filter(Boolean);
  const digits = search.replace(/\D/g, '');
  const byPhone =
    digits.length >= 3 && digits.length === search.replace(/[\s.+()-]/g, '').length
      ? or(
          sql`regexp_replace(coalesce(${bookings.phone}, ''), '\\D', '', 'g') like ${`%${digits}%`}`,
          digits.startsWith('0') ? sql`regexp_replace(coalesce(${bookings.phone}, ''), '\\D', '', 'g') like ${`%84${digits.slice(1)}%`}` : undefined,
        )
      : undefined;
  if (byPhone) return byPhone;
  if (!words.length) return undefined;
  const haystack = sql`${foldSql(sql`${contacts.displayName}`)} || ' ' || ${foldSql(sql`${dependents.name}`)}`;
  return and(...words.map((w) => sql`${haystack} like ${`%${w.replace(/[\\%_]/g, '')}%`}`));
}

/** One page of a session's bookings (not cancelled), searched, with the session's live counts. */
export async function bookingPage(
  q: Queryable,
  sessionId: number,
  o: { search?: string; offset?: number; limit?: number } = {},
): Promise<{ list: BookingRow[]; total: number; counts: AttendanceCounts }> {
  const where = and(eq(bookings.sessionId, sessionId), ne(bookings.status, 'cancelled'), o.search ? bookingSearch(o.search) : undefined);
  const base = () =>
    q
      .select({ id: bookings.id, status: bookings.status, name: contacts.displayName, dependent: dependents.name, birthYear: dependents.birthYear, phone: bookings.phone, createdAt: bookings.createdAt })
      .from(bookings)
      .innerJoin(contacts, eq(contacts.id, bookings.contactId))
      .leftJoin(dependents, eq(dependents.id, bookings.dependentId))
      .where(where);
  const list = await base()
    .orderBy(asc(bookings.id))
    .limit(o.limit ?? PAGE_SIZE)
    .offset(o.offset ?? 0);
  const [total] = await q
    .select({ n: count() })
    .from(bookings)
    .innerJoin(contacts, eq(contacts.id, bookings.contactId))
    .leftJoin(dependents, eq(dependents.id, bookings.dependentId))
    .where(where);
  return { list, total: Number(total?.n ?? 0), counts: await attendanceCounts(q, sessionId) };
}

export interface AttendanceCounts {
  booked: number;
  attended: number;
  noShow: number;
  walkIns: number;
  /** Bookings not cancelled. */
  total: number;
  /** Places given back by the people who booked them (not counted when the session itself was cancelled). */
  cancelled: number;
}

export async function attendanceCounts(q: Queryable, sessionId: number): Promise<AttendanceCounts> {
  const [r] = await rows<Record<string, number>>(
    q,
    sql`select count(*) filter (where b.status = 'booked')::int as booked,
               count(*) filter (where b.status = 'attended')::int as attended,
               count(*) filter (where b.status = 'no_show')::int as no_show,
               count(*) filter (where b.status <> 'cancelled')::int as total,
               count(*) filter (where b.status = 'cancelled' and s.status <> 'cancelled')::int as cancelled,
               (select count(*)::int from walk_ins where session_id = ${sessionId}) as walkins
        from bookings b join sessions s on s.id = b.session_id where b.session_id = ${sessionId}`,
  );
  const n = (k: string) => Number(r?.[k] ?? 0);
  return { booked: n('booked'), attended: n('attended'), noShow: n('no_show'), walkIns: n('walkins'), total: n('total'), cancelled: n('cancelled') };
}

/** Sessions of these wards (null: all), upcoming (from two days ago, for attendance) or past, newest past first. */
export async function sessionList(
  q: Queryable,
  wardCodes: readonly string[] | null,
  o: { when: 'upcoming' | 'past'; now: Date; offset?: number; limit?: number },
): Promise<{ list: Session[]; total: number }> {
  const edge = new Date(o.now.getTime() - 2 * 86_400_000);
  const where = [o.when === 'upcoming' ? gt(sessions.startsAt, edge) : lte(sessions.startsAt, edge)];
  if (wardCodes) where.push(wardCodes.length ? inArray(sessions.wardCode, [...wardCodes]) : sql`false`);
  const list = await q
    .select()
    .from(sessions)
    .where(and(...where))
    .orderBy(o.when === 'upcoming' ? asc(sessions.startsAt) : desc(sessions.startsAt))
    .limit(o.limit ?? PAGE_SIZE)
    .offset(o.offset ?? 0);
  const [total] = await q
    .select({ n: count() })
    .from(sessions)
    .where(and(...where));
  return { list, total: Number(total?.n ?? 0) };
}

export interface AuditRow {
  id: number;
  at: Date;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
  actorId: number | null;
  actorName: string | null;
}

export interface AuditFilter {
  /** An action or its prefix: 'session.' finds every session action. */
  action?: string;
  /** A contact id, or part of a display name. */
  actor?: string;
  /** Local days, YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
}

const dayStart = (day: string) => {
  const [y, m, d] = day.split('-').map(Number);
  return fromLocal(y!, m!, d!);
};

/** The audit log, newest first, filtered. */
export async function auditPage(q: Queryable, f: AuditFilter, o: { offset?: number; limit?: number } = {}): Promise<{ list: AuditRow[]; total: number }> {
  const where: (SQL | undefined)[] = [];
  if (f.action) where.push(sql`${auditLog.action} like ${`${f.action.replace(/[\\%_]/g, '')}%`}`);
  if (f.actor) {
    const id = /^\d{1,9}$/.test(f.actor) ? Number(f.actor) : null;
    where.push(id !== null ? eq(auditLog.actorContactId, id) : sql`${foldSql(sql`${contacts.displayName}`)} like ${`%${fold(f.actor)}%`}`);
  }
  if (f.from) where.push(gte(auditLog.at, dayStart(f.from)));
  if (f.to) where.push(lt(auditLog.at, new Date(dayStart(f.to).getTime() + 86_400_000)));
  const cond = and(...where);
  const list = await q
    .select({ id: auditLog.id, at: auditLog.at, action: auditLog.action, target: auditLog.target, details: auditLog.details, actorId: auditLog.actorContactId, actorName: contacts.displayName })
    .from(auditLog)
    .leftJoin(contacts, eq(contacts.id, auditLog.actorContactId))
    .where(cond)
    .orderBy(desc(auditLog.id))
    .limit(o.limit ?? PAGE_SIZE)
    .offset(o.offset ?? 0);
  const [total] = await q.select({ n: count() }).from(auditLog).leftJoin(contacts, eq(contacts.id, auditLog.actorContactId)).where(cond);
  return { list, total: Number(total?.n ?? 0) };
}
