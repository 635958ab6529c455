import { z } from 'zod';

/**
 * A tiny typed client of the Zalo Bot Platform API, which is shaped like
 * Telegram's: `POST {base}/bot<TOKEN>/<method>` with a JSON body, answered by
 * `{ ok, result, description, error_code }`.
 *
 * 429: waits the hint (`parameters.retry_after` in seconds, else a
 * `Retry-After` header, else exponential backoff) and tries again, a bounded
 * number of times. The outbox sender builds its client with `retries: 0`: there
 * the dispatcher pauses the whole channel instead.
 */

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** A failed call: Zalo's error_code (or the HTTP status when the body said nothing). */
export class ZaloApiError extends Error {
  override readonly name = 'ZaloApiError';
  constructor(
    readonly method: string,
    readonly errorCode: number,
    readonly description: string,
    /** Seconds to wait, when Zalo said (429). */
    readonly retryAfter?: number,
  ) {
    super(`zalo ${method}: ${errorCode} ${description}`);
  }
}

/** The envelope of every answer; `result` is checked per method below. */
const Envelope = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  description: z.string().optional(),
  error_code: z.number().int().optional(),
  parameters: z.object({ retry_after: z.number().nonnegative().optional() }).loose().optional(),
});

const Id = z.union([z.string(), z.number()]).transform(String);

export const BotInfo = z.object({ id: Id, account_name: z.string().optional(), account_type: z.string().optional(), display_name: z.string().optional() }).loose();
export type BotInfo = z.infer<typeof BotInfo>;
export const SentMessage = z.object({ message_id: Id.optional(), date: z.number().optional() }).loose();
export const WebhookInfo = z.object({ url: z.string().optional(), updated_at: z.number().optional() }).loose();
const Anything = z.unknown();

export interface ZaloApiOptions {
  token: string;
  /** e.g. https://bot-api.zaloplatforms.com (the older host bot-api.zapps.me also answers). */
  baseUrl: string;
  fetch?: FetchLike;
  /** How many times a 429 is retried. Default 3; the outbox sender uses 0. */
  retries?: number;
  /** A hint longer than this is not slept out here: the error goes up. Default 60 s. */
  maxRetryDelayMs?: number;
  /** Per-request timeout. Default 15 s. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ZaloApi {
  private readonly root: string;
  private readonly fetch: FetchLike;
  private readonly retries: number;
  private readonly maxRetryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: ZaloApiOptions) {
    this.root = `${opts.baseUrl.replace(/\/+$/, '')}/bot${opts.token}`;
    this.fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retries = opts.retries ?? 3;
    this.maxRetryDelayMs = opts.maxRetryDelayMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.sleep = opts.sleep ?? realSleep;
  }

  getMe() {
    return this.call('getMe', {}, BotInfo);
  }
  setWebhook(params: { url: string; secret_token: string }) {
    return this.call('setWebhook', params, Anything);
  }
  deleteWebhook() {
    return this.call('deleteWebhook', {}, Anything);
  }
  getWebhookInfo() {
    return this.call('getWebhookInfo', {}, WebhookInfo);
  }
  sendMessage(chatId: string, text: string) {
    return this.call('sendMessage', { chat_id: chatId, text }, SentMessage);
  }
  sendPhoto(chatId: string, photo: string, caption?: string) {
    return this.call('sendPhoto', { chat_id: chatId, photo, ...(caption ? { caption } : {}) }, SentMessage);
  }
  sendChatAction(chatId: string, action: 'typing' = 'typing') {
    return this.call('sendChatAction', { chat_id: chatId, action }, Anything);
  }
  /** Long polling, for local development only (the webhook must be deleted first). */
  getUpdates(params: { timeout: number }) {
    return this.call('getUpdates', params, Anything, (params.timeout + 10) * 1000);
  }

  /** One method call, with the bounded 429 retry. */
  async call<S extends z.ZodType>(method: string, body: object, schema: S, timeoutMs = this.timeoutMs): Promise<z.output<S>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(method, body, schema, timeoutMs);
      } catch (err) {
        if (!(err instanceof ZaloApiError) || err.errorCode !== 429 || attempt >= this.retries) throw err;
        const delay = err.retryAfter !== undefined ? err.retryAfter * 1000 : 1000 * 2 ** attempt;
        if (delay > this.maxRetryDelayMs) throw err;
        await this.sleep(delay);
      }
    }
  }

  private async once<S extends z.ZodType>(method: string, body: object, schema: S, timeoutMs: number): Promise<z.output<S>> {
    const res = await this.fetch(`${this.root}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const raw = await res.text();
    let json: unknown;
    try {
      json = raw ? JSON.parse(raw) : undefined;
    } catch {
      json = undefined;
    }
    const envelope = Envelope.safeParse(json);
    const headerDelay = retryAfterHeader(res.headers.get('retry-after'));
    if (!envelope.success) {
      throw new ZaloApiError(method, res.ok ? 502 : res.status, `unexpected answer (HTTP ${res.status})`, res.status === 429 ? headerDelay : undefined);
    }
    const e = envelope.data;
    if (!e.ok || !res.ok) {
      const code = e.error_code ?? (res.ok ? 400 : res.status);
      const retryAfter = e.parameters?.retry_after ?? headerDelay;
      throw new ZaloApiError(method, code, e.description ?? `HTTP ${res.status}`, code === 429 ? retryAfter : undefined);
    }
    const result = schema.safeParse(e.result);
    if (!result.success) throw new ZaloApiError(method, 502, `unexpected result: ${result.error.message}`);
    return result.data;
  }
}

/** Seconds from a Retry-After header (seconds or an HTTP date). */
function retryAfterHeader(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/**
 * Did the send fail because the person blocked or left the bot? The Bot
 * Platform's codes for this are not documented; assumed: HTTP/error_code 403,
 * or a description that says blocked / not following (English or Vietnamese).
 */
export function isBlockedError(err: unknown): boolean {
  if (!(err instanceof ZaloApiError)) return false;
  if (err.errorCode === 403) return true;
  return /block|unfollow|not\s*follow|chặn|bỏ theo dõi|chưa quan tâm/i.test(err.description);
}
