import { choice } from '../src/core/actions.js';
import { wardStep } from './common.js';
import type { TFunction } from 'i18next';
import { fullDate, localParts } from '../src/core/time.js';
import { parseWhen, resolveDate } from '../src/core/when.js';
import { gestationDays, slotsFor, weekOf, type Journey, type LiveJourney } from '../src/domain/journeys.js';
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
    default:
      line = t('journeys.line.elderly', j.who ? { who: j.who, context: 'dep' } : {});
  }
  return j.status === 'paused' ? t('journeys.line.paused', { line }) : line;
}

/** The next reminder of a journey, in words, or that there is none. */
export function nextReminder(t: TFunction, j: Journey, now: Date): string {
  const next = slotsFor(j, now).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())[0];
  return next ? t('journeys.next', { date: fullDate(next.dueAt) }) : t('journeys.nextNone');
}

/** /hanhtrinh: start a journey, or manage a live one. */
export async function journeysHub(ctx: FlowContext): Promise<OutboundMessage> {
  const live = await ctx.person.journeys.current();
  const lines = [ctx.t('journeys.hub.title')];
  if (live.length) lines.push('', ctx.t('journeys.hub.live'), ...live.map((j) => `• ${journeyLine(ctx.t, j, ctx.now)}`));
  const choices: Choice[] = [
    choice(ctx.t('journeys.hub.pregnancy'), { type: 'journeyPregnancy' }),
    choice(ctx.t('journeys.hub.newborn'), { type: 'journeyNewborn' }),
    choice(ctx.t('journeys.hub.premarital'), { type: 'journeyPremarital' }),
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

/** A typed calendar date ("20/5/2027", "20-5", "20.5.27"); no time. */
export function typedDate(text: string): { d: number; m: number; y?: number } | null {
  const w = parseWhen(text);
  if (!w?.date || w.time || 'relativeDays' in w.date) return null;
  return w.date;
}

/** A typed date that lies ahead (a due date): without a year, the next one to come. */
export function futureDate(text: string, now: Date): { y: number; m: number; d: number } | null {
  const d = typedDate(text);
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

/** "5/2027", "tháng 5", "thang 5 nam 2027", "05-2027", "tháng 5/27": a month, the next one to come without a year. */
export function typedMonth(text: string, now: Date): { y: number; m: number } | null {
  const m = /^(?:thang\s+)?(\d{1,2})(?:\s+(?:nam\s+)?(\d{4}|\d{2}))?$/.exec(fold(text));
  if (!m) return null;
  const month = Number(m[1]);
  if (month < 1 || month > 12) return null;
  const today = localParts(now);
  if (m[2]) return { y: m[2].length === 2 ? 2000 + Number(m[2]) : Number(m[2]), m: month };
  return { y: month < today.m ? today.y + 1 : today.y, m: month };
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

/**
 * Words saying the pregnancy ended (a miscarriage, a stillbirth, a baby lost),
 * with or without diacritics; not a question about them ("sảy thai có triệu
 * chứng gì?") and not a threatened miscarriage ("dọa sảy thai").
 */
export function isLossMessage(text: string): boolean {
  const marks = hasDiacritics(text);
  const t = norm(text, marks);
  const has = (list: string[]) => list.some((w) => t.includes(norm(w, marks)));
  if (has(NOT_LOSS) || !has(LOSS_WORDS)) return false;
  const asks = text.includes('?') || has(QUESTION) || / (khong|ko|k|chua|hong|khum) $/.test(` ${fold(text)} `);
  return !asks;
}

/** The loss path: everything about the pregnancy or a baby stops now; a kind reply and where to find support. */
export async function lossSay(ctx: FlowContext): Promise<OutboundMessage[]> {
  await ctx.person.journeys.loss();
  return [{ text: ctx.t('journeys.loss'), choices: [choice(ctx.t('journeys.lossCounsel'), { type: 'counsel' })] }];
}

/** Whether a person has anything about a pregnancy or a baby the loss path should stop. */
export async function hasPregnancyMessages(ctx: FlowContext): Promise<boolean> {
  if (await ctx.person.journeys.hasPregnancyOrBaby()) return true;
  return (await ctx.person.subscriptions()).some((p) => p === 'prenatal' || p === 'newborn');
}
