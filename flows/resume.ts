import { z } from 'zod';
import type { BotModule } from '../src/engine/module.js';
import { consentStep, yesNo } from './common.js';
import { defineFlow } from '../src/engine/flow.js';
import { journeyLines, relativeNames, subscriptionLines } from './changes.js';

const Data = z.object({
  /** What will come back, one line each (prompts are synchronous: a snapshot). */
  lines: z.array(z.string()).default([]),
});
type Data = z.infer<typeof Data>;

/**
 * Resume (/batlai): names what the last stop ended and will come back, asks
 * for a fresh, explicit consent in a short notice (what is kept, why, how to
 * stop or erase), then names what came back.
 */
export const resumeFlow = defineFlow<Data>({
  id: 'resume',
  data: Data,
  async start(ctx) {
    if (!ctx.person.hasOptedOut) return { type: 'done', say: [{ text: ctx.t('resume.notStopped') }] };
    const back = await ctx.person.resumable();
    const lines = [...subscriptionLines(ctx, back.subscriptions, await relativeNames(ctx)), ...journeyLines(ctx, back.journeys)];
    return { type: 'goto', step: 'notice', data: { lines } };
  },
  steps: {
    notice: consentStep<Data>({
      prompt: (ctx, data) => {
        const ask = yesNo(ctx, 'resume.notice', 'resume.agree', 'notice.disagree');
        const what = data.lines.length ? [ctx.t('resume.willResume'), ...data.lines] : [ctx.t('resume.nothingToResume')];
        return { ...ask, text: [...what, '', ask.text].join('\n') };
      },
      async agreed(ctx) {
        const names = await relativeNames(ctx);
        const r = await ctx.person.resume();
        const lines = [...subscriptionLines(ctx, r.subscriptions, names), ...journeyLines(ctx, r.journeys)];
        if (!lines.length) return { type: 'done', say: [{ text: ctx.t('resume.doneNothing') }] };
        return { type: 'done', say: [{ text: [ctx.t('resume.doneList'), ...lines].join('\n') }] };
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
