import type { Api } from 'grammy';
import type { ChannelCaps } from '../../core/caps.js';
import type { Choice, OutboundMessage } from '../../core/messages.js';

/** What Telegram can do (Bot API limits: 4,096 characters a message, 1,024 a caption, 100 buttons). */
export const TELEGRAM_CAPS: ChannelCaps = {
  buttons: true,
  editable: true,
  textLimit: 4096,
  captionLimit: 1024,
  photo: 'file-or-url',
  phoneButton: true,
  maxButtons: 100,
};

/** Short labels go two to a row; longer ones get a row of their own. */
export function inlineKeyboard(choices: readonly Choice[]) {
  const rows: { text: string; callback_data: string }[][] = [];
  let row: { text: string; callback_data: string }[] = [];
  for (const c of choices) {
    const button = { text: c.label, callback_data: c.value };
    if (c.label.length > 18) {
      if (row.length) rows.push(row);
      rows.push([button]);
      row = [];
      continue;
    }
    row.push(button);
    if (row.length === 2) {
      rows.push(row);
      row = [];
    }
  }
  if (row.length) rows.push(row);
  return { inline_keyboard: rows };
}

/** Renders one engine reply as sendMessage options. */
export function renderTelegram(message: OutboundMessage) {
  if (message.requestPhone) {
    return {
      text: message.text,
      other: {
        reply_markup: {
          keyboard: [[{ text: message.requestPhone.label, request_contact: true }]],
          one_time_keyboard: true,
          resize_keyboard: true,
        },
      },
    };
  }
  return {
    text: message.text,
    other: message.choices?.length ? { reply_markup: inlineKeyboard(message.choices) } : {},
  };
}

type SendOptions = NonNullable<Parameters<Api['sendMessage']>[2]>;

/**
 * Sends one engine reply. With a photo (our file_id, else its URL): the text
 * is the photo's caption when it fits in 1,024 characters; a longer text
 * follows the photo as its own message, with the buttons. `extra` goes on
 * every call (e.g. allow_paid_broadcast).
 */
export async function sendTelegram(
  api: Pick<Api, 'sendMessage' | 'sendPhoto'>,
  chatId: string,
  message: OutboundMessage,
  extra: Omit<SendOptions, 'reply_markup'> = {},
): Promise<void> {
  const { text, other } = renderTelegram(message);
  const photo = message.photo?.fileId ?? message.photo?.url;
  if (photo && text.length <= TELEGRAM_CAPS.captionLimit) {
    await api.sendPhoto(chatId, photo, { ...(text ? { caption: text } : {}), ...other, ...extra });
    return;
  }
  if (photo) await api.sendPhoto(chatId, photo, extra);
  await api.sendMessage(chatId, text, { ...other, ...extra });
}

