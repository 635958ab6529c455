import { Bot, GrammyError, type Api, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import type { Engine } from '../engine/engine.js';
import type { Choice, InboundEvent, OutboundMessage } from '../engine/types.js';
import type { Logger } from '../log.js';

/** The updates the bot asks Telegram for. */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member'] as const;

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

/** Telegram's longest photo caption (sendPhoto); plain messages take 4,096. */
export const TELEGRAM_CAPTION_LIMIT = 1024;

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
  if (photo && text.length <= TELEGRAM_CAPTION_LIMIT) {
    await api.sendPhoto(chatId, photo, { ...(text ? { caption: text } : {}), ...other, ...extra });
    return;
  }
  if (photo) await api.sendPhoto(chatId, photo, extra);
  await api.sendMessage(chatId, text, { ...other, ...extra });
}

const isBlockedError = (err: unknown) =>
  err instanceof GrammyError && err.error_code === 403;

/** A tiny memory of recent update ids: Telegram redelivers webhooks that were slow. */
function recentIds(limit = 5000) {
  const seen = new Set<number>();
  return (id: number): boolean => {
    if (seen.has(id)) return true;
    seen.add(id);
    if (seen.size > limit) seen.delete(seen.values().next().value as number);
    return false;
  };
}

/**
 * The Telegram channel: parses updates into engine events and renders replies
 * (inline keyboards, answered callback queries). No business rules here.
 */
export function createTelegramBot(opts: {
  token: string;
  apiRoot: string;
  engine: Engine;
  log: Logger;
  botInfo?: UserFromGetMe;
}): Bot {
  const { engine, log } = opts;
  const bot = new Bot(opts.token, { client: { apiRoot: opts.apiRoot }, ...(opts.botInfo ? { botInfo: opts.botInfo } : {}) });
  // 429: wait `retry_after` and try again (per request; the dispatcher keeps the shared pause).
  bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 120 }));

  const duplicate = recentIds();
  bot.use(async (ctx, next) => {
    if (duplicate(ctx.update.update_id)) return;
    await next();
  });
  // One update at a time per chat within this process; the engine's advisory lock covers replicas.
  bot.use(sequentialize((ctx: Context) => ctx.chat?.id.toString() ?? ctx.from?.id.toString()));

  const identity = (ctx: Context) => ({
    channel: 'telegram' as const,
    userId: String(ctx.from!.id),
    chatId: String(ctx.chat?.id ?? ctx.from!.id),
    displayName: [ctx.from!.first_name, ctx.from!.last_name].filter(Boolean).join(' '),
    languageCode: ctx.from!.language_code,
  });

  const deliver = async (ctx: Context, event: InboundEvent) => {
    const replies = await engine.handle(event);
    for (const reply of replies) {
      try {
        await sendTelegram(ctx.api, event.chatId, reply);
      } catch (err) {
        if (isBlockedError(err)) {
          await engine.markBlocked('telegram', event.userId);
          return;
        }
        throw err;
      }
    }
  };

  bot.on('my_chat_member', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const status = ctx.myChatMember.new_chat_member.status;
    if (status === 'kicked') await engine.handle({ ...identity(ctx), kind: 'blocked' });
    else if (status === 'member') await engine.handle({ ...identity(ctx), kind: 'unblocked' });
  });

  // Only private chats: this is a one-to-one counselling service.
  const priv = bot.chatType('private');

  priv.on('callback_query:data', async (ctx) => {
    await ctx.answerCallbackQuery().catch((err) => log.warn({ err }, 'answerCallbackQuery failed'));
    await deliver(ctx, { ...identity(ctx), kind: 'choice', value: ctx.callbackQuery.data });
  });
  priv.on('message:text', (ctx) => deliver(ctx, { ...identity(ctx), kind: 'text', text: ctx.message.text }));
  priv.on('message:contact', (ctx) => {
    const own = ctx.message.contact.user_id === ctx.from.id;
    if (!own) return deliver(ctx, { ...identity(ctx), kind: 'media', media: 'other' });
    return deliver(ctx, { ...identity(ctx), kind: 'contact', phone: ctx.message.contact.phone_number });
  });
  // A photo: its largest size (the last, by Telegram's order; compared to be sure) and caption.
  priv.on('message:photo', (ctx) => {
    const largest = ctx.message.photo.reduce((a, b) => (b.width * b.height >= a.width * a.height ? b : a));
    const caption = ctx.message.caption;
    return deliver(ctx, { ...identity(ctx), kind: 'media', media: 'photo', photo: { fileId: largest.file_id }, ...(caption ? { caption } : {}) });
  });
  priv.on('message', (ctx) => {
    const m = ctx.message;
    const media = m.sticker ? 'sticker' : m.photo ? 'photo' : m.voice || m.audio ? 'voice' : m.video || m.video_note || m.animation ? 'video' : m.document ? 'document' : m.location ? 'location' : 'other';
    return deliver(ctx, { ...identity(ctx), kind: 'media', media });
  });

  bot.catch((err) => log.error({ err: err.error, update_id: err.ctx.update.update_id }, 'telegram update failed'));
  return bot;
}
