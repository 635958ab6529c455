import { GrammyError, type Api } from 'grammy';
import type { MessageEditor } from '../../core/messages.js';
import { inlineKeyboard } from './render.js';

/** Messages that change in place on Telegram: sendMessage once, then editMessageText. */
export function telegramEditor(api: Pick<Api, 'sendMessage' | 'editMessageText'>): MessageEditor {
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
