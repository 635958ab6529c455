import { z } from 'zod';
import { choice } from '../src/core/actions.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { fold } from '../src/core/text.js';
import { fromLocal, fullDate, localParts } from '../src/core/time.js';
import { INJECTION_DAYS, isMethod, METHODS, type Method, planOf } from '../src/domain/contraception.js';
import { type Journey, slotsFor } from '../src/domain/journeys.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import type { BotModule } from '../src/engine/module.js';
import type { FaqBundle } from '../src/faq/types.js';
import type { Key } from '../src/i18n/index.js';
import { consentStep } from './common.js';
import { faqAnswer } from './faq.js';
import { journeyWardStep, pastDate, typedDate } from './journey-common.js';

const Data = z.object({
  method: z.enum(METHODS).nullable().default(null),
  packDays: z.union([z.literal(21), z.literal(28)]).default(21),
  /** A device's years (0: not known). */
  years: z.number().int().min(0).max(12).default(0),
  /** The last injection, pack start or insertion: local midnight, ISO. */
  last: z.string().nullable().default(null),
  wardCode: z.string().nullable().default(null),
  matches: z.array(z.string()).default([]),
  /** A live contraception journey being changed (no new consent, no age question). */
  change: z.number().int().nullable().default(null),
  /** Its discretion, kept through the change. */
  discreet: z.boolean().default(true),
});
type Data = z.infer<typeof Data>;

const DAY = 86_400_000;
/** How far back a last date may be: an injection or a pack a year, a device twelve years. */
const MAX_AGE_DAYS: Record<Method, number> = { injectable: 365, pill: 365, iud: 12 * 366, implant: 12 * 366 };

/** "20/11", "20/11/2025", "hôm nay"; for a device also "3/2024" (its first day). */
function lastDate(ctx: FlowContext, method: Method, text: string): Date | 'bad' | 'future' | 'old' {
  const today = localParts(ctx.now);
  const folded = fold(text);
  let day: { y: number; m: number; d: number } | null = null;
  if (folded === 'hom nay' || folded === 'today') day = { y: today.y, m: today.m, d: today.d };
  const monthYear = /^\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$/.exec(text);
  if (!day && monthYear && method !== 'injectable' && method !== 'pill') {
    const m = Number(monthYear[1]);
    if (m >= 1 && m <= 12) day = { y: Number(monthYear[2]), m, d: 1 };
  }
  if (!day) {
    const typed = typedDate(text);
    day = typed ? pastDate(typed, ctx.now) : null;
  }
  if (!day) return 'bad';
  const at = fromLocal(day.y, day.m, day.d);
  if (at.getTime() > fromLocal(today.y, today.m, today.d).getTime()) return 'future';
  if (ctx.now.getTime() - at.getTime() > MAX_AGE_DAYS[method] * DAY) return 'old';
  return at;
}

/** When a contraception journey next reminds, in words ("Lần nhắc tới: 5/2/2027."). */
export function contraceptionNext(ctx: FlowContext, j: Journey): string {
  const next = slotsFor(j, ctx.now).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())[0];
  return next ? ctx.t('journeys.cp.next', { date: fullDate(next.dueAt) }) : ctx.t('journeys.cp.nextNone');
}

const methodLabel = (ctx: FlowContext, m: Method | 'other') => ctx.t(`journeys.cp.methods.${m}`);

async function finish(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  const anchor = new Date(data.last!);
  const r = await ctx.person.journeys.start('contraception', anchor, data.wardCode, {
    method: data.method!,
    packDays: data.packDays,
    years: data.years,
    discreet: data.discreet,
  });
  const say: OutboundMessage[] = [{ text: ctx.t(r.changed ? 'journeys.cp.changed' : 'journeys.cp.started', { next: contraceptionNext(ctx, r.journey) }) }];
  // An injection more than 13 weeks ago: the window has closed, and nothing is planned until "Đã tiêm".
  if (data.method === 'injectable' && ctx.now.getTime() >= anchor.getTime() + INJECTION_DAYS.closes * DAY) say.push({ text: ctx.t('journeys.cp.injLate') });
  return { type: 'done', say };
}

/** After the last date: the ward (once), the notice (once), then the reminders. */
function afterDate(data: Data): StepOutcome<Data> | null {
  if (data.change !== null) return null;
  return { type: 'goto', step: data.wardCode ? 'notice' : 'ward', data };
}

/**
 * Contraception reminders (programme familyplanning): the method and its last
 * date (the injection, the pack's first pill, the insertion) become reminders
 * at the right time (src/domain/contraception.ts), discreet by default. Asked
 * first whether they are 18: someone younger gets the minors' answer
 * (srh.minors: confidentiality, where to go), nothing is kept, and nobody asks
 * for a parent's or guardian's details.
 */
export function journeyContraceptionFlow(faq: FaqBundle) {
  return defineFlow<Data>({
    id: 'journey-contraception',
    data: Data,
    async start(ctx) {
      const live = (await ctx.person.journeys.live()).find((j) => j.kind === 'contraception');
      const data = Data.parse({
        wardCode: live?.wardCode ?? ctx.person.contact?.wardCode ?? null,
        change: live?.id ?? null,
        discreet: live ? planOf(live.plan).discreet : true,
      });
      return { type: 'goto', step: live ? 'method' : 'age', data };
    },
    steps: {
      age: {
        prompt: (ctx) => ({
          text: ctx.t('journeys.cp.age'),
          choices: [
            { label: ctx.t('journeys.cp.adult'), value: 'adult' },
            { label: ctx.t('journeys.cp.minor'), value: 'minor' },
          ],
        }),
        async handle(ctx, data, input) {
          if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
          if (input.value === 'minor') return { type: 'done', say: [{ text: ctx.t('journeys.cp.minorIntro') }, faqAnswer(ctx, faq, 'srh.minors', false)] };
          return { type: 'goto', step: 'method', data };
        },
      },
      method: {
        prompt: (ctx) => ({
          text: ctx.t('journeys.cp.method'),
          choices: [...METHODS, 'other' as const].map((m) => ({ label: methodLabel(ctx, m), value: m })),
        }),
        async handle(ctx, data, input) {
          if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
          if (input.value === 'other') {
            const more = faq.entries.get('srh.contraception');
            return {
              type: 'done',
              say: [
                {
                  text: ctx.t('journeys.cp.other'),
                  choices: [
                    ...(more ? [choice(more.title, { type: 'faq', topic: more.topic })] : []),
                    choice(ctx.t('faq.counsellor'), { type: 'counsel', about: 'srh.contraception' }),
                  ],
                },
              ],
            };
          }
          if (!isMethod(input.value)) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
          const next = { ...data, method: input.value };
          return { type: 'goto', step: input.value === 'pill' ? 'pack' : input.value === 'injectable' ? 'last' : 'years', data: next };
        },
      },
      pack: {
        prompt: (ctx) => ({
          text: ctx.t('journeys.cp.pack'),
          choices: [
            { label: ctx.t('journeys.cp.pack21'), value: '21' },
            { label: ctx.t('journeys.cp.pack28'), value: '28' },
          ],
        }),
        async handle(ctx, data, input) {
          const typed = input.kind === 'choice' ? input.value : input.kind === 'text' ? (/\b(21|28)\b/.exec(input.text)?.[1] ?? '') : '';
          if (typed !== '21' && typed !== '28') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
          return { type: 'goto', step: 'last', data: { ...data, packDays: typed === '28' ? 28 : 21 } };
        },
      },
      years: {
        prompt: (ctx, data) => ({
          text: ctx.t(data.method === 'implant' ? 'journeys.cp.years.implant' : 'journeys.cp.years.iud'),
          choices: [
            ...(data.method === 'implant' ? [3, 5] : [3, 5, 10]).map((n) => ({ label: ctx.t('journeys.cp.yearsN', { n }), value: String(n) })),
            { label: ctx.t('journeys.cp.yearsUnknown'), value: '0' },
          ],
        }),
        async handle(ctx, data, input) {
          const raw = input.kind === 'choice' ? input.value : input.kind === 'text' ? (/^\s*(\d{1,2})\b/.exec(input.text)?.[1] ?? '') : '';
          const n = raw === '' ? Number.NaN : Number(raw);
          if (!Number.isInteger(n) || n < 0 || n > 12) return { type: 'retry', say: [{ text: ctx.t('journeys.cp.badYears') }] };
          return { type: 'goto', step: 'last', data: { ...data, years: n } };
        },
      },
      last: {
        prompt: (ctx, data) => ({ text: ctx.t(`journeys.cp.last.${data.method ?? 'pill'}`) }),
        async handle(ctx, data, input) {
          if (input.kind !== 'text' || !data.method) return { type: 'retry', say: [{ text: ctx.t('journeys.cp.badDate') }] };
          const at = lastDate(ctx, data.method, input.text);
          if (at === 'bad' || at === 'future' || at === 'old')
            return {
              type: 'retry',
              say: [{ text: ctx.t(at === 'bad' ? 'journeys.cp.badDate' : at === 'future' ? 'journeys.cp.future' : 'journeys.cp.tooOld') }],
            };
          const next = { ...data, last: at.toISOString() };
          return afterDate(next) ?? finish(ctx, next);
        },
      },
      ward: journeyWardStep<Data>((_ctx, data) => ({ type: 'goto', step: 'notice', data })),
      notice: consentStep<Data>({
        prompt: (ctx) => ({
          text: ctx.t('journeys.cp.notice'),
          choices: [
            { label: ctx.t('journeys.agree'), value: 'yes' },
            { label: ctx.t('journeys.disagree'), value: 'no' },
          ],
        }),
        async agreed(ctx, data) {
          await ctx.person.consent();
          return finish(ctx, data);
        },
      }),
    },
  });
}

/**
 * Family planning's own part of the journeys: the contraception flow, a
 * discreet reminder's details one tap away, and discretion on or off. (Its
 * reminders' "Đã làm", "Nhắc lại sau 3 ngày" and "Dừng nhắc" are the
 * journeys' own buttons: flows/journeys.ts.)
 */
export function familyPlanningModule(o: { faq: FaqBundle }): BotModule {
  return {
    id: 'familyplanning',
    flows: [journeyContraceptionFlow(o.faq)],
    actions: {
      journeyContraception: { run: (turn) => turn.start('journey-contraception') },
      journeyDetails: {
        readOnly: true,
        async run(turn, a) {
          const d = await turn.person.journeys.details(a.journey, a.window);
          if (!d) return [{ text: turn.t('journeys.reply.gone') }];
          const discreet = planOf(d.journey.plan).discreet;
          return [
            {
              text: turn.t(d.key as Key, d.params),
              choices: [
                ...d.choices.map((c) => ({ label: turn.t(c.key as Key, c.params ?? {}), value: c.value })),
                choice(turn.t(discreet ? 'journeys.btn.discreetOff' : 'journeys.btn.discreetOn'), {
                  type: 'journeyDiscreet',
                  journey: d.journey.id,
                  on: !discreet,
                }),
              ],
            },
          ];
        },
      },
      journeyDiscreet: {
        async run(turn, a) {
          const j = await turn.person.journeys.setDiscreet(a.journey, a.on);
          return [{ text: j ? turn.t(a.on ? 'journeys.reply.discreetOn' : 'journeys.reply.discreetOff') : turn.t('journeys.reply.gone') }];
        },
      },
    },
  };
}
