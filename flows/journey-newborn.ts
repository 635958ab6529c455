import { consentStep } from './common.js';
import { z } from 'zod';
import { formatTime, fromLocal, localParts } from '../src/core/time.js';
import { hintDay, parseWhen } from '../src/core/when.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import { fold } from '../src/core/text.js';
import { fullDate } from '../src/core/time.js';
import { journeyNotice, nextReminders, pastDate, journeyWardStep } from './journey-common.js';

const HOUR = 3_600_000;

const Data = z.object({
  /** The pregnancy journey this birth ends (from "Bé đã chào đời"): its consent covers the newborn's reminders. */
  from: z.number().int().nullable(),
  date: z.object({ y: z.number().int(), m: z.number().int(), d: z.number().int() }).nullable(),
  birth: z.string().nullable(),
  wardCode: z.string().nullable(),
  matches: z.array(z.string()).default([]),
});
type Data = z.infer<typeof Data>;

/** "hôm qua 8h", "20/5 14h30", "hôm nay 2 giờ chiều", in English "yesterday 8am": a local day and maybe a time. */
function typedBirth(text: string, now: Date, locale: string): { day: { y: number; m: number; d: number } | null; time: { h: number; mi: number } | null } | null {
  const f = ` ${fold(text)} `;
  let back = 0;
  let rest = text;
  if (/ (?:hom qua|yesterday) /.test(f)) back = 1;
  else if (/ (?:hom kia|the day before yesterday|day before yesterday) /.test(f)) back = 2;
  if (back) rest = fold(text).replace(/hom (qua|kia)|(?:the )?day before yesterday|yesterday/, 'hom nay');
  const w = parseWhen(rest, { locale });
  if (!w) return null;
  let day: { y: number; m: number; d: number } | null = null;
  if (w.date && 'relativeDays' in w.date) {
    if (w.date.relativeDays !== 0) return null;
    const t = localParts(now);
    const at = fromLocal(t.y, t.m, t.d - back);
    const p = localParts(at);
    day = { y: p.y, m: p.m, d: p.d };
  } else if (w.date && 'd' in w.date) {
    day = pastDate(w.date, now);
    if (!day) return null;
  }
  return { day, time: w.time ?? null };
}

async function next(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  if (!data.birth) return { type: 'goto', step: data.date ? 'time' : 'birth', data };
  if (!data.wardCode) return { type: 'goto', step: 'ward', data };
  if (data.from === null) return { type: 'goto', step: 'notice', data };
  return finish(ctx, data);
}

async function finish(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  const birth = new Date(data.birth!);
  const started = await ctx.person.journeys.start('newborn', birth, data.wardCode);
  if (data.from !== null) await ctx.person.journeys.stop(data.from, 'born');
  const hours = Math.floor((ctx.now.getTime() - birth.getTime()) / HOUR);
  const context = hours < 24 ? 'early' : hours < 72 ? 'window' : 'late';
  const at = (h: number) => {
    const d = new Date(birth.getTime() + h * HOUR);
    return `${formatTime(d)} ${fullDate(d)}`;
  };
  return { type: 'done', say: [{ text: `${ctx.t(`journeys.newborn.started_${context}`, { hours, ideal: at(48), deadline: at(72) })}\n${await nextReminders(ctx, started.journey)}` }] };
}

function withBirth(ctx: FlowContext, data: Data, day: { y: number; m: number; d: number }, time: { h: number; mi: number }): Promise<StepOutcome<Data>> | StepOutcome<Data> {
  const birth = fromLocal(day.y, day.m, day.d, time.h, time.mi);
  if (birth > ctx.now) return { type: 'retry', say: [{ text: ctx.t('journeys.newborn.future') }] };
  if (ctx.now.getTime() - birth.getTime() > 28 * 24 * HOUR) return { type: 'done', say: [{ text: ctx.t('journeys.newborn.tooOld') }] };
  return next(ctx, { ...data, date: day, birth: birth.toISOString() });
}

/**
 * The newborn's first days: the birth date and time, then the heel-prick
 * window (24–72 h, ideally 48 h; before discharge if earlier), hearing and
 * heart screening, "was it done?", and what to do if the result needs a
 * follow-up. Started from the pregnancy's "Bé đã chào đời" (`p<journey>`) or
 * directly by a parent.
 */
export const journeyNewbornFlow = defineFlow<Data>({
  id: 'journey-newborn',
  data: Data,
  async start(ctx, arg) {
    const live = await ctx.person.journeys.live();
    const wanted = arg?.startsWith('p') ? Number(arg.slice(1)) : null;
    const preg = live.find((j) => j.kind === 'pregnancy' && (wanted === null || j.id === wanted));
    const from = preg && preg.status !== 'ended' ? preg.id : null;
    return { type: 'goto', step: 'birth', data: { from, date: null, birth: null, wardCode: preg?.wardCode ?? ctx.person.contact?.wardCode ?? null, matches: [] } };
  },
  steps: {
    birth: {
      // The example is yesterday: a birth is never in the future.
      prompt: (ctx) => ({ text: ctx.t('journeys.newborn.askBirth', { example: hintDay(ctx.now, -1) }) }),
      async handle(ctx, data, input) {
        const typed = input.kind === 'text' ? typedBirth(input.text, ctx.now, ctx.locale) : null;
        if (!typed?.day) return { type: 'retry', say: [{ text: ctx.t('journeys.newborn.bad', { example: hintDay(ctx.now, -1) }) }] };
        if (!typed.time) return { type: 'goto', step: 'time', data: { ...data, date: typed.day } };
        return withBirth(ctx, data, typed.day, typed.time);
      },
    },
    time: {
      prompt: (ctx, data) => ({ text: ctx.t('journeys.newborn.needTime', { date: data.date ? `${data.date.d}/${data.date.m}` : '' }) }),
      async handle(ctx, data, input) {
        const typed = input.kind === 'text' ? parseWhen(input.text, { locale: ctx.locale }) : null;
        if (!typed?.time || typed.date || !data.date) return { type: 'retry', say: [{ text: ctx.t('journeys.newborn.bad', { example: hintDay(ctx.now, -1) }) }] };
        return withBirth(ctx, data, data.date, typed.time);
      },
    },
    ward: journeyWardStep<Data>((ctx, data) => next(ctx, data)),
    notice: consentStep<Data>({
      prompt: (ctx) => journeyNotice(ctx, 'newborn'),
      async agreed(ctx, data) {
        await ctx.person.optIn(['newborn'], data.wardCode);
        return finish(ctx, data);
      },
    }),
  },
});
