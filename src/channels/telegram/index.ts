import { run, type RunnerHandle } from '@grammyjs/runner';
import { Api, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import type { Hono } from 'hono';
import { onlyMethods } from '../../http/server.js';
import { bodyLimit } from 'hono/body-limit';
import { telegramWebhookMode } from '../../config/env.js';
import { connect } from '../connect.js';
import type { ChannelPlugin, ChannelRuntime } from '../plugin.js';
import type { InboundHandler } from '../../core/messages.js';
import { type EventWork, handleEvent, type Inbox, type RecordedHandler } from '../../inbox/index.js';
import { describeError, type Logger } from '../../log.js';
import { ChatQueue, jsonBody, secretMatches, tooLarge } from '../webhook.js';
import { ALLOWED_UPDATES, createTelegramBot, sendReplies, telegramUpdate } from './bot.js';
import { telegramFileFetcher } from './media.js';
import { telegramEditor } from './progress.js';
import { TELEGRAM_CAPS } from './render.js';
import { createTelegramSender, telegramLimits } from './sender.js';

/** Longest webhook body accepted from Telegram (an update is a few kB; a big album caption well under this). */
export const TELEGRAM_MAX_BODY = 1024 * 1024;

/** The webhook's side of the channel: durable (the inbox), in order per chat, answered from stored replies after a crash. */
export interface TelegramWebhook {
  /** Handles an inbox event (its first handling, or a replay). */
  process(key: string): Promise<void>;
  /** Resolves when every event taken in so far is handled (tests, a graceful stop). */
  idle(): Promise<void>;
}

/**
 * `POST /webhooks/telegram`: with the secret Telegram was given (else 401), a
 * JSON update (else 400), at most 1 MB (else 413). The update is written to
 * the inbox before the 200, so an acknowledged update is answered whatever
 * happens to this process, and a redelivered one (same update_id) only once.
 */
export function telegramWebhook(http: Hono, o: { api: Api; secret: string; inbox: Inbox; handle: RecordedHandler; blocked: InboundHandler; log: Logger }): TelegramWebhook {
  const chats = new ChatQueue((err) => o.log.error({ event: 'telegram.update.failed', error: describeError(err) }, 'telegram update failed'));
  const work: EventWork = {
    toEvent: (body) => telegramUpdate(body as Update)?.event ?? null,
    send: async (_chat, replies, body) => {
      const update = telegramUpdate(body as Update);
      if (update) await sendReplies({ api: o.api, update, replies, handle: o.blocked, log: o.log });
    },
  };
  const process = (key: string) => handleEvent(o.inbox, 'telegram', key, o.handle, work);
  http.post('/webhooks/telegram', bodyLimit({ maxSize: TELEGRAM_MAX_BODY, onError: tooLarge }), async (c) => {
    if (!secretMatches(o.secret, c.req.header('x-telegram-bot-api-secret-token'))) return c.body(null, 401);
    const body = await jsonBody(c);
    const id = (body as { update_id?: unknown } | undefined)?.update_id;
    if (!Number.isSafeInteger(id)) return c.body(null, 400);
    const update = telegramUpdate(body as Update);
    const key = `telegram:${id}`;
    const chat = update?.event.chatId ?? `update:${id}`;
    if (await o.inbox.accept({ key, channel: 'telegram', chat, body })) {
      // The spinner on a pressed button stops at once, whatever the engine takes.
      if (update?.callbackId) void o.api.answerCallbackQuery(update.callbackId).catch((err: unknown) => o.log.warn({ error: describeError(err) }, 'telegram: answerCallbackQuery failed'));
      void chats.run(chat, () => process(key));
    }
    return c.json({ ok: true });
  });
  onlyMethods(http, '/webhooks/telegram', ['POST']);
  return { process, idle: () => chats.idle() };
}


/**
 * Telegram through grammY: long polling (one process per token) or, with
 * PUBLIC_URL and TELEGRAM_WEBHOOK_SECRET, the webhook at POST /webhooks/telegram.
 * It fetches its authors' broadcast photos back for the bot to host them for
 * channels that take only a URL (Zalo).
 */
export const telegramChannel: ChannelPlugin = {
  name: 'telegram',
  caps: TELEGRAM_CAPS,
  enabled: (config) => Boolean(config.TELEGRAM_BOT_TOKEN),
  create(deps): ChannelRuntime {
    const { config, log } = deps;
    const token = config.TELEGRAM_BOT_TOKEN!;
    const apiRoot = config.TELEGRAM_API_ROOT;
    const bot = createTelegramBot({ token, apiRoot, handle: deps.handle, log });
    // The outbox sends without auto-retry: a 429 pauses the whole channel for every replica instead.
    const api = new Api(token, { apiRoot });
    const webhook = telegramWebhookMode(config);
    let runner: RunnerHandle | null = null;
    let hook: TelegramWebhook | null = null;
    return {
      name: 'telegram',
      caps: TELEGRAM_CAPS,
      outbox: {
        sender: createTelegramSender(api, deps.render, { paidBroadcast: config.TELEGRAM_PAID_BROADCAST }),
        limits: telegramLimits({ paidBroadcast: config.TELEGRAM_PAID_BROADCAST }),
      },
      editor: telegramEditor(api),
      files: telegramFileFetcher({ api, token, apiRoot, ...(deps.fetch ? { fetch: deps.fetch } : {}) }),
      routes(http) {
        if (webhook) {
          hook = telegramWebhook(http, { api: bot.api, secret: config.TELEGRAM_WEBHOOK_SECRET!, inbox: deps.inbox, handle: deps.handleRecorded, blocked: deps.handle, log });
        }
      },
      async start() {
        const retry = { channel: 'telegram', log, timeoutMs: config.STARTUP_TIMEOUT_SECONDS * 1000, refused: telegramRefused };
        // grammY types its signal with the abort-controller shim; a native AbortSignal is what it checks for at run time.
        const shim = (signal: AbortSignal) => signal as unknown as Parameters<typeof bot.init>[0];
        // Not bot.init() nor the bot's auto-retrying client: they retry forever, silently. Here each retry is logged and the wait bounded.
        bot.botInfo = await connect('getMe', (signal) => api.getMe(shim(signal)), retry);
        if (webhook) {
          const url = `${config.PUBLIC_URL!.replace(/\/$/, '')}/webhooks/telegram`;
          const options = { secret_token: config.TELEGRAM_WEBHOOK_SECRET!, allowed_updates: [...ALLOWED_UPDATES] };
          await connect('setWebhook', (signal) => api.setWebhook(url, options, shim(signal)), retry);
          log.info({ username: bot.botInfo.username }, 'telegram: webhook mode');
          return;
        }
        await connect('deleteWebhook', (signal) => api.deleteWebhook(undefined, shim(signal)), retry);
        runner = run(bot, { runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] } } });
        log.info({ username: bot.botInfo.username }, 'telegram: long polling');
      },
      replay: async (key) => hook?.process(key),
      async stop() {
        if (runner?.isRunning()) await runner.stop();
        await hook?.idle();
      },
    };
  },
};

/** Telegram's own "no" (a 4xx other than 429) is final: retrying a refused token or a refused webhook URL changes nothing. */
export function telegramRefused(err: unknown): string | null {
  if (!(err instanceof GrammyError) || err.error_code === 429 || err.error_code >= 500) return null;
  if (err.error_code === 401 || err.error_code === 404) return `TELEGRAM_BOT_TOKEN was refused (${err.error_code} ${err.description}): copy the token again from @BotFather.`;
  return `${err.method} was refused (${err.error_code} ${err.description}).`;
}
