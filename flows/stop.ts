import { z } from 'zod';
import type { BotModule } from '../src/engine/module.js';
import { yesNo } from './common.js';
import { defineFlow, type FlowContext } from '../src/engine/flow.js';
import { bookingLines, journeyLines, relativeNames, sections, subscriptionLines } from './changes.js';

const Data = z.object({
  /** What the stop will end and keep, in words (prompts are synchronous: a snapshot). */
  summary: z.string().default(''),
  /** After the stop: the bookings kept, to keep or cancel (ids and their lines). */
  bookings: z.array(z.object({ id: z.number().int(), line: z.string() })).default([]),
});
type Data = z.infer<typeof Data>;

/** What a stop would end and what it keeps, named. */
async function preview(ctx: FlowContext): Promise<string> {
  const names = await relativeNames(ctx);
  const subs = await ctx.person.liveSubscriptions();
  return sections([
    [ctx.t('stop.willEnd'), [...subscriptionLines(ctx, subs, names), ...journeyLines(ctx, await ctx.person.journeys.live())]],
    [ctx.t('stop.willKeep'), bookingLines(ctx, await ctx.person.bookings.upcoming())],
  ]);
}

/**
 * Stop (/huy, "dừng", "hủy"): says what will end (each subscription, for whom,
 * each journey) and which appointments stay booked but will no longer be
 * reminded; after "yes" every subscription and proactive message ends at
 * once, the reply names what ended, and booked appointments are kept unless
 * the person chooses to cancel them.
 */
export const stopFlow = defineFlow<Data>({
  id: 'stop',
  data: Data,
  async start(ctx) {
    if (!ctx.person.contact) return { type: 'done', say: [{ text: ctx.t('stop.nothing') }] };
    return { type: 'goto', step: 'confirm', data: { summary: await preview(ctx), bookings: [] } };
  },
  steps: {
    confirm: {
      prompt: (ctx, data) => {
        const ask = yesNo(ctx, 'stop.confirm', 'stop.yes', 'stop.no');
        return data.summary ? { ...ask, text: `${ask.text}\n${data.summary}` } : ask;
      },
      async handle(ctx, _data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'no') return { type: 'done', say: [{ text: ctx.t('stop.kept') }] };
        const names = await relativeNames(ctx);
        const r = await ctx.person.stopAll();
        const ended = [...subscriptionLines(ctx, r.subscriptions, names), ...journeyLines(ctx, r.journeys)];
        const said = { text: [ctx.t(ended.length ? 'stop.doneList' : 'stop.done'), ...ended, ...(ended.length ? [ctx.t('stop.after')] : [])].join('\n') };
        if (!r.bookings.length) return { type: 'done', say: [said] };
        const bookings = r.bookings.map((a) => ({ id: a.bookingId, line: bookingLines(ctx, [a])[0]! }));
        return { type: 'goto', step: 'bookings', data: { summary: '', bookings }, say: [said] };
      },
    },
    /** Booked appointments after a stop: kept (not reminded), or cancelled, as the person chooses. */
    bookings: {
      prompt: (ctx, data) => ({
        text: [ctx.t('stop.bookingsAsk', { count: data.bookings.length }), ...data.bookings.map((b) => b.line)].join('\n'),
        choices: [
          { label: ctx.t('stop.keepBookings', { count: data.bookings.length }), value: 'keep' },
          { label: ctx.t('stop.cancelBookings', { count: data.bookings.length }), value: 'cancel' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value !== 'cancel') {
          return {
            type: 'done',
            say: [
              {
                text: [ctx.t('stop.bookingsKept', { count: data.bookings.length }), ...data.bookings.map((b) => b.line), ctx.t('stop.bookingsKeptAfter')].join(
                  '\n',
                ),
              },
            ],
          };
        }
        const cancelled: string[] = [];
        for (const b of data.bookings) if (await ctx.person.bookings.cancel(b.id)) cancelled.push(b.line);
        if (!cancelled.length) return { type: 'done', say: [{ text: ctx.t('booking.nothingToCancel') }] };
        return { type: 'done', say: [{ text: [ctx.t('stop.bookingsCancelled', { count: cancelled.length }), ...cancelled].join('\n') }] };
      },
    },
  },
});

/** "dừng" (/huy): from any flow, and from the button under every reminder. */
export const stopModule: BotModule = {
  id: 'stop',
  flows: [stopFlow],
  commands: { stop: { run: (turn) => turn.start('stop') } },
  actions: { stop: { run: (turn) => turn.start('stop') } },
};
