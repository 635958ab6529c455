import { z } from 'zod';
import type { BotModule } from '../src/engine/module.js';
import { consentStep, wardStep, yesNo } from './common.js';
import { DepDraft, dependentSteps, forWhomPrompt, noticePrompt, ownWard } from './dependent-steps.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import { kinParams } from '../src/domain/reminders.js';
import { PROGRAMMES, isProgramme, type Programme } from '../src/core/programmes.js';

/** The programmes people subscribe to from this flow (campaign news rides along with any). */
const CHOOSABLE = PROGRAMMES.filter((p) => p !== 'campaigns');

const Data = z.object({
  programmes: z.array(z.enum(PROGRAMMES)),
  wardCode: z.string().nullable().default(null),
  matches: z.array(z.string()).default([]),
  /** The person's relatives, offered when only the elderly programme is chosen. */
  deps: z.array(z.object({ id: z.number().int(), name: z.string(), rel: z.string().optional() })).default([]),
  /** The relative chosen (the notice is read before subscribing them). */
  depId: z.number().int().nullable().default(null),
  dep: DepDraft.nullable().default(null),
});
type Data = z.infer<typeof Data>;

/** Only the elderly programme chosen: it may be for a parent, so ask for whom first; else straight to the ward. */
async function afterProgrammes(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  if (data.programmes.length !== 1 || data.programmes[0] !== 'elderly') return { type: 'goto', step: 'ward', data };
  const deps = (await ctx.person.bookings.dependents()).map((d) => ({ id: d.id, name: d.name, rel: d.relationship }));
  return { type: 'goto', step: 'who', data: { ...data, deps } };
}

/** The elderly checkup reminders for a relative, in their ward; the person receives them. */
async function forRelative(ctx: FlowContext, data: Data, id: number): Promise<StepOutcome<Data>> {
  if (!(await ctx.person.hasConsented())) return { type: 'goto', step: 'relNotice', data: { ...data, depId: id } };
  const r = await ctx.person.relatives.subscribe(id, ['elderly']);
  const d = await ctx.person.relatives.get(id);
  if (r !== 'ok' || !d) return { type: 'done', say: [{ text: ctx.t('relatives.noWard', { name: d?.name ?? '' }) }] };
  const ward = d.wardCode ? (ctx.wards.get(d.wardCode)?.name ?? '') : '';
  return { type: 'done', say: [{ text: ctx.t('subscribe.forRelative', { ...kinParams(d.name, d.relationship), ward }) }] };
}

const programmeList = (ctx: FlowContext, programmes: readonly Programme[]) =>
  programmes.map((p) => ctx.t(`programmes.${p}.label`)).join(', ');

/**
 * Subscribe to a programme's news and reminders: choose programme(s), choose
 * ward, read the privacy notice, consent explicitly. Silence is not consent.
 * The elderly programme alone may be for a parent or grandparent: the
 * reminders are then theirs, in their ward, and come to the person.
 */
export const subscribeFlow = defineFlow<Data>({
  id: 'subscribe',
  data: Data,
  async start(ctx, arg) {
    // "đăng ký nhắc khám cho mẹ": the elderly checkups, for a relative (on the list, or added now).
    if (arg === 'relative') {
      const deps = (await ctx.person.bookings.dependents()).map((d) => ({ id: d.id, name: d.name, rel: d.relationship }));
      const data = Data.parse({ programmes: ['elderly'], deps });
      return deps.length ? { type: 'goto', step: 'who', data } : { type: 'goto', step: 'depName', data };
    }
    const programmes = isProgramme(arg) ? [arg] : [];
    const data = Data.parse({ programmes });
    return programmes.length ? afterProgrammes(ctx, data) : { type: 'goto', step: 'programmes', data };
  },
  steps: {
    programmes: {
      prompt: (ctx, data) => ({
        text: ctx.t('subscribe.choose'),
        choices: [
          ...CHOOSABLE.map((p) => ({
            label: `${data.programmes.includes(p) ? '✅ ' : ''}${ctx.t(`programmes.${p}.label`)}`,
            value: p,
          })),
          { label: ctx.t('subscribe.done'), value: 'done' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('subscribe.choosePlease') }] };
        if (input.value === 'done') {
          if (data.programmes.length === 0) return { type: 'retry', say: [{ text: ctx.t('subscribe.noneChosen') }] };
          return afterProgrammes(ctx, data);
        }
        if (!isProgramme(input.value)) return { type: 'retry', say: [{ text: ctx.t('subscribe.choosePlease') }] };
        const p = input.value;
        const programmes = data.programmes.includes(p) ? data.programmes.filter((x) => x !== p) : [...data.programmes, p];
        return { type: 'goto', step: 'programmes', data: { ...data, programmes } };
      },
    },
    who: {
      prompt: (ctx, data) => forWhomPrompt(ctx, 'subscribe.forWhom', data.deps),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'self') return { type: 'goto', step: 'ward', data };
        if (input.value === 'new') return { type: 'goto', step: 'depName', data };
        const dep = data.deps.find((d) => String(d.id) === input.value);
        if (!dep) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        return forRelative(ctx, data, dep.id);
      },
    },
    ...dependentSteps<Data>({
      suggestWards: ownWard,
      added: (ctx, data, dep) => forRelative(ctx, data, dep.id),
    }),
    /** A relative already on the list, while the person's consent is not current (e.g. after "dừng"). */
    relNotice: consentStep<Data>({
      prompt: (ctx) => noticePrompt(ctx, 'dependent.notice'),
      async agreed(ctx, data) {
        if (data.depId === null) return { type: 'done', say: [{ text: ctx.t('common.chooseOne') }] };
        await ctx.person.consent();
        await ctx.person.relatives.consentOnBehalf(data.depId);
        return forRelative(ctx, data, data.depId);
      },
    }),
    ward: wardStep<Data>({
      step: 'ward',
      ask: (ctx, data) => ctx.t('ward.ask', { programmes: programmeList(ctx, data.programmes) }),
      pick: (ctx) => ctx.t('ward.pick'),
      chosen: (_ctx, data, wardCode) => ({ type: 'goto', step: 'notice', data: { ...data, wardCode } }),
    }),
    notice: consentStep<Data>({
      prompt: (ctx) => yesNo(ctx, 'notice.text', 'notice.agree', 'notice.disagree'),
      async agreed(ctx, data) {
        await ctx.person.optIn([...data.programmes, 'campaigns'], data.wardCode);
        const ward = data.wardCode ? ctx.wards.get(data.wardCode)?.name ?? '' : '';
        return {
          type: 'done',
          say: [{ text: ctx.t('subscribe.confirmed', { programmes: programmeList(ctx, data.programmes), ward }) }],
        };
      },
    }),
  },
});

/** Reminders and news (/dangky, "nhận nhắc lịch", the menu's and a programme page's button). */
export const subscribeModule: BotModule = {
  id: 'subscribe',
  flows: [subscribeFlow],
  commands: { subscribe: { run: (turn) => turn.start('subscribe') } },
  actions: { subscribe: { run: (turn, a) => turn.start('subscribe', a.programme) } },
};
