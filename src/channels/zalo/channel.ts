import type { i18n } from 'i18next';
import { z } from 'zod';
import { cleanText } from '../../core/text.js';
import type { InboundEvent, InboundHandler, OutboundMessage, PhotoRef } from '../../core/messages.js';
import type { Context } from 'hono';
import { translate, type Translate } from '../../i18n/index.js';
import { describeError, type Logger } from '../../log.js';
import { StartupError } from '../connect.js';
import { type EventWork, handleEvent, type Inbox, type RecordedHandler } from '../../inbox/index.js';
import { ChatQueue, jsonBody, secretMatches } from '../webhook.js';
import { isBlockedError, ZaloApi, ZaloApiError, type FetchLike } from './api.js';
import { sendZalo } from './render.js';

/** Longest webhook body accepted (a text message is well under 10 kB). */
export const ZALO_MAX_BODY = 256 * 1024;

export const ZALO_EVENTS = [
  'message.text.received',
  'message.image.received',
  'message.sticker.received',
  'message.voice.received',
  'message.unsupported.received',
] as const;
const Id = z.union([z.string().min(1), z.number()]).transform(String);

/** `message` of a webhook event (ids are strings; `date` is in milliseconds). */
export const ZaloMessage = z
  .object({
    message_id: Id,
    date: z.number().optional(),
    from: z.object({ id: Id, display_name: z.string().optional(), is_bot: z.boolean().optional() }).loose(),
    chat: z.object({ id: Id, chat_type: z.string().optional() }).loose(),
    text: z.string().optional(),
  })
  .loose();
export type ZaloMessage = z.infer<typeof ZaloMessage>;

/**
 * What `message.image.received` carries beside the ids. Assumption: the
 * image's public URL is `photo_url` (what real traffic shows; the Bot
 * Platform's docs are thin), with `photo` accepted too; `caption` is the text
 * typed with it. Only http(s) URLs are taken: they are handed to other platforms.
 */
const ZaloImage = z
  .object({
    photo_url: z.url({ protocol: /^https?$/ }).optional(),
    photo: z.url({ protocol: /^https?$/ }).optional(),
    caption: z.string().optional(),
  })
  .loose();

/** The photo of an image event (null when its URL is missing or not a URL) and its caption. */
export function zaloPhoto(m: ZaloMessage): { photo: PhotoRef; caption?: string } | null {
  const image = ZaloImage.safeParse(m);
  const url = image.success ? (image.data.photo_url ?? image.data.photo) : undefined;
  if (!url) return null;
  const caption = image.data?.caption === undefined ? undefined : cleanText(image.data.caption).trim();
  return { photo: { url }, ...(caption ? { caption } : {}) };
}

/** One event, unwrapped. `message` is checked on its own: an unsupported event may come without one. */
const Unwrapped = z.object({ event_name: z.string().min(1), message: z.unknown().optional() }).loose();
/** The documented wrapped shape `{ ok, result: { event_name, message } }`. */
const Wrapped = z.object({ ok: z.boolean().optional(), result: Unwrapped }).loose();

export interface ZaloUpdate {
  event_name: string;
  /** Absent or not in the expected shape (withheld content, unknown events). */
  message: ZaloMessage | null;
}

/** Accepts both body shapes real traffic shows; null when it is neither. */
export function parseZaloUpdate(body: unknown): ZaloUpdate | null {
  const wrapped = Wrapped.safeParse(body);
  const event = wrapped.success ? wrapped.data.result : Unwrapped.safeParse(body).data;
  if (!event) return null;
  const message = ZaloMessage.safeParse(event.message);
  return { event_name: event.event_name, message: message.success ? message.data : null };
}

export interface ZaloChannelOptions {
  token: string;
  /** ZALO_API_BASE_URL. */
  apiBase: string;
  /**
   * ZALO_WEBHOOK_SECRET (8–256 characters): the X-Bot-Api-Secret-Token every
   * webhook call must carry. Unset: every webhook call gets 401 (polling needs none).
   */
  secret: string | undefined;
  /** The engine's entry point: one inbound event in, the replies out. */
  handle: InboundHandler;
  i18n: i18n;
  log: Logger;
  fetch?: FetchLike;
  /** A ready client (tests inject one with a fast sleep). */
  api?: ZaloApi;
  /**
   * Webhook events are written to the inbox before Zalo gets its 200 and
   * handled from there (at most once by the engine, on any replica); the
   * engine's transaction marks them handled. Without it (tests of the
   * channel alone) events are handled straight away.
   */
  durable?: { inbox: Inbox; handle: RecordedHandler };
}

export interface ZaloChannel {
  /** `POST /webhooks/zalo`: writes the event to the inbox, answers, handles it after. */
  webhook: (c: Context) => Promise<Response>;
  api: ZaloApi;
  /** Handles one parsed event now, in order per chat (polling, and without an inbox); resolves when it is done. */
  handleUpdate(update: ZaloUpdate): Promise<void>;
  /** Handles an inbox event again (its handler died or failed). */
  replay(key: string): Promise<void>;
  /** Resolves when every event accepted so far is handled (tests, graceful shutdown). */
  idle(): Promise<void>;
  /** Registers `{publicUrl}/webhooks/zalo` with the secret. */
  registerWebhook(publicUrl: string): Promise<void>;
  /** getUpdates long polling until the signal aborts: local development only (deletes the webhook). */
  poll(signal: AbortSignal): Promise<void>;
}

const MEDIA: Partial<Record<string, 'photo' | 'sticker' | 'voice'>> = {
  'message.image.received': 'photo',
  'message.sticker.received': 'sticker',
  'message.voice.received': 'voice',
};

/**
 * The Zalo Bot Platform channel: parses webhook events into engine events and
 * renders replies as numbered plain text. No business rules here.
 */
export function createZaloChannel(opts: ZaloChannelOptions): ZaloChannel {
  const { handle, log } = opts;
  const api = opts.api ?? new ZaloApi({ token: opts.token, baseUrl: opts.apiBase, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  // The channel's own words (the reply hint) follow the language of each reply; Vietnamese when untold.
  const tFor = (locale = 'vi'): Translate => translate(opts.i18n, locale);
  // One event at a time per chat, in arrival order, within this process.
  const chats = new ChatQueue((err) => log.error({ event: 'zalo.update.failed', error: describeError(err) }, 'zalo update failed'));
  // Withheld-content events are counted and summarised, never logged one by one above debug.
  let unsupported = 0;
  let unsupportedLoggedAt = 0;

  /** Sends replies; a block is told to the engine; any other failure is thrown (the inbox tries again). */
  const send = async (chatId: string, userId: string, replies: readonly OutboundMessage[]): Promise<void> => {
    for (const reply of replies) {
      try {
        await sendZalo(api, chatId, reply, tFor(reply.locale));
      } catch (err) {
        if (!isBlockedError(err)) throw err;
        log.info({ channel: 'zalo' }, 'zalo: recipient blocked the bot');
        await handle({ channel: 'zalo', userId, chatId, kind: 'blocked' });
        return;
      }
    }
  };

  const noteUnsupported = () => {
    unsupported++;
    const now = Date.now();
    if (now - unsupportedLoggedAt >= 60_000) {
      log.info({ event: 'zalo.unsupported', count: unsupported }, 'zalo: content withheld by Zalo (unsupported events so far)');
      unsupportedLoggedAt = now;
    }
  };

  /** The engine's event for an update; null for what the bot does not answer through the engine. */
  const eventOf = (update: ZaloUpdate): InboundEvent | null => {
    const m = update.message;
    if (update.event_name === 'message.unsupported.received' || !m || m.from.is_bot) return null;
    if (m.chat.chat_type && m.chat.chat_type.toUpperCase() !== 'PRIVATE') {
      log.debug({ event: update.event_name }, 'zalo: group chat ignored (one-to-one service)');
      return null;
    }
    const identity = { channel: 'zalo' as const, userId: m.from.id, chatId: m.chat.id, displayName: m.from.display_name === undefined ? undefined : cleanText(m.from.display_name) };
    if (update.event_name === 'message.text.received') return { ...identity, kind: 'text', text: cleanText(m.text ?? '') };
    if (MEDIA[update.event_name] === 'photo') return { ...identity, kind: 'media', media: 'photo', ...zaloPhoto(m) };
    if (MEDIA[update.event_name]) return { ...identity, kind: 'media', media: MEDIA[update.event_name]! };
    if (update.event_name.startsWith('message.')) return { ...identity, kind: 'media', media: 'other' };
    log.debug({ event: update.event_name }, 'zalo: event ignored');
    return null;
  };

  /** Withheld content (it may be a protected child's account): a reply with what the bot can still do, and no contact stored. */
  const answerUnsupported = async (update: ZaloUpdate): Promise<void> => {
    const m = update.message;
    if (m && !m.from.is_bot) await send(m.chat.id, m.from.id, [{ text: tFor()('zalo.unsupported') }]);
  };

  const handleOne = async (update: ZaloUpdate): Promise<void> => {
    if (update.event_name === 'message.unsupported.received') return answerUnsupported(update);
    const event = eventOf(update);
    if (event) await send(event.chatId, event.userId, await handle(event));
  };

  const handleUpdate = (update: ZaloUpdate): Promise<void> => {
    if (update.event_name === 'message.unsupported.received') noteUnsupported();
    return chats.run(update.message ? `chat:${update.message.chat.id}` : null, () => handleOne(update));
  };

  const durable = opts.durable;
  const work: EventWork = {
    toEvent: (body) => {
      const update = parseZaloUpdate(body);
      return update ? eventOf(update) : null;
    },
    send: async (_chat, replies, body) => {
      const update = parseZaloUpdate(body);
      const m = update?.message;
      if (!update || !m) return;
      if (update.event_name === 'message.unsupported.received') return answerUnsupported(update);
      await send(m.chat.id, m.from.id, replies);
    },
  };
  const replay = async (key: string) => {
    if (durable) await handleEvent(durable.inbox, 'zalo', key, durable.handle, work);
  };

  const webhook = async (c: Context): Promise<Response> => {
    if (!opts.secret || !secretMatches(opts.secret, c.req.header('x-bot-api-secret-token'))) return c.body(null, 401);
    const json = await jsonBody(c);
    if (json === undefined) return c.body(null, 400);
    const update = parseZaloUpdate(json);
    if (!update) {
      log.debug('zalo: webhook body in no known shape ignored');
      return c.json({ ok: true });
    }
    const m = update.message;
    if (!durable || !m) {
      void handleUpdate(update);
      return c.json({ ok: true });
    }
    if (update.event_name === 'message.unsupported.received') noteUnsupported();
    // Written before the 200: acknowledged means it will be answered, whatever happens to this process.
    const key = `zalo:${update.event_name}:${m.message_id}`;
    if (await durable.inbox.accept({ key, channel: 'zalo', chat: m.chat.id, body: json })) {
      void chats.run(`chat:${m.chat.id}`, () => handleEvent(durable.inbox, 'zalo', key, durable.handle, work));
    }
    return c.json({ ok: true });
  };

  return {
    webhook,
    api,
    handleUpdate,
    replay,
    idle: () => chats.idle(),
    async registerWebhook(publicUrl) {
      if (!opts.secret || opts.secret.length < 8) throw new StartupError('ZALO_WEBHOOK_SECRET (8–256 characters) is needed for the Zalo webhook');
      await api.setWebhook({ url: `${publicUrl.replace(/\/+$/, '')}/webhooks/zalo`, secret_token: opts.secret });
    },
    async poll(signal) {
      await api.deleteWebhook().catch((err: unknown) => log.warn({ err: describe(err) }, 'zalo: deleteWebhook failed'));
      log.warn('zalo: getUpdates polling (local development only; use the webhook in production)');
      while (!signal.aborted) {
        try {
          const result = await api.getUpdates({ timeout: 30 });
          for (const body of Array.isArray(result) ? result : [result]) {
            const update = parseZaloUpdate(body);
            if (update) void handleUpdate(update);
          }
        } catch (err) {
          if (signal.aborted) break;
          // 408: the long poll ended with nothing new.
          if (err instanceof ZaloApiError && err.errorCode === 408) continue;
          log.warn({ err: describe(err) }, 'zalo: getUpdates failed; retrying in 5 s');
          await new Promise((r) => setTimeout(r, 5_000));
        }
      }
    },
  };
}

/** Errors logged without the request URL (it holds the token). */
function describe(err: unknown) {
  if (err instanceof ZaloApiError) return { code: err.errorCode, method: err.method, description: err.description };
  return { message: err instanceof Error ? err.message : String(err) };
}
