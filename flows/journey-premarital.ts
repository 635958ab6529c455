import { consentStep } from './common.js';
import { z } from 'zod';
import { localDay } from '../src/domain/journeys.js';
import { fromLocal } from '../src/core/time.js';
import { hintMonth } from '../src/core/when.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import { journeyNotice, monthYear, nextReminders, typedMonth, journeyWardStep } from './journey-common.js';

const Data = z.object({
  month: z.string().nullable(),
  /** No wedding date: information and the ward's sessions only, nothing kept. */
  none: z.boolean().default(false),
  wardCode: z.string().nullable(),
  matches: z.array(z.string()).default([]),
  change: z.number().int().nullable().default(null),
});
type Data = z.infer<typeof Data>;

async function afterWard(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  if (data.none) return { type: 'done', say: [{ text: await sessionsText(ctx, data.wardCode!) }] };
  if (data.change !== null) return finish(ctx, data);
  return { type: 'goto', step: 'notice', data };
}

async function sessionsText(ctx: FlowContext, wardCode: string): Promise<string> {
  const ward = ctx.wards.get(wardCode)?.name ?? '';
  const list = (await ctx.person.journeys.sessionLines('premarital', wardCode));
  return list.length ? ctx.t('journeys.premarital.sessions', { ward, sessions: list.join('\n') }) : ctx.t('journeys.premarital.noSessions', { ward });
}

async function finish(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  const month = new Date(data.month!);
  const r = await ctx.person.journeys.start('premarital', month, data.wardCode);
  const ward = data.wardCode ? (ctx.wards.get(data.wardCode)?.name ?? '') : '';
  const key = r.changed ? 'journeys.premarital.changed' : 'journeys.premarital.started';
  return { type: 'done', say: [{ text: `${ctx.t(key, { ward, month: monthYear(month) })}\n${await nextReminders(ctx, r.journey)}` }] };
}

/**
 * Before the wedding: the wedding month (optional). With it, the checkup is
 * suggested 3–6 months before and reminded then, with the ward's pre-marital
 * sessions; each partner who subscribes is reminded. Without it: what the
 * checkup includes and the ward's sessions, nothing kept.
 */
export const journeyPremaritalFlow = defineFlow<Data>({
  id: 'journey-premarital',
  data: Data,
  async start(ctx) {
    const live = (await ctx.person.journeys.live()).find((j) => j.kind === 'premarital');
    return { type: 'goto', step: 'month', data: { month: null, none: false, wardCode: live?.wardCode ?? ctx.person.contact?.wardCode ?? null, matches: [], change: live?.id ?? null } };
  },
  steps: {
    month: {
      prompt: (ctx) => ({ text: ctx.t('journeys.premarital.askMonth', { example: hintMonth(ctx.now, 8) }), choices: [{ label: ctx.t('journeys.premarital.none'), value: 'none' }] }),
      async handle(ctx, data, input) {
        if (input.kind === 'choice' && input.value === 'none') {
          const d = { ...data, none: true };
          const say = [{ text: ctx.t('journeys.premarital.info') }];
          if (!d.wardCode) return { type: 'goto', step: 'ward', data: d, say };
          return { type: 'done', say: [...say, { text: await sessionsText(ctx, d.wardCode) }] };
        }
        const m = input.kind === 'text' ? typedMonth(input.text, ctx.now, ctx.locale) : null;
        if (!m) return { type: 'retry', say: [{ text: ctx.t('journeys.premarital.bad', { example: hintMonth(ctx.now, 8) }) }] };
        const month = localDay(m.y, m.m, 1);
        if (fromLocal(m.y, m.m + 1, 1) <= ctx.now) return { type: 'retry', say: [{ text: ctx.t('journeys.premarital.past') }] };
        const d = { ...data, month: month.toISOString() };
        const plan = { text: ctx.t('journeys.premarital.plan', { month: monthYear(month), from: monthYear(fromLocal(m.y, m.m - 6, 1)), to: monthYear(fromLocal(m.y, m.m - 3, 1)) }) };
        if (!d.wardCode) return { type: 'goto', step: 'ward', data: d, say: [plan] };
        const out = await afterWard(ctx, d);
        return out.type === 'done' ? { ...out, say: [plan, ...out.say] } : out.type === 'goto' ? { ...out, say: [plan, ...(out.say ?? [])] } : out;
      },
    },
    ward: journeyWardStep<Data>((ctx, data) => afterWard(ctx, data)),
    notice: consentStep<Data>({
      prompt: (ctx) => journeyNotice(ctx, 'premarital'),
      async agreed(ctx, data) {
        await ctx.person.optIn(['premarital'], data.wardCode);
        return finish(ctx, data);
      },
    }),
  },
});
