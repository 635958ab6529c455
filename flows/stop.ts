import { z } from 'zod';
import type { BotModule } from '../src/engine/module.js';
import { yesNo } from './common.js';
import { defineFlow } from '../src/engine/flow.js';

const Data = z.object({});

/** Stop (/huy, "dừng", "hủy"): confirm, then every subscription and proactive message ends at once. */
export const stopFlow = defineFlow<z.infer<typeof Data>>({
  id: 'stop',
  data: Data,
  async start(ctx) {
    if (!ctx.person.contact) return { type: 'done', say: [{ text: ctx.t('stop.nothing') }] };
    return { type: 'goto', step: 'confirm', data: {} };
  },
  steps: {
    confirm: {
      prompt: (ctx) => yesNo(ctx, 'stop.confirm', 'stop.yes', 'stop.no'),
      async handle(ctx, _data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'no') return { type: 'done', say: [{ text: ctx.t('stop.kept') }] };
        await ctx.person.stopAll();
        return { type: 'done', say: [{ text: ctx.t('stop.done') }] };
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
