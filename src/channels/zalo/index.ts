import { bodyLimit } from 'hono/body-limit';
import type { ChannelPlugin, ChannelRuntime } from '../plugin.js';
import { connect } from '../connect.js';
import { ZaloApi, ZaloApiError } from './api.js';
import { createZaloChannel, ZALO_MAX_BODY, type ZaloChannel } from './channel.js';
import type { Hono } from 'hono';
import { onlyMethods } from '../../http/server.js';
import { tooLarge } from '../webhook.js';
import { ZALO_CAPS } from './render.js';
import { createZaloSender, zaloLimits } from './sender.js';

/** `POST /webhooks/zalo`: events, with the secret Zalo was given (else 401); bodies over 256 kB get 413. */
export function zaloWebhook(http: Hono, channel: Pick<ZaloChannel, 'webhook'>): void {
  http.post('/webhooks/zalo', bodyLimit({ maxSize: ZALO_MAX_BODY, onError: tooLarge }), channel.webhook);
  onlyMethods(http, '/webhooks/zalo', ['POST']);
}

/**
 * The Zalo Bot Platform: the webhook at POST /webhooks/zalo (secret in
 * X-Bot-Api-Secret-Token), or getUpdates polling for local development.
 */
export const zaloChannel: ChannelPlugin = {
  name: 'zalo',
  caps: ZALO_CAPS,
  enabled: (config) => Boolean(config.ZALO_BOT_TOKEN),
  create(deps): ChannelRuntime {
    const { config, log } = deps;
    const token = config.ZALO_BOT_TOKEN!;
    const fetch = deps.fetch ? { fetch: deps.fetch } : {};
    const zalo = createZaloChannel({
      token,
      apiBase: config.ZALO_API_BASE_URL,
      secret: config.ZALO_WEBHOOK_SECRET,
      handle: deps.handle,
      durable: { inbox: deps.inbox, handle: deps.handleRecorded },
      i18n: deps.i18n,
      log,
      ...fetch,
    });
    // The outbox's client never sleeps out a 429: the dispatcher pauses the channel for every replica.
    const api = new ZaloApi({ token, baseUrl: config.ZALO_API_BASE_URL, retries: 0, ...fetch });
    const abort = new AbortController();
    return {
      name: 'zalo',
      caps: ZALO_CAPS,
      outbox: { sender: createZaloSender({ api, render: deps.render, i18n: deps.i18n }), limits: zaloLimits() },
      routes(http) {
        zaloWebhook(http, zalo);
      },
      replay: (key) => zalo.replay(key),
      async start() {
        const retry = { channel: 'zalo', log, timeoutMs: config.STARTUP_TIMEOUT_SECONDS * 1000, refused: zaloRefused };
        const me = await connect('getMe', () => zalo.api.getMe(), retry);
        if (config.ZALO_POLLING) {
          void zalo.poll(abort.signal);
        } else if (config.PUBLIC_URL && config.ZALO_WEBHOOK_SECRET) {
          const url = config.PUBLIC_URL;
          await connect('setWebhook', () => zalo.registerWebhook(url), retry);
        } else {
          log.warn('zalo: PUBLIC_URL and ZALO_WEBHOOK_SECRET are needed for the webhook; every call will get 401');
        }
        log.info({ bot: me.account_name, polling: config.ZALO_POLLING }, 'zalo: ready');
      },
      async stop() {
        abort.abort();
        await zalo.idle();
      },
    };
  },
};

/** Zalo's own "no" (a 4xx other than 408/429) is final: a refused token stays refused. */
export function zaloRefused(err: unknown): string | null {
  if (!(err instanceof ZaloApiError) || err.errorCode === 408 || err.errorCode === 429 || err.errorCode >= 500) return null;
  if (err.errorCode === 401 || err.errorCode === 404) return `ZALO_BOT_TOKEN was refused (${err.errorCode} ${err.description}): check the token in the Zalo Bot Creator.`;
  return `${err.method} was refused (${err.errorCode} ${err.description}).`;
}
