import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { type Api, Bot, type Context, GrammyError } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { InboundEvent, InboundHandler, MediaKind, OutboundMessage } from '../../core/messages.js';
import { cleanText } from '../../core/text.js';
import { describeError } from '../../log.js';
import type { Logger } from '../../log.js';
import { inlineKeyboard, sendTelegram } from './render.js';

/** The updates the bot asks Telegram for. */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member'] as const;

/** An update, read: the engine's event, and for a pressed button its callback and the message it was on. */
export interface TelegramUpdate {
  event: InboundEvent;
  /** The pressed button's callback query, answered at once (the spinner stops). */
  callbackId?: string;
  /** The message the pressed button was on (a reply may replace it or retire its buttons). */
  pressed?: number;
}

/**
 * Reads an update as the engine needs it; null for what the bot does not
 * answer (groups: this is a one-to-one service; other kinds of update).
 * Text from Telegram is cleaned here, at the boundary (no NUL, no half emoji).
 */
export function telegramUpdate(update: Update): TelegramUpdate | null {
  const member = update.my_chat_member;
  if (member) {
    if (member.chat.type !== 'private') return null;
    const status = member.new_chat_member.status;
    const kind = status === 'kicked' ? 'blocked' : status === 'member' ? 'unblocked' : null;
    return kind ? { event: { ...identity(member.from, member.chat.id), kind } } : null;
  }
  const cb = update.callback_query;
  if (cb) {
    if (cb.message && cb.message.chat.type !== 'private') return null;
    if (cb.data === undefined) return null;
    const chat = cb.message?.chat.id ?? cb.from.id;
    return { event: { ...identity(cb.from, chat), kind: 'choice', value: cb.data }, callbackId: cb.id, ...(cb.message ? { pressed: cb.message.message_id } : {}) };
  }
  const m = update.message;
  if (m?.chat.type !== 'private' || !m.from) return null;
  const who = identity(m.from, m.chat.id);
  if (m.text !== undefined) return { event: { ...who, kind: 'text', text: cleanText(m.text) } };
  if (m.contact) {
    // Only one's own number: a contact card of someone else is not theirs to give.
    if (m.contact.user_id !== m.from.id) return { event: { ...who, kind: 'media', media: 'other' } };
    return { event: { ...who, kind: 'contact', phone: m.contact.phone_number } };
  }
  if (m.photo?.length) {
    // The largest size (the last, by Telegram's order; compared to be sure) and the caption.
    const largest = m.photo.reduce((a, b) => (b.width * b.height >= a.width * a.height ? b : a));
    const caption = m.caption === undefined ? undefined : cleanText(m.caption);
    return { event: { ...who, kind: 'media', media: 'photo', photo: { fileId: largest.file_id }, ...(caption ? { caption } : {}) } };
  }
  const media: MediaKind = m.sticker
    ? 'sticker'
    : m.voice || m.audio
      ? 'voice'
      : m.video || m.video_note || m.animation
        ? 'video'
        : m.document
          ? 'document'
          : m.location
            ? 'location'
            : 'other';
  return { event: { ...who, kind: 'media', media } };
}

function identity(from: { id: number; first_name: string; last_name?: string; language_code?: string }, chat: number) {
  return {
    channel: 'telegram' as const,
    userId: String(from.id),
    chatId: String(chat),
    displayName: cleanText([from.first_name, from.last_name].filter(Boolean).join(' ')),
    languageCode: from.language_code,
  };
}

const isBlockedError = (err: unknown) => err instanceof GrammyError && err.error_code === 403;

/** The same message edited: the new text and buttons (false when Telegram refused, e.g. a message too old to edit). */
async function replaced(api: Api, chatId: string, messageId: number, reply: OutboundMessage): Promise<boolean> {
  if (reply.requestPhone) return false;
  try {
    await api.editMessageText(chatId, messageId, reply.text, reply.choices?.length ? { reply_markup: inlineKeyboard(reply.choices) } : {});
    return true;
  } catch (err) {
    // Pressed twice, or the same page again: it already shows this.
    return err instanceof GrammyError && /not modified/i.test(err.description);
  }
}

/**
 * Sends an event's replies to its chat: in place of the pressed message where
 * a reply replaces it, its buttons removed where a reply retires it. A 403
 * (the person blocked the bot) is told to the engine and ends the sending;
 * any other failure is thrown (the inbox tries again).
 */
export async function sendReplies(o: {
  api: Api;
  update: TelegramUpdate;
  replies: readonly OutboundMessage[];
  handle: InboundHandler;
  log: Logger;
}): Promise<void> {
  const { api, update, replies, log } = o;
  const { event, pressed } = update;
  if (pressed !== undefined && replies.some((r) => r.retiresPressed) && !replies.some((r) => r.replacesPressed)) {
    await api.editMessageReplyMarkup(event.chatId, pressed).catch((err: unknown) => log.debug({ error: describeError(err) }, 'telegram: old buttons not removed'));
  }
  for (const reply of replies) {
    try {
      if (pressed !== undefined && reply.replacesPressed && !reply.photo && (await replaced(api, event.chatId, pressed, reply))) continue;
      await sendTelegram(api, event.chatId, reply);
    } catch (err) {
      if (!isBlockedError(err)) throw err;
      await o.handle({ channel: event.channel, userId: event.userId, chatId: event.chatId, kind: 'blocked' });
      return;
    }
  }
}

/**
 * The Telegram channel through grammY: reads updates into engine events and
 * renders replies (inline keyboards, answered callback queries). No business
 * rules here. Used as is by long polling; the webhook goes through the inbox
 * (index.ts) and uses telegramUpdate and sendReplies directly.
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
  // One update at a time per chat within this process; the engine's advisory lock covers replicas.
  bot.use(sequentialize((ctx: Context) => ctx.chat?.id.toString() ?? ctx.from?.id.toString()));
  bot.use(async (ctx) => {
    const update = telegramUpdate(ctx.update);
    if (!update) return;
    if (update.callbackId) await ctx.api.answerCallbackQuery(update.callbackId).catch((err: unknown) => log.warn({ error: describeError(err) }, 'telegram: answerCallbackQuery failed'));
    if (update.event.kind === 'blocked' || update.event.kind === 'unblocked') {
      await handle(update.event);
      return;
    }
    await sendReplies({ api: ctx.api, update, replies: await handle(update.event), handle, log });
  });
  // Logged without the update's contents or the error's message (it may hold the token): its id, kind and class.
  bot.catch((err) => log.error({ event: 'telegram.update.failed', update_id: err.ctx.update.update_id, kind: updateKind(err.ctx.update), error: describeError(err.error) }, 'telegram update failed'));
  return bot;
}

/** The kind of an update, for logs. */
export const updateKind = (u: Update): string => Object.keys(u).find((k) => k !== 'update_id') ?? 'unknown';
