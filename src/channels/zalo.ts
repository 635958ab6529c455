import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { i18n } from 'i18next';
import { z } from 'zod';
import type { Engine } from '../engine/engine.js';
import type { InboundEvent, OutboundMessage, PhotoRef } from '../engine/types.js';
import type { Handler } from '../http/server.js';
import { translator } from '../i18n/index.js';
import type { Logger } from '../log.js';
import { renderPlain } from './terminal.js';
import { isBlockedError, ZaloApi, ZaloApiError, type FetchLike } from './zalo-api.js';

/** Zalo messages carry at most 2,000 characters. */
export const ZALO_TEXT_LIMIT = 2000;
/** sendPhoto's caption limit is not documented: assumed to be the text limit (a longer text follows the photo). */
export const ZALO_CAPTION_LIMIT = ZALO_TEXT_LIMIT;
/** Longest webhook body accepted (a text message is well under 10 kB). */
const MAX_BODY = 256 * 1024;

export const ZALO_EVENTS = [
  'message.text.received',
  'message.image.received',
  'message.sticker.received',
  'message.voice.received',
  'message.unsupported.received',
] as const;
export type ZaloEventName = (typeof ZALO_EVENTS)[number];

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
  const caption = image.data?.caption?.trim();
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

/** The numbered-choice hint in a locale: "Trả lời 1, 2 hoặc 3". */
export function replyHint(t: (key: string, params?: Record<string, unknown>) => string, count: number): string {
  if (count <= 1) return t('zalo.replyHintOne');
  if (count > 5) return t('zalo.replyHintRange', { max: count });
  const numbers = Array.from({ length: count }, (_, i) => String(i + 1));
  return t('zalo.replyHint', { list: numbers.slice(0, -1).join(', '), last: numbers.at(-1) });
}

/**
 * One engine reply as Zalo text: the terminal's numbered lines, then the hint.
 * Zalo has no share-phone button, so a phone request asks the person to type it.
 */
export function renderZalo(message: OutboundMessage, t: (key: string, params?: Record<string, unknown>) => string): string {
  const lines = [renderPlain(message)];
  if (message.choices?.length) lines.push('', replyHint(t, message.choices.length));
  if (message.requestPhone) lines.push('', t('zalo.typePhone'));
  return lines.join('\n');
}

/**
 * Sends one engine reply. With a photo that has a URL (Zalo takes nothing
 * else): the text as its caption when it fits, else the photo then the text
 * in pieces; without one, the text alone.
 */
export async function sendZalo(
  api: Pick<ZaloApi, 'sendMessage' | 'sendPhoto'>,
  chatId: string,
  message: OutboundMessage,
  t: (key: string, params?: Record<string, unknown>) => string,
): Promise<void> {
  const text = renderZalo(message, t);
  const url = message.photo?.url;
  if (url && text.length <= ZALO_CAPTION_LIMIT) {
    await api.sendPhoto(chatId, url, text);
    return;
  }
  if (url) await api.sendPhoto(chatId, url);
  for (const piece of splitMessage(text)) await api.sendMessage(chatId, piece);
}

/**
 * Splits text into pieces of at most `limit` characters, cutting at the last
 * paragraph, line or sentence end in the second half of the allowance, else at
 * the last sentence end, else at the last space (a word boundary); a hard cut
 * only inside one enormous word, never inside a surrogate pair.
 */
export function splitMessage(text: string, limit = ZALO_TEXT_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  const half = Math.floor(limit / 2);
  const sentence = /[.!?…]["'”’)»]*\s/g;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    const cut =
      lastBreak(window, /\n\s*\n/g, half) ??
      lastBreak(window, /\n/g, half) ??
      lastBreak(window, sentence, half) ??
      lastBreak(window, sentence, 1) ??
      lastBreak(window, /\s/g, 1) ??
      hardCut(rest, limit);
    const head = rest.slice(0, cut).trimEnd();
    if (head) parts.push(head);
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

/**
 * Where to cut after the last match in `window` (its length is limit + 1): after
 * a sentence mark, before whitespace. Null when no match leaves a head of
 * `min`..limit characters.
 */
function lastBreak(window: string, re: RegExp, min: number): number | null {
  const limit = window.length - 1;
  let best: number | null = null;
  for (const m of window.matchAll(re)) {
    const at = m.index + m[0].trimEnd().length;
    if (at >= min && at <= limit) best = at;
  }
  return best;
}

function hardCut(text: string, limit: number): number {
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/**
 * Recent event keys (`event_name:message_id`): Zalo redelivers events that were
 * slow or failed. In memory, per process. Several replicas behind a load
 * balancer would need a shared memory instead: an `INSERT … ON CONFLICT DO
 * NOTHING` into a small Postgres table of recent keys (pruned after a day), or
 * sticky routing by chat; the engine's per-contact lock keeps order either way.
 */
function recentKeys(limit: number) {
  const seen = new Set<string>();
  return (key: string): boolean => {
    if (seen.has(key)) return true;
    seen.add(key);
    if (seen.size > limit) seen.delete(seen.values().next().value as string);
    return false;
  };
}

/** Constant-time comparison that leaks neither content nor length (both sides hashed to 32 bytes). */
export function secretMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
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
  engine: Pick<Engine, 'handle' | 'markBlocked'>;
  i18n: i18n;
  log: Logger;
  fetch?: FetchLike;
  /** A ready client (tests inject one with a fast sleep). */
  api?: ZaloApi;
  /** Event keys remembered for redelivery. Default 10,000. */
  dedupeSize?: number;
}

export interface ZaloChannel {
  /** `POST /webhooks/zalo`: answers at once, handles the event after. */
  webhook: Handler;
  api: ZaloApi;
  /** Handles one parsed event (deduplicated, in order per chat); resolves when it is done. */
  handleUpdate(update: ZaloUpdate): Promise<void>;
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
  const { engine, log } = opts;
  const api = opts.api ?? new ZaloApi({ token: opts.token, baseUrl: opts.apiBase, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  // The channel's own words (the reply hint) follow the language of each reply; Vietnamese when untold.
  const tFor = (locale = 'vi') => translator(opts.i18n, locale) as unknown as (key: string, params?: Record<string, unknown>) => string;
  const duplicate = recentKeys(opts.dedupeSize ?? 10_000);
  const pending = new Set<Promise<void>>();
  // One event at a time per chat, in arrival order, within this process.
  const chains = new Map<string, Promise<void>>();
  // Withheld-content events are counted and summarised, never logged one by one above debug.
  let unsupported = 0;
  let unsupportedLoggedAt = 0;

  const send = async (chatId: string, userId: string, replies: OutboundMessage[]): Promise<void> => {
    for (const reply of replies) {
      try {
        await sendZalo(api, chatId, reply, tFor(reply.locale));
      } catch (err) {
        if (isBlockedError(err)) {
          log.info({ channel: 'zalo' }, 'zalo: recipient blocked the bot');
          await engine.markBlocked('zalo', userId);
        } else {
          log.warn({ err: describe(err), channel: 'zalo' }, 'zalo: send failed');
        }
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

  const handleOne = async (update: ZaloUpdate): Promise<void> => {
    const m = update.message;
    if (update.event_name === 'message.unsupported.received') {
      noteUnsupported();
      // Nothing is stored for such a sender (it may be a protected child account): a reply, no contact.
      if (m && !m.from.is_bot) await send(m.chat.id, m.from.id, [{ text: tFor()('zalo.unsupported') }]);
      return;
    }
    if (!m) {
      log.debug({ event: update.event_name }, 'zalo: event without a message ignored');
      return;
    }
    if (m.from.is_bot) return;
    if (m.chat.chat_type && m.chat.chat_type.toUpperCase() !== 'PRIVATE') {
      log.debug({ event: update.event_name }, 'zalo: group chat ignored (one-to-one service)');
      return;
    }
    const identity = { channel: 'zalo' as const, userId: m.from.id, chatId: m.chat.id, displayName: m.from.display_name };
    let event: InboundEvent;
    if (update.event_name === 'message.text.received') event = { ...identity, kind: 'text', text: m.text ?? '' };
    else if (MEDIA[update.event_name] === 'photo') event = { ...identity, kind: 'media', media: 'photo', ...zaloPhoto(m) };
    else if (MEDIA[update.event_name]) event = { ...identity, kind: 'media', media: MEDIA[update.event_name]! };
    else if (update.event_name.startsWith('message.')) event = { ...identity, kind: 'media', media: 'other' };
    else {
      log.debug({ event: update.event_name }, 'zalo: event ignored');
      return;
    }
    await send(m.chat.id, m.from.id, await engine.handle(event));
  };

  const handleUpdate = (update: ZaloUpdate): Promise<void> => {
    const m = update.message;
    if (m && duplicate(`${update.event_name}:${m.message_id}`)) return Promise.resolve();
    const key = m ? `chat:${m.chat.id}` : `anon:${Math.random()}`;
    const run = (chains.get(key) ?? Promise.resolve())
      .then(() => handleOne(update))
      .catch((err: unknown) => log.error({ err, event: update.event_name }, 'zalo update failed'));
    chains.set(key, run);
    const tracked = run.finally(() => {
      pending.delete(tracked);
      if (chains.get(key) === run) chains.delete(key);
    });
    pending.add(tracked);
    return tracked;
  };

  const webhook: Handler = async (req, res) => {
    if (!opts.secret || !secretMatches(opts.secret, req.headers['x-bot-api-secret-token'])) {
      req.resume();
      res.writeHead(401).end();
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(await readBody(req, MAX_BODY));
    } catch {
      if (!res.headersSent) res.writeHead(400).end();
      return;
    }
    const update = parseZaloUpdate(json);
    // Answer first: the platform must not wait for the engine (it redelivers slow calls).
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    if (!update) {
      log.debug('zalo: webhook body in no known shape ignored');
      return;
    }
    void handleUpdate(update);
  };

  return {
    webhook,
    api,
    handleUpdate,
    async idle() {
      while (pending.size) await Promise.all([...pending]);
    },
    async registerWebhook(publicUrl) {
      if (!opts.secret || opts.secret.length < 8) throw new Error('ZALO_WEBHOOK_SECRET (8–256 characters) is needed for the Zalo webhook');
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
