import { consentStep } from './common.js';
import { z } from 'zod';
import { MAX_GA, MIN_GA, dueFromLmp, dueFromWeek, gestationDays, localDay, weekOf } from '../src/domain/journeys.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { futureDate, journeyNotice, nextReminders, pastDate, typedDate, typedWeek, journeyWardStep } from './journey-common.js';
import { fullDate } from '../src/core/time.js';
import { approxDay, hintDay, hintMonth, parseMonth, resolveMonth } from '../src/core/when.js';

const Data = z.object({
  mode: z.enum(['due', 'lmp', 'week']).nullable(),
  due: z.string().nullable(),
  wardCode: z.string().nullable(),
  matches: z.array(z.string()).default([]),
  /** A live pregnancy journey whose date changes (no new consent needed). */
  change: z.number().int().nullable().default(null),
  /** A due month typed without a day ("cuối tháng 4 năm sau"): the month and the part said, until a day is confirmed. */
  approx: z.object({ y: z.number().int(), m: z.number().int(), part: z.enum(['early', 'mid', 'late']).nullable() }).nullable().default(null),
});
type Data = z.infer<typeof Data>;

/** What was typed, as a due date, or why not. */
function dueFrom(ctx: FlowContext, mode: Data['mode'], text: string): Date | 'bad-date' | 'bad-week' {
  const locale = ctx.locale;
  const guess = mode ?? (typedWeek(text) ? 'week' : null);
  if (guess === 'week') {
    const w = typedWeek(text);
    return w ? dueFromWeek(w.weeks, w.days, ctx.now) : 'bad-week';
  }
  const typed = typedDate(text, locale);
  if (!typed) return 'bad-date';
  if (guess === 'lmp') {
    const d = pastDate(typed, ctx.now);
    return d ? dueFromLmp(d) : 'bad-date';
  }
  if (guess === 'due') {
    const d = futureDate(text, ctx.now, locale);
    return d ? localDay(d.y, d.m, d.d) : 'bad-date';
  }
  // Typed straight away with no mode: a date ahead is the due date, one behind the last period.
  const ahead = futureDate(text, ctx.now, locale);
  const behind = pastDate(typed, ctx.now);
  if (typed.y !== undefined && ahead && localDay(ahead.y, ahead.m, ahead.d) <= ctx.now) return behind ? dueFromLmp(behind) : 'bad-date';
  return ahead ? localDay(ahead.y, ahead.m, ahead.d) : 'bad-date';
}

async function finish(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  const due = new Date(data.due!);
  const r = await ctx.person.journeys.start('pregnancy', due, data.wardCode);
  const weeks = weekOf(gestationDays(due, ctx.now)).weeks;
  const ward = data.wardCode ? (ctx.wards.get(data.wardCode)?.name ?? '') : '';
  const say: OutboundMessage[] = [
    { text: `${ctx.t(r.changed ? 'journeys.preg.changed' : 'journeys.preg.started', { due: fullDate(due), weeks, ward })}\n${await nextReminders(ctx, r.journey)}` },
  ];
  if (r.missed.length) say.push({ text: ctx.t('journeys.preg.missed', { list: r.missed.map((w) => ctx.t(`journeys.win.${w}`)).join('; ') }) });
  return { type: 'done', say };
}

/**
 * Pregnancy by due date: the due date, the last period or the current week;
 * the computed week confirmed; the ward; explicit consent; then a reminder at
 * each screening window still ahead. Started again (or with `c<id>`) on a live
 * pregnancy, it changes the date and the reminders are planned again.
 */
export const journeyPregnancyFlow = defineFlow<Data>({
  id: 'journey-pregnancy',
  data: Data,
  async start(ctx, arg) {
    const live = (await ctx.person.journeys.live()).find((j) => j.kind === 'pregnancy');
    const wanted = arg?.startsWith('c') ? Number(arg.slice(1)) : null;
    const change = live && (wanted === null || wanted === live.id) ? live.id : null;
    return { type: 'goto', step: 'how', data: { mode: null, due: null, wardCode: live?.wardCode ?? ctx.person.contact?.wardCode ?? null, matches: [], change, approx: null } };
  },
  steps: {
    how: {
      prompt: (ctx) => ({
        text: ctx.t('journeys.preg.how'),
        choices: [
          { label: ctx.t('journeys.preg.due'), value: 'due' },
          { label: ctx.t('journeys.preg.lmp'), value: 'lmp' },
          { label: ctx.t('journeys.preg.week'), value: 'week' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind === 'choice' && (input.value === 'due' || input.value === 'lmp' || input.value === 'week')) {
          return { type: 'goto', step: 'value', data: { ...data, mode: input.value } };
        }
        if (input.kind === 'text') return valueHandle(ctx, data, input.text);
        return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
      },
    },
    value: {
      // Examples from today: a due date some months ahead, a last period some weeks back.
      prompt: (ctx, data) => ({ text: ctx.t(data.mode === 'lmp' ? 'journeys.preg.askLmp' : data.mode === 'week' ? 'journeys.preg.askWeek' : 'journeys.preg.askDue', examples(ctx)) }),
      async handle(ctx, data, input) {
        if (input.kind !== 'text') return { type: 'retry', say: [{ text: ctx.t(data.mode === 'week' ? 'journeys.preg.badWeek' : 'journeys.preg.badDate', examples(ctx)) }] };
        return valueHandle(ctx, data, input.text);
      },
    },
    /** A due month without a day: the day is asked, a day in the part of the month said offered. */
    approx: {
      prompt: (ctx, data) => {
        const a = data.approx!;
        const guess = `${approxDay(a.part)}/${a.m}/${a.y}`;
        return {
          text: ctx.t('journeys.preg.approx', { when: ctx.t(`journeys.preg.part.${a.part ?? 'none'}`, { month: `${a.m}/${a.y}` }), guess }),
          choices: [{ label: ctx.t('journeys.preg.useGuess', { guess }), value: 'guess' }],
        };
      },
      async handle(ctx, data, input) {
        if (input.kind === 'choice' && input.value === 'guess' && data.approx) {
          const a = data.approx;
          return withDue(ctx, { ...data, approx: null }, localDay(a.y, a.m, approxDay(a.part)));
        }
        if (input.kind !== 'text') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        return valueHandle(ctx, { ...data, mode: 'due' }, input.text);
      },
    },
    confirm: {
      prompt: (ctx, data) => {
        const due = new Date(data.due!);
        return {
          text: ctx.t('journeys.preg.confirm', { weeks: weekOf(gestationDays(due, ctx.now)).weeks, due: fullDate(due) }),
          choices: [
            { label: ctx.t('journeys.preg.yes'), value: 'yes' },
            { label: ctx.t('journeys.preg.no'), value: 'no' },
          ],
        };
      },
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value !== 'yes') return { type: 'goto', step: 'how', data: { ...data, mode: null, due: null } };
        if (data.change !== null) return finish(ctx, data);
        if (!data.wardCode) return { type: 'goto', step: 'ward', data };
        return { type: 'goto', step: 'notice', data };
      },
    },
    ward: journeyWardStep<Data>((_ctx, data) => ({ type: 'goto', step: 'notice', data })),
    notice: consentStep<Data>({
      prompt: (ctx) => journeyNotice(ctx, 'pregnancy'),
      async agreed(ctx, data) {
        await ctx.person.optIn(['prenatal'], data.wardCode);
        return finish(ctx, data);
      },
    }),
  },
});

/** Prompt examples computed from today, so they are never a day gone (a due date) or still to come (a last period). */
const examples = (ctx: FlowContext) => ({ due: hintDay(ctx.now, 200, true), dueMonth: hintMonth(ctx.now, 6), lmp: hintDay(ctx.now, -40) });

function valueHandle(ctx: FlowContext, data: Data, text: string): StepOutcome<Data> {
  const due = dueFrom(ctx, data.mode, text);
  if (due === 'bad-date' && data.mode !== 'lmp') {
    // "cuối tháng 4 năm sau": a month, not yet a day.
    const month = parseMonth(text, { locale: ctx.locale });
    if (month) return { type: 'goto', step: 'approx', data: { ...data, mode: 'due', approx: { ...resolveMonth(month, ctx.now), part: month.part } } };
  }
  if (due === 'bad-date' || due === 'bad-week') return { type: 'retry', say: [{ text: ctx.t(due === 'bad-week' ? 'journeys.preg.badWeek' : 'journeys.preg.badDate', examples(ctx)) }] };
  return withDue(ctx, data, due);
}

/** A due date within the weeks followed goes to the confirmation; else a kind second chance. */
function withDue(ctx: FlowContext, data: Data, due: Date): StepOutcome<Data> {
  const ga = gestationDays(due, ctx.now);
  if (ga < MIN_GA || ga > MAX_GA) return { type: 'retry', say: [{ text: ctx.t('journeys.preg.outOfRange', { weeks: Math.floor(ga / 7) }) }] };
  return { type: 'goto', step: 'confirm', data: { ...data, due: due.toISOString() } };
}
