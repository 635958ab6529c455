import { z } from 'zod';
import type { BotModule } from '../src/engine/module.js';
import { consentStep, yesNo } from './common.js';
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
    notice: consentStep<z.infer<typeof Data>>({
      prompt: (ctx) => yesNo(ctx, 'notice.text', 'notice.agree', 'notice.disagree'),
      async agreed(ctx) {
        const resumed = await ctx.person.resume();
        return { type: 'done', say: [{ text: ctx.t('resume.done', { count: resumed }) }] };
      },
      declined: async (ctx) => ({ type: 'done', say: [{ text: ctx.t('resume.stillStopped') }] }),
    }),
  },
});

export const resumeModule: BotModule = {
  id: 'resume',
  flows: [resumeFlow],
  commands: { resume: { run: (turn) => turn.start('resume') } },
};
