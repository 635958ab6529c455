import { z } from 'zod';
import type { BotModule } from '../src/engine/module.js';
import { yesNo } from './common.js';
import { defineFlow } from '../src/engine/flow.js';

const Data = z.object({});

/** Resume (/batlai): only after a fresh, explicit consent; what the stop ended comes back. */
export const resumeFlow = defineFlow<z.infer<typeof Data>>({
  id: 'resume',
  data: Data,
  async start(ctx) {
    if (!ctx.person.hasOptedOut) return { type: 'done', say: [{ text: ctx.t('resume.notStopped') }] };
    return { type: 'goto', step: 'notice', data: {} };
  },
  steps: {
    notice: {
      prompt: (ctx) => yesNo(ctx, 'notice.text', 'notice.agree', 'notice.disagree'),
      async handle(ctx, _data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('notice.explicit') }] };
        if (input.value === 'no') return { type: 'done', say: [{ text: ctx.t('resume.stillStopped') }] };
        const resumed = await ctx.person.resume();
        return { type: 'done', say: [{ text: ctx.t('resume.done', { count: resumed }) }] };
      },
    },
  },
});

export const resumeModule: BotModule = {
  id: 'resume',
  flows: [resumeFlow],
  commands: { resume: { run: (turn) => turn.start('resume') } },
};
