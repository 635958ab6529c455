import { Bot, GrammyError, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { cleanText } from '../../core/text.js';
import type { InboundEvent, InboundHandler } from '../../core/messages.js';
import type { Logger } from '../../log.js';
import { sendTelegram } from './render.js';

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

  const deliver = async (ctx: Context, event: InboundEvent) => {
    const replies = await handle(event);
    for (const reply of replies) {
      try {
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
    await deliver(ctx, { ...identity(ctx), kind: 'choice', value: ctx.callbackQuery.data });
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
