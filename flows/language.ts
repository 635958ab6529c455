import { z } from 'zod';
import type { BotModule } from '../src/engine/module.js';
import { defineFlow } from '../src/engine/flow.js';
import { LOCALES, isLocale } from '../src/i18n/index.js';

const Data = z.object({});

/** /ngonngu: Vietnamese (default) or English. */
export const languageFlow = defineFlow<z.infer<typeof Data>>({
  id: 'language',
  data: Data,
  async start() {
    return { type: 'goto', step: 'choose', data: {} };
  },
  steps: {
    choose: {
      prompt: (ctx) => ({
        text: ctx.t('language.choose'),
        choices: LOCALES.map((l) => ({ label: ctx.t(`language.names.${l}`), value: l })),
      }),
      async handle(ctx, _data, input) {
        if (input.kind !== 'choice' || !isLocale(input.value)) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        await ctx.person.setLocale(input.value);
        return { type: 'done', say: [{ text: ctx.t('language.changed') }] };
      },
    },
  },
});

export const languageModule: BotModule = {
  id: 'language',
  flows: [languageFlow],
  commands: { language: { run: (turn) => turn.start('language') } },
};
