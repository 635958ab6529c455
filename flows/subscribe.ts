import { z } from 'zod';
import { yesNo } from './common.js';
import { defineFlow, type FlowContext } from '../src/engine/flow.js';
import { PROGRAMMES, isProgramme, type Programme } from '../src/domain/programmes.js';

/** The programmes people subscribe to from this flow (campaign news rides along with any). */
const CHOOSABLE = PROGRAMMES.filter((p) => p !== 'campaigns');

const Data = z.object({
  programmes: z.array(z.enum(PROGRAMMES)),
  wardCode: z.string().nullable().default(null),
  matches: z.array(z.string()).default([]),
});
type Data = z.infer<typeof Data>;

const programmeList = (ctx: FlowContext, programmes: readonly Programme[]) =>
  programmes.map((p) => ctx.t(`programmes.${p}.label`)).join(', ');

/**
 * Subscribe to a programme's news and reminders: choose programme(s), choose
 * ward, read the privacy notice, consent explicitly. Silence is not consent.
 */
export const subscribeFlow = defineFlow<Data>({
  id: 'subscribe',
  data: Data,
  async start(ctx, arg) {
    const programmes = isProgramme(arg) ? [arg] : [];
    const data: Data = { programmes, wardCode: null, matches: [] };
    return { type: 'goto', step: programmes.length ? 'ward' : 'programmes', data };
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
          return { type: 'goto', step: 'ward', data };
        }
        if (!isProgramme(input.value)) return { type: 'retry', say: [{ text: ctx.t('subscribe.choosePlease') }] };
        const p = input.value;
        const programmes = data.programmes.includes(p) ? data.programmes.filter((x) => x !== p) : [...data.programmes, p];
        return { type: 'goto', step: 'programmes', data: { ...data, programmes } };
      },
    },
    ward: {
      prompt: (ctx, data) => {
        const matches = data.matches.map((code) => ctx.wards.get(code)).filter((w) => w !== undefined);
        if (matches.length) {
          return { text: ctx.t('ward.pick'), choices: matches.map((w) => ({ label: w.name, value: w.code })) };
        }
        return { text: ctx.t('ward.ask', { programmes: programmeList(ctx, data.programmes) }) };
      },
      async handle(ctx, data, input) {
        if (input.kind === 'choice') {
          if (!ctx.wards.get(input.value)) return { type: 'retry', say: [{ text: ctx.t('ward.notFound') }] };
          return { type: 'goto', step: 'notice', data: { ...data, wardCode: input.value, matches: [] } };
        }
        if (input.kind !== 'text') return { type: 'retry', say: [{ text: ctx.t('ward.typeName') }] };
        const found = ctx.wards.search(input.text);
        if (found.length === 0) {
          return { type: 'goto', step: 'ward', data: { ...data, matches: [] }, say: [{ text: ctx.t('ward.notFound') }] };
        }
        return { type: 'goto', step: 'ward', data: { ...data, matches: found.map((w) => w.code) } };
      },
    },
    notice: {
      prompt: (ctx) => yesNo(ctx, 'notice.text', 'notice.agree', 'notice.disagree'),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('notice.explicit') }] };
        if (input.value === 'no') {
          await ctx.person.declineConsent();
          return { type: 'done', say: [{ text: ctx.t('notice.declined') }] };
        }
        await ctx.person.optIn([...data.programmes, 'campaigns'], data.wardCode);
        const ward = data.wardCode ? ctx.wards.get(data.wardCode)?.name ?? '' : '';
        return {
          type: 'done',
          say: [{ text: ctx.t('subscribe.confirmed', { programmes: programmeList(ctx, data.programmes), ward }) }],
        };
      },
    },
  },
});
