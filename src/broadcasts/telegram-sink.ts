import { GrammyError, type Api } from 'grammy';
import { inlineKeyboard } from '../channels/telegram.js';
import type { ProgressSink } from './progress.js';

/** The status message on Telegram: sendMessage once, then editMessageText. */
export function telegramProgressSink(api: Pick<Api, 'sendMessage' | 'editMessageText'>): ProgressSink {
  const markup = (choices: Parameters<typeof inlineKeyboard>[0]) => (choices.length ? { reply_markup: inlineKeyboard(choices) } : {});
  return {
    async post(chatId, text, choices) {
      const m = await api.sendMessage(chatId, text, markup(choices));
      return String(m.message_id);
    },
    async edit(chatId, messageId, text, choices) {
      try {
        await api.editMessageText(chatId, Number(messageId), text, markup(choices));
      } catch (err) {
        // Same words again (two replicas, a restart): nothing to change.
        if (err instanceof GrammyError && err.error_code === 400 && /not modified/i.test(err.description)) return;
        throw err;
      }
    },
  };
}
