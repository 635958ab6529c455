import { Bot, GrammyError, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { cleanText } from '../../core/text.js';
import type { InboundEvent, InboundHandler, OutboundMessage } from '../../core/messages.js';
import type { Logger } from '../../log.js';
import { inlineKeyboard, sendTelegram } from './render.js';

/** The updates the bot asks Telegram for. */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member'] as const;

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

/** The same message edited: the new text and buttons (false when Telegram refused, e.g. a message too old to edit). */
async function replaced(ctx: Context, chatId: string, messageId: number, reply: OutboundMessage): Promise<boolean> {
  if (reply.requestPhone) return false;
  try {
    await ctx.api.editMessageText(chatId, messageId, reply.text, reply.choices?.length ? { reply_markup: inlineKeyboard(reply.choices) } : {});
    return true;
  } catch (err) {
    // Pressed twice, or the same page again: it already shows this.
    return err instanceof GrammyError && /not modified/i.test(err.description);
  }
}

const errorClass = (err: unknown) => (err instanceof Error ? err.name : typeof err);

/**
 * The Telegram channel: parses updates into engine events and renders replies
 * (inline keyboards, answered callback queries). No business rules here.
 */
export function createTelegramBot(opts: {
  token: string;
  apiRoot: string;
  /** The engine's entry point: one inbound event in, the replies out. */
  handle: InboundHandler;
  log: Logger;
  botInfo?: UserFromGetMe;
}): Bot {
  const { handle, log } = opts;
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
    displayName: cleanText([ctx.from!.first_name, ctx.from!.last_name].filter(Boolean).join(' ')),
    languageCode: ctx.from!.language_code,
  });

  /** `pressed`: the message whose button this event is, which a reply may replace or retire. */
  const deliver = async (ctx: Context, event: InboundEvent, pressed?: number) => {
    const replies = await handle(event);
    if (pressed !== undefined && replies.some((r) => r.retiresPressed) && !replies.some((r) => r.replacesPressed)) {
      await ctx.api.editMessageReplyMarkup(event.chatId, pressed).catch((err: unknown) => log.debug({ err: errorClass(err) }, 'telegram: old buttons not removed'));
    }
    for (const reply of replies) {
      try {
        if (pressed !== undefined && reply.replacesPressed && !reply.photo && (await replaced(ctx, event.chatId, pressed, reply))) continue;
        await sendTelegram(ctx.api, event.chatId, reply);
      } catch (err) {
        if (isBlockedError(err)) {
          await handle({ ...identity(ctx), kind: 'blocked' });
          return;
        }
        throw err;
      }
    }
  };

  bot.on('my_chat_member', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const status = ctx.myChatMember.new_chat_member.status;
    if (status === 'kicked') await handle({ ...identity(ctx), kind: 'blocked' });
    else if (status === 'member') await handle({ ...identity(ctx), kind: 'unblocked' });
  });

  // Only private chats: this is a one-to-one counselling service.
  const priv = bot.chatType('private');

  priv.on('callback_query:data', async (ctx) => {
    await ctx.answerCallbackQuery().catch((err) => log.warn({ err }, 'answerCallbackQuery failed'));
    await deliver(ctx, { ...identity(ctx), kind: 'choice', value: ctx.callbackQuery.data }, ctx.callbackQuery.message?.message_id);
  });
  priv.on('message:text', (ctx) => deliver(ctx, { ...identity(ctx), kind: 'text', text: cleanText(ctx.message.text) }));
  priv.on('message:contact', (ctx) => {
    const own = ctx.message.contact.user_id === ctx.from.id;
    if (!own) return deliver(ctx, { ...identity(ctx), kind: 'media', media: 'other' });
    return deliver(ctx, { ...identity(ctx), kind: 'contact', phone: ctx.message.contact.phone_number });
  });
  // A photo: its largest size (the last, by Telegram's order; compared to be sure) and caption.
  priv.on('message:photo', (ctx) => {
    const largest = ctx.message.photo.reduce((a, b) => (b.width * b.height >= a.width * a.height ? b : a));
    const caption = ctx.message.caption === undefined ? undefined : cleanText(ctx.message.caption);
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
