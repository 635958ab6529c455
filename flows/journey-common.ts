import { rememberLatest } from '../src/core/memo.js';
import { choice } from '../src/core/actions.js';
import { wardStep } from './common.js';
import type { TFunction } from 'i18next';
import { fullDate, localParts } from '../src/core/time.js';
import { parseMonth, parseWhen, resolveDate, resolveMonth } from '../src/core/when.js';
import { gestationDays, weekOf, type Journey, type LiveJourney } from '../src/domain/journeys.js';
import { planOf } from '../src/domain/contraception.js';
import type { UpcomingReminder } from '../src/domain/upcoming.js';
import { relativeParams } from '../src/domain/reminders.js';
import type { FlowContext, StepOutcome } from '../src/engine/flow.js';
import type { Choice, OutboundMessage } from '../src/core/messages.js';
import { fold, hasDiacritics, toneless } from '../src/core/text.js';

/** "5/2027" */
export const monthYear = (at: Date) => `${localParts(at).m}/${localParts(at).y}`;

/** One journey in words: "Mang thai: tuần 14, dự sinh 20/5/2027". */
export function journeyLine(t: TFunction, j: LiveJourney, now: Date): string {
  let line: string;
  switch (j.kind) {
    case 'pregnancy':
      line = t('journeys.line.pregnancy', { weeks: j.anchorAt ? weekOf(gestationDays(j.anchorAt, now)).weeks : '?', due: j.anchorAt ? fullDate(j.anchorAt) : '?' });
      break;
    case 'newborn':
      line = t('journeys.line.newborn', { date: j.anchorAt ? fullDate(j.anchorAt) : '?' });
      break;
    case 'premarital':
      line = j.anchorAt ? t('journeys.line.premarital', { month: monthYear(j.anchorAt) }) : t('journeys.line.premarital_none');
      break;
    case 'contraception': {
      // Discreet unless the person turned that off: the method is named only then.
      const plan = planOf(j.plan);
      line = plan.discreet ? t('journeys.line.contraception') : t('journeys.line.contraception', { context: 'open', method: plan.method });
      break;
    }
    default:
      line = t('journeys.line.elderly', relativeParams(j.who, j.rel));
  }
  return j.status === 'paused' ? t('journeys.line.paused', { line }) : line;
}

/** What one reminder of a journey is for: "sàng lọc thalassemia (trước tuần 21)", "(nhắc lần cuối)" for a window's last one. */
function purpose(t: TFunction, r: Extract<UpcomingReminder, { type: 'journey' }>): string {
  // A window of another kind of journey (family planning's are discreet) is named neutrally.
  const what = t(`journeys.win.${WINDOW_LABELS.includes(r.win as WindowLabel) ? (r.win as WindowLabel) : 'other'}`);
  if (r.slot === 'late') return `${what} ${t('journeys.slot.late')}`;
  if (r.slot.startsWith('z')) return `${what} ${t('journeys.slot.again')}`;
  return what;
}
const WINDOW_LABELS = ['thal', 'nt', 'tri2', 'morph', 'gdm', 'nbs', 'born', 'heel', 'check', 'result', 'pm', 'checkup'] as const;
type WindowLabel = (typeof WINDOW_LABELS)[number];

/** A journey's reminders still to come, soonest first (none while it is paused). */
function planned(j: Pick<Journey, 'id' | 'status'>, upcoming: readonly UpcomingReminder[]): Extract<UpcomingReminder, { type: 'journey' }>[] {
  if (j.status === 'paused') return [];
  return upcoming.filter((r): r is Extract<UpcomingReminder, { type: 'journey' }> => r.type === 'journey' && r.journeyId === j.id);
}

/**
 * A journey's coming reminders, what each is for and when, soonest first
 * ("1/12/2026: sàng lọc thalassemia (trước tuần 21)"); at most `max`. None
 * when it is paused or has nothing planned (see noReminders).
 */
export function reminderLines(t: TFunction, j: Pick<Journey, 'id' | 'status'>, upcoming: readonly UpcomingReminder[], max = 3): string[] {
  return planned(j, upcoming)
    .slice(0, max)
    .map((r) => t('journeys.remind.line', { date: fullDate(r.dueAt), what: purpose(t, r) }));
}

/** Why a journey has no reminder planned: paused, every window past, or (the yearly checkup) when one comes. */
export const noReminders = (t: TFunction, j: Pick<Journey, 'kind' | 'status'>): string =>
  t(j.status === 'paused' ? 'journeys.remind.paused' : j.kind === 'elderly' ? 'journeys.remind.yearly' : 'journeys.nextNone');

/** The coming reminders under a title, or why there is none: after a journey starts, on its page, in /lich. */
export function remindersBlock(t: TFunction, j: Pick<Journey, 'id' | 'kind' | 'status'>, upcoming: readonly UpcomingReminder[], max = 3, indent = ''): string[] {
  const lines = reminderLines(t, j, upcoming, max);
  if (!lines.length) return [`${indent}${noReminders(t, j)}`];
  const more = planned(j, upcoming).length - lines.length;
  return [`${indent}${t('journeys.remind.title')}`, ...lines.map((l) => `${indent}• ${l}`), ...(more > 0 ? [`${indent}${t('journeys.remind.more', { count: more })}`] : [])];
}

/** For a journey just started or changed: its coming reminders, each with what it is for. */
export async function nextReminders(ctx: FlowContext, j: Pick<Journey, 'id' | 'kind' | 'status'>): Promise<string> {
  return remindersBlock(ctx.t, j, await ctx.person.upcomingReminders()).join('\n');
}

/** /hanhtrinh: start a journey, or manage a live one. */
export async function journeysHub(ctx: FlowContext): Promise<OutboundMessage> {
  const live = await ctx.person.journeys.current();
  const upcoming = live.length ? await ctx.person.upcomingReminders() : [];
  const lines = [ctx.t('journeys.hub.title')];
  // Each journey with its next reminder: what it is for and when.
  const next = (j: LiveJourney) => {
    const first = reminderLines(ctx.t, j, upcoming, 1)[0];
    return first ? ctx.t('journeys.hub.next', { next: first }) : noReminders(ctx.t, j);
  };
  if (live.length) lines.push('', ctx.t('journeys.hub.live'), ...live.map((j) => `• ${journeyLine(ctx.t, j, ctx.now)}\n  ${next(j)}`));
  const choices: Choice[] = [
    choice(ctx.t('journeys.hub.pregnancy'), { type: 'journeyPregnancy' }),
    choice(ctx.t('journeys.hub.newborn'), { type: 'journeyNewborn' }),
    choice(ctx.t('journeys.hub.premarital'), { type: 'journeyPremarital' }),
    choice(ctx.t('journeys.hub.contraception'), { type: 'journeyContraception' }),
    ...live.map((j) => choice(ctx.t('journeys.hub.manage', { label: journeyLine(ctx.t, j, ctx.now) }), { type: 'journeyManage', journey: j.id })),
  ];
  return { text: lines.join('\n'), choices };
}

/** The words a consent notice needs and its two buttons. */
export const journeyNotice = (ctx: FlowContext, kind: 'pregnancy' | 'newborn' | 'premarital'): OutboundMessage => ({
  text: ctx.t('journeys.notice', { what: ctx.t(`journeys.noticeWhat.${kind}`) }),
  choices: [
    { label: ctx.t('journeys.agree'), value: 'yes' },
    { label: ctx.t('journeys.disagree'), value: 'no' },
  ],
});

/** A journey's ward: its sessions are offered with each reminder (the journeys' step is always named 'ward'). */
export interface WardData {
  wardCode: string | null;
  matches: string[];
}
export const journeyWardStep = <D extends WardData>(next: (ctx: FlowContext, data: D) => StepOutcome<D> | Promise<StepOutcome<D>>) =>
  wardStep<D>({
    step: 'ward',
    ask: (ctx) => ctx.t('journeys.askWard'),
    pick: (ctx) => ctx.t('ward.pick'),
    chosen: (ctx, data, wardCode) => next(ctx, { ...data, wardCode }),
  });

/** A typed calendar date ("20/5/2027", "20-5", "20.5.27", "28 tháng 4 năm sau", in English "April 28, 2027"); no time. */
export function typedDate(text: string, locale?: string): { d: number; m: number; y?: number; nextYear?: boolean } | null {
  const w = parseWhen(text, locale ? { locale } : {});
  if (!w?.date || w.time || !('d' in w.date)) return null;
  return w.date;
}

/** A typed date that lies ahead (a due date): without a year, the next one to come. */
export function futureDate(text: string, now: Date, locale?: string): { y: number; m: number; d: number } | null {
  const d = typedDate(text, locale);
  return d ? resolveDate(d, now) : null;
}

/** A typed date that lies behind (a last period, a birth): without a year, the last one gone. */
export function pastDate(d: { d: number; m: number; y?: number }, now: Date): { y: number; m: number; d: number } | null {
  if (d.y !== undefined) return resolveDate(d, now);
  const today = localParts(now);
  const y = d.m > today.m || (d.m === today.m && d.d > today.d) ? today.y - 1 : today.y;
  return resolveDate({ ...d, y }, now);
}

/** "14", "14 tuần", "tuần 14", "tuần thứ 14", "14 tuần 2 ngày", "14w2d", "14+2": weeks and days. */
export function typedWeek(text: string): { weeks: number; days: number } | null {
  const s = fold(text.replace(/\+/g, ' cong '));
  const m = /^(?:thai\s+)?(?:tuan\s+(?:thu\s+)?)?(\d{1,2})\s*(?:tuan|w|weeks?)?(?:\s*(?:va\s+|cong\s+)?(\d)\s*(?:ngay|d|days?)?)?(?:\s*(?:roi|a|nhe))?$/.exec(s.replace(/(\d)(w|d)/g, '$1 $2').replace(/(w)(\d)/g, '$1 $2'));
  if (!m) return null;
  const days = m[2] ? Number(m[2]) : 0;
  if (days > 6) return null;
  return { weeks: Number(m[1]), days };
}

/** "5/2027", "tháng 5", "thang 5 nam 2027", "05-2027", "tháng 5/27", "tháng 4 năm sau", "April 2027": a month, the next one to come without a year. */
export function typedMonth(text: string, now: Date, locale?: string): { y: number; m: number } | null {
  const m = parseMonth(text, locale ? { locale } : {});
  return m ? resolveMonth(m, now) : null;
}

const LOSS_WORDS = [
  'không còn mang thai', 'không còn có thai', 'không còn có bầu', 'không còn mang bầu', 'không còn bầu',
  'sảy thai', 'sẩy thai', 'bị sảy', 'bị sẩy', 'sảy mất', 'sẩy mất', 'thai lưu', 'lưu thai', 'chết lưu',
  'mất con', 'mất bé', 'mất thai', 'thai chết', 'thai đã mất', 'thai ngừng phát triển', 'thai không còn tim',
  'bé mất rồi', 'con mất rồi', 'bé không qua khỏi', 'con không qua khỏi', 'đình chỉ thai', 'đã phá thai', 'đã bỏ thai',
];
const NOT_LOSS = ['dọa sảy', 'dọa sẩy', 'động thai'];
const QUESTION = ['là gì', 'thế nào', 'như thế nào', 'làm sao', 'có sao', 'triệu chứng', 'dấu hiệu', 'nguy cơ', 'phòng tránh', 'phòng ngừa', 'có nên', 'có phải', 'nguyên nhân', 'tại sao', 'vì sao'];

/** Tone marks dropped, vowel marks kept ("mất" and "mắt" stay apart); without diacritics, fully folded. */
const norm = (s: string, marks: boolean) => ` ${(marks ? toneless(s) : fold(s)).replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;
// The word lists in both forms, once (every text message is checked for a loss).
const forms = (marks: boolean) => ({ loss: LOSS_WORDS.map((w) => norm(w, marks)), notLoss: NOT_LOSS.map((w) => norm(w, marks)), question: QUESTION.map((w) => norm(w, marks)) });
const TONELESS = forms(true);
const FOLDED = forms(false);

/**
 * Words saying the pregnancy ended (a miscarriage, a stillbirth, a baby lost),
 * with or without diacritics; not a question about them ("sảy thai có triệu
 * chứng gì?") and not a threatened miscarriage ("dọa sảy thai").
 */
export const isLossMessage: (text: string) => boolean = rememberLatest(lossMessage);

function lossMessage(text: string): boolean {
  const marks = hasDiacritics(text);
  const t = norm(text, marks);
  const lists = marks ? TONELESS : FOLDED;
  const has = (list: readonly string[]) => list.some((w) => t.includes(w));
  if (has(lists.notLoss) || !has(lists.loss)) return false;
  const asks = text.includes('?') || has(lists.question) || / (khong|ko|k|chua|hong|khum) $/.test(` ${fold(text)} `);
  return !asks;
}

/** The loss path: everything about the pregnancy or a baby stops now; a kind reply and where to find support. */
export async function lossSay(ctx: FlowContext): Promise<OutboundMessage[]> {
  await ctx.person.journeys.loss();
  return [{ text: ctx.t('journeys.loss'), choices: [choice(ctx.t('journeys.lossCounsel'), { type: 'counsel', about: 'loss' })] }];
}

/** Whether a person has anything about a pregnancy or a baby the loss path should stop. */
export async function hasPregnancyMessages(ctx: FlowContext): Promise<boolean> {
  if (await ctx.person.journeys.hasPregnancyOrBaby()) return true;
  return (await ctx.person.subscriptions()).some((p) => p === 'prenatal' || p === 'newborn');
}
