import { encodeAction } from '../core/actions.js';
import { fromLocal, fullDate, localParts } from '../core/time.js';
import type { OutboxPayload } from '../outbox/types.js';
import type { PlannedSlot } from './journeys.js';

/**
 * The contraception journey (kind 'contraception', programme
 * familyplanning): the person's method and its last date (the injection, the
 * pack's first pill, the insertion) become reminders at the right time, at
 * 09:00 Hải Phòng time like every journey:
 *
 * - a 3-month injection (DMPA): day 77 and, unless "Đã tiêm", day 84; the
 *   window closes at 13 weeks (day 91);
 * - pills: a new pack every 28 days, reminded on the pack's last pill day
 *   (day 21 of a 21-pill pack, day 28 of a continuous 28-pill pack);
 * - an IUD: a check at 1 month, then yearly, and its replacement when its
 *   years are up (the years the person was told; unknown: yearly checks);
 * - an implant: its replacement by its years (unknown: a yearly check-in).
 *
 * "Đã tiêm" / "Đã làm" on an injection, a pack or a replacement restarts the
 * cycle from that day (journeys.ts `restart`). Reminders are discreet unless
 * the person turns discretion off: the notification says only "Đến hẹn chăm
 * sóc sức khỏe của bạn", never the method nor "tránh thai", with the details
 * one tap away ("Xem chi tiết").
 *
 * Windows: the injection's at 12 and 13 weeks, as the issue (#16) sets them;
 * the pack days and device checks as in the Ministry of Health's national
 * reproductive-health guideline (QĐ 4128/QĐ-BYT) and the WHO Family Planning
 * Handbook, which the srh.contraception FAQ entry cites.
 */
export const METHODS = ['injectable', 'pill', 'iud', 'implant'] as const;
export type Method = (typeof METHODS)[number];
export const isMethod = (v: unknown): v is Method => METHODS.includes(v as Method);

export interface ContraceptionPlan {
  method: Method;
  /** Pills: 21 (then 7 days without) or 28 (continuous). */
  packDays: 21 | 28;
  /** IUD or implant: the years it lasts, as the person was told; 0 when they do not know. */
  years: number;
  /** Reminders name nothing (default). */
  discreet: boolean;
}

/** The plan stored with a journey (journeys.plan), read with its defaults. */
export function planOf(raw: Record<string, unknown> | null | undefined): ContraceptionPlan {
  const r = raw ?? {};
  return {
    method: isMethod(r.method) ? r.method : 'pill',
    packDays: r.packDays === 28 ? 28 : 21,
    years: typeof r.years === 'number' && Number.isInteger(r.years) && r.years >= 0 && r.years <= 12 ? r.years : 0,
    discreet: r.discreet !== false,
  };
}

export const INJECTION_DAYS = { first: 77, second: 84, closes: 91 } as const;
export const PILL_CYCLE_DAYS = 28;
const SEND_HOUR = 9;
const PROGRAMME = 'familyplanning';

/** Day `n` after the anchor's local day, at `hour`. */
const dayAfter = (anchor: Date, n: number, hour = SEND_HOUR) => {
  const p = localParts(anchor);
  return fromLocal(p.y, p.m, p.d + n, hour);
};
/** `months` after the anchor's local day, at `hour`. */
const monthsAfter = (anchor: Date, months: number, hour = SEND_HOUR) => {
  const p = localParts(anchor);
  return fromLocal(p.y, p.m + months, p.d, hour);
};

/** The next 09:00 after `now`. */
function nextSendTime(now: Date): Date {
  const p = localParts(now);
  const today = fromLocal(p.y, p.m, p.d, SEND_HOUR);
  return today > now ? today : fromLocal(p.y, p.m, p.d + 1, SEND_HOUR);
}

/** The day a pill pack's cycle `k` starts (k = 0: the anchor's pack). */
export const packStart = (anchor: Date, k: number) => dayAfter(anchor, PILL_CYCLE_DAYS * k, 0);

/** Windows whose "Đã làm" restarts the cycle from that day (the others only end their own reminder). */
export const RESTARTING_WINDOWS = ['inj', 'pack', 'iudrep', 'imprep'] as const;
export const restarts = (win: string) => (RESTARTING_WINDOWS as readonly string[]).includes(win);

/** Up to two of the reminders still to come, the second one queued ahead (the doctor expects only the first). */
function nextTwo(list: PlannedSlot[], now: Date, done: Record<string, string>): PlannedSlot[] {
  const next = list.filter((s) => s.dueAt > now && !done[s.win]).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  return next.slice(0, 2).map((s, i) => (i === 0 ? s : { ...s, ahead: true }));
}

/** A device's reminders: a first check (IUD, at one month), yearly checks until its years are up, then its replacement. */
function deviceSlots(anchor: Date, plan: ContraceptionPlan, now: Date, done: Record<string, string>): PlannedSlot[] {
  const prefix = plan.method === 'iud' ? 'iud' : 'imp';
  const list: PlannedSlot[] = [];
  const month = (m: number) => ({ dueAt: monthsAfter(anchor, m), programme: PROGRAMME, until: monthsAfter(anchor, m + 2, 0) });
  if (plan.method === 'iud') list.push({ win: 'iudm1', slot: 'open', ...month(1) });
  const nowYear = Math.max(1, localParts(now).y - localParts(anchor).y + 2);
  const lastYear = plan.years ? plan.years - 1 : nowYear;
  // An implant whose years are known needs no yearly visit; an IUD's are checks of the device.
  if (plan.method === 'iud' || !plan.years) for (let y = 1; y <= lastYear; y++) list.push({ win: `${prefix}y${y}`, slot: 'open', ...month(12 * y) });
  if (plan.years) list.push({ win: `${prefix}rep`, slot: 'open', ...month(12 * plan.years) });
  return nextTwo(list, now, done);
}

/** The reminders still to come for a contraception journey anchored at `anchor`. */
export function contraceptionSlots(anchor: Date, raw: Record<string, unknown>, now: Date, done: Record<string, string>): PlannedSlot[] {
  const plan = planOf(raw);
  switch (plan.method) {
    case 'injectable': {
      const until = dayAfter(anchor, INJECTION_DAYS.closes, 0);
      const out: PlannedSlot[] = [];
      for (const [slot, n] of [
        ['d77', INJECTION_DAYS.first],
        ['d84', INJECTION_DAYS.second],
      ] as const) {
        const dueAt = dayAfter(anchor, n);
        if (dueAt > now) out.push({ win: 'inj', slot, dueAt, programme: PROGRAMME, until });
      }
      // Told late (the last injection 12 weeks ago or more), still inside the window: the next morning.
      if (!out.length && now < until) {
        const next = nextSendTime(now);
        if (next < until) out.push({ win: 'inj', slot: 'late', dueAt: next, programme: PROGRAMME, until, catchUp: true });
      }
      return out;
    }
    case 'pill': {
      let k = 0;
      while (dayAfter(anchor, PILL_CYCLE_DAYS * k + plan.packDays - 1) <= now) k++;
      return [k, k + 1].map((c, i) => ({
        win: 'pack',
        slot: `c${c}`,
        dueAt: dayAfter(anchor, PILL_CYCLE_DAYS * c + plan.packDays - 1),
        programme: PROGRAMME,
        until: packStart(anchor, c + 1),
        ...(i ? { ahead: true } : {}),
      }));
    }
    default:
      return deviceSlots(anchor, plan, now, done);
  }
}

/**
 * The anchor a "Đã làm" restarts from: today, except a new pill pack pressed
 * before the day it was due to start, which starts that day.
 */
export function restartAnchor(anchor: Date, raw: Record<string, unknown>, win: string, now: Date): Date {
  const today = dayAfter(now, 0, 0);
  if (win !== 'pack' || planOf(raw).method !== 'pill') return today;
  // Pressed on the last pill or in the days without (a 21-pill pack's reminder comes 8 days before the new
  // pack): the new pack starts on its planned day. Later in a cycle: it started today.
  const next = packStart(anchor, cycleAt(anchor, today) + 1);
  return next.getTime() - today.getTime() <= 8 * 86_400_000 ? next : today;
}

/** The pack cycle a day falls in (0: the anchor's pack). */
const cycleAt = (anchor: Date, at: Date) =>
  Math.max(0, Math.floor((dayAfter(at, 0, 0).getTime() - dayAfter(anchor, 0, 0).getTime()) / (PILL_CYCLE_DAYS * 86_400_000)));

/** The message of a window with the method named (a reminder with discretion off, or "Xem chi tiết"): its key and params. */
export function detailsOf(
  j: { anchorAt: Date | null; plan: Record<string, unknown> },
  win: string,
  slot: string,
  at: Date,
): { key: string; params: Record<string, string | number> } {
  const plan = planOf(j.plan);
  const anchor = j.anchorAt ?? new Date(0);
  const last = fullDate(anchor);
  const base = 'journeys.msg.contraception';
  if (win === 'inj') {
    return {
      key: `${base}.${slot === 'd77' ? 'inj77' : 'inj84'}`,
      params: { last, due: fullDate(dayAfter(anchor, INJECTION_DAYS.second)), close: fullDate(dayAfter(anchor, INJECTION_DAYS.closes)) },
    };
  }
  if (win === 'pack') {
    const k = Number(/^c(\d+)$/.exec(slot)?.[1] ?? Number.NaN);
    const cycle = Number.isInteger(k) ? k : cycleAt(anchor, at);
    return { key: `${base}.pack`, params: { context: String(plan.packDays), next: fullDate(packStart(anchor, cycle + 1)) } };
  }
  const years = plan.years;
  const until = years ? fullDate(monthsAfter(anchor, 12 * years)) : '';
  if (win === 'iudm1') return { key: `${base}.iudm1`, params: { last } };
  if (win.startsWith('iudy')) return { key: `${base}.iudy`, params: { last, ...(years ? { until, context: 'until' } : {}) } };
  if (win === 'iudrep') return { key: `${base}.iudrep`, params: { last, years } };
  if (win === 'imprep') return { key: `${base}.imprep`, params: { last, years } };
  return { key: `${base}.impy`, params: { last } };
}

type Choices = NonNullable<OutboxPayload['choices']>;

/** The buttons of a contraception reminder: the details (discreet), done, in 3 days, stop. */
export function contraceptionChoices(id: number, win: string, discreet: boolean): Choices {
  const done = {
    key: !discreet && win === 'inj' ? 'journeys.btn.injected' : 'journeys.btn.done',
    value: encodeAction({ type: 'journeyDone', journey: id, window: win }),
  };
  return [
    ...(discreet ? [{ key: 'journeys.btn.details', value: encodeAction({ type: 'journeyDetails', journey: id, window: win }) }] : []),
    done,
    { key: 'journeys.btn.snooze', value: encodeAction({ type: 'journeySnooze', journey: id, window: win }) },
    { key: 'journeys.btn.stop', value: encodeAction({ type: 'journeyStopMenu', journey: id }) },
  ];
}

/** The words of a contraception reminder as queued: discreet ("Đến hẹn chăm sóc sức khỏe của bạn") unless the person turned that off. */
export function contraceptionPayload(
  j: { id: number; anchorAt: Date | null; plan: Record<string, unknown> },
  s: Pick<PlannedSlot, 'win' | 'slot' | 'dueAt'>,
): OutboxPayload & { discreet: boolean } {
  const plan = planOf(j.plan);
  const choices = contraceptionChoices(j.id, s.win, plan.discreet);
  if (plan.discreet) return { key: 'journeys.msg.contraception.discreet', params: { date: fullDate(s.dueAt) }, choices, discreet: true };
  const d = detailsOf(j, s.win, s.slot, s.dueAt);
  return { key: d.key, params: d.params, choices, discreet: false };
}
