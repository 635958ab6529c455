import { isOwn, type Shown, shown } from './reports.js';
import type { TicketFigure } from './tickets.js';

/**
 * The counselling figures (ticketFigures in tickets.ts) as a reader may see
 * them, by the indicators' small-cell rule: outside the reader's own wards a
 * count from 1 to 4 shows as "<5", and so does the median first answer of a
 * ward whose answered count is hidden (it would be one person's wait). The
 * city's row is always there; a ward-scoped reader sees its small counts
 * hidden as on the indicators page (an administrator sees every count).
 * Sums over months are made before hiding, never from hidden cells.
 */

export const TICKET_COUNTS = ['opened', 'answered', 'closed', 'alerted', 'flagged', 'ratedUp', 'ratedDown'] as const;
export type TicketCount = (typeof TICKET_COUNTS)[number];

export interface ShownTicketRow {
  /** YYYY-MM, or the year (YYYY) for a sum over it. */
  period: string;
  /** null: the city (every ward, the unknown ward included); '' the ward was not known. */
  wardCode: string | null;
  own: boolean;
  values: Record<TicketCount, Shown>;
  /** Median minutes to the first answer; null when none was answered or over a sum of months (a median does not add up). */
  medianMinutes: number | null | '<5';
}

type Raw = { values: Record<TicketCount, number>; medianMinutes: number | null };

const zero = (): Record<TicketCount, number> => Object.fromEntries(TICKET_COUNTS.map((k) => [k, 0])) as Record<TicketCount, number>;
const rawOf = (f: TicketFigure): Raw => ({
  values: { opened: f.opened, answered: f.answered, closed: f.closed, alerted: f.alerted, flagged: f.flagged, ratedUp: f.ratedUp, ratedDown: f.ratedDown },
  medianMinutes: f.medianFirstResponseMinutes,
});

function hide(period: string, wardCode: string | null, raw: Raw, scope: readonly string[] | null): ShownTicketRow {
  const own = isOwn(wardCode, scope);
  const values = Object.fromEntries(TICKET_COUNTS.map((k) => [k, shown(raw.values[k], own)])) as Record<TicketCount, Shown>;
  return { period, wardCode, own, values, medianMinutes: raw.medianMinutes === null ? null : values.answered === '<5' ? '<5' : raw.medianMinutes };
}

const wardKey = (f: TicketFigure): string | null => (f.city ? null : (f.wardCode ?? ''));

/**
 * One year's figures for a reader (`scope`: their wards, null for every ward):
 * `months`, the rows of one ward ('' unknown) or the city (null) for each month
 * begun (zeros where nobody wrote); `wards`, each ward's sum over the year
 * (those where anyone wrote) and the city's last; `all`, every ward × month row
 * and the city's, for the CSV.
 */
export function ticketYear(
  figures: readonly TicketFigure[],
  o: { year: number; lastMonth: number; ward: string | null; scope: readonly string[] | null },
): { months: ShownTicketRow[]; wards: ShownTicketRow[]; all: ShownTicketRow[] } {
  const monthKeys = Array.from({ length: Math.max(0, o.lastMonth) }, (_, i) => `${o.year}-${String(i + 1).padStart(2, '0')}`);
  const at = new Map(figures.map((f) => [`${f.month}|${wardKey(f) ?? 'city'}`, f]));
  const months = monthKeys.map((m) => {
    const f = at.get(`${m}|${o.ward ?? 'city'}`);
    return hide(m, o.ward, f ? rawOf(f) : { values: zero(), medianMinutes: null }, o.scope);
  });

  const sums = new Map<string, Record<TicketCount, number>>();
  for (const f of figures) {
    if (!f.month.startsWith(`${o.year}-`)) continue;
    const k = wardKey(f) ?? 'city';
    const sum = sums.get(k) ?? zero();
    for (const c of TICKET_COUNTS) sum[c] += rawOf(f).values[c];
    sums.set(k, sum);
  }
  const year = String(o.year);
  const wards = [...sums.entries()]
    .filter(([k]) => k !== 'city')
    .map(([k, values]) => hide(year, k, { values, medianMinutes: null }, o.scope));
  wards.push(hide(year, null, { values: sums.get('city') ?? zero(), medianMinutes: null }, o.scope));

  const all = figures.filter((f) => f.month.startsWith(`${o.year}-`)).map((f) => hide(f.month, wardKey(f), rawOf(f), o.scope));
  return { months, wards, all };
}
