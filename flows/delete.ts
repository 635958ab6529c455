import { z } from 'zod';
import type { BotModule } from '../src/engine/module.js';
import { yesNo } from './common.js';
import { defineFlow, type FlowContext } from '../src/engine/flow.js';
import { bookingLines, journeyLines, relativeNames, sections, subscriptionLines } from './changes.js';

const Data = z.object({
  /** What will be erased and which bookings cancelled, in words (a snapshot for the synchronous prompt). */
  summary: z.string().default(''),
  bookings: z.number().int().default(0),
});
type Data = z.infer<typeof Data>;

/** What erasing would remove and cancel, named. */
async function preview(ctx: FlowContext): Promise<Data> {
  const names = await relativeNames(ctx);
  const relatives = (await ctx.person.relatives.list()).map(
    (r) => `• ${ctx.t('delete.relative', { name: r.name, relationship: ctx.t(`dependent.relationships.${r.relationship}`) })}`,
  );
  const bookings = await ctx.person.bookings.upcoming();
  const summary = sections([
    [
      ctx.t('delete.willErase'),
      [...subscriptionLines(ctx, await ctx.person.liveSubscriptions(), names), ...relatives, ...journeyLines(ctx, await ctx.person.journeys.live())],
    ],
    [ctx.t('delete.willCancel', { count: bookings.length }), bookingLines(ctx, bookings)],
  ]);
  return { summary, bookings: bookings.length };
}

/**
 * Delete (/xoa): names what will be erased and, before anything is done, each
 * upcoming appointment that will be cancelled (for whom, when, where); after
 * confirmation the bookings are cancelled (places given back to the station),
 * the person's data is erased, and the reply names the cancelled bookings.
 */
export const deleteFlow = defineFlow<Data>({
  id: 'delete',
  data: Data,
  async start(ctx) {
    if (!ctx.person.contact) {
      // No contact, but the questions the FAQ could not answer may hold what they typed.
      await ctx.person.forgetQuestions();
      return { type: 'done', say: [{ text: ctx.t('delete.nothing') }] };
    }
    return { type: 'goto', step: 'confirm', data: await preview(ctx) };
  },
  steps: {
    confirm: {
      prompt: (ctx, data) => {
        const ask = yesNo(ctx, 'delete.confirm', data.bookings ? 'delete.yesCancel' : 'delete.yes', 'delete.no');
        const text = [ask.text, data.summary, ...(data.bookings ? [ctx.t('delete.keepBookingsHint')] : []), ctx.t('delete.irreversible')]
          .filter(Boolean)
          .join('\n');
        return { ...ask, text };
      },
      async handle(ctx, _data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'no') return { type: 'done', say: [{ text: ctx.t('delete.kept') }] };
        // The cancelled appointments were read before the erasure, the relatives' names with them.
        const { cancelled } = await ctx.person.erase();
        const lines = bookingLines(ctx, cancelled);
        return {
          type: 'done',
          say: [{ text: [ctx.t('delete.done'), ...(lines.length ? [ctx.t('delete.cancelled', { count: lines.length }), ...lines] : [])].join('\n') }],
        };
      },
    },
  },
});

export const deleteModule: BotModule = {
  id: 'delete',
  flows: [deleteFlow],
  commands: { delete: { run: (turn) => turn.start('delete') } },
};
