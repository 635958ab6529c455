import { z } from 'zod';
import type { BotModule } from '../src/engine/module.js';
import { yesNo } from './common.js';
import { defineFlow } from '../src/engine/flow.js';

const Data = z.object({});

/** Delete (/xoa): after confirmation, the person's data is erased; only anonymous counts remain. */
export const deleteFlow = defineFlow<z.infer<typeof Data>>({
  id: 'delete',
  data: Data,
  async start(ctx) {
    if (!ctx.person.contact) return { type: 'done', say: [{ text: ctx.t('delete.nothing') }] };
    return { type: 'goto', step: 'confirm', data: {} };
  },
  steps: {
    confirm: {
      prompt: (ctx) => yesNo(ctx, 'delete.confirm', 'delete.yes', 'delete.no'),
      async handle(ctx, _data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'no') return { type: 'done', say: [{ text: ctx.t('delete.kept') }] };
        await ctx.person.erase();
        return { type: 'done', say: [{ text: ctx.t('delete.done') }] };
      },
    },
  },
});

export const deleteModule: BotModule = {
  id: 'delete',
  flows: [deleteFlow],
  commands: { delete: { run: (turn) => turn.start('delete') } },
};
