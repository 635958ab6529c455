import { run, type RunnerHandle } from '@grammyjs/runner';
import { Api, type Bot, webhookCallback } from 'grammy';
import type { Hono } from 'hono';
import { onlyMethods } from '../../http/server.js';
import { bodyLimit } from 'hono/body-limit';
import { telegramWebhookMode } from '../../config/env.js';
import type { ChannelPlugin, ChannelRuntime } from '../plugin.js';
import { ALLOWED_UPDATES, createTelegramBot } from './bot.js';
import { telegramFileFetcher } from './media.js';
import { telegramEditor } from './progress.js';
import { TELEGRAM_CAPS } from './render.js';
import { createTelegramSender, telegramLimits } from './sender.js';

/** Longest webhook body accepted from Telegram (an update is a few kB; a big album caption well under this). */
export const TELEGRAM_MAX_BODY = 1024 * 1024;

/** `POST /webhooks/telegram`: the bot's updates, with the secret Telegram was given (else 401). */
export function telegramWebhook(http: Hono, bot: Bot, secretToken: string): void {
  http.post(
    '/webhooks/telegram',
    bodyLimit({ maxSize: TELEGRAM_MAX_BODY, onError: (c) => c.body(null, 413) }),
    webhookCallback(bot, 'hono', { secretToken, onTimeout: 'return' }),
  );
  onlyMethods(http, '/webhooks/telegram', ['POST']);
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
        if (webhook) telegramWebhook(http, bot, config.TELEGRAM_WEBHOOK_SECRET!);
      },
      async start() {
        await bot.init();
        if (webhook) {
          await bot.api.setWebhook(`${config.PUBLIC_URL!.replace(/\/$/, '')}/webhooks/telegram`, {
            secret_token: config.TELEGRAM_WEBHOOK_SECRET!,
            allowed_updates: [...ALLOWED_UPDATES],
          });
          log.info({ username: bot.botInfo.username }, 'telegram: webhook mode');
          return;
        }
        await bot.api.deleteWebhook();
        runner = run(bot, { runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] } } });
        log.info({ username: bot.botInfo.username }, 'telegram: long polling');
      },
      async stop() {
        if (runner?.isRunning()) await runner.stop();
      },
    };
  },
};
