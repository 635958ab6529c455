import { GrammyError, HttpError, type Api } from 'grammy';
import { sendTelegram } from './render.js';
import { defaultBurst, type RateLimits } from '../../outbox/rate-limit.js';
import type { RenderOutbox, SendResult, Sender } from '../../outbox/types.js';

/**
 * The outbox's Telegram sender. Give it an Api *without* the auto-retry plugin
 * (e.g. `new Api(token, { apiRoot })`): auto-retry would sleep out a 429 inside
 * one call, per process, holding claimed rows, where the dispatcher pauses the
 * whole channel for every replica instead.
 */
export function createTelegramSender(
  api: Pick<Api, 'sendMessage' | 'sendPhoto'>,
  render: RenderOutbox,
  opts: { paidBroadcast?: boolean } = {},
): Sender {
  return {
    async send(message) {
      try {
        // A photo: sendPhoto (file_id or URL) with the text as caption, or the text just after (sendTelegram).
        await sendTelegram(api, message.chatId, render(message, message.locale), opts.paidBroadcast ? { allow_paid_broadcast: true } : {});
        return { kind: 'ok' };
      } catch (err) {
        return classify(err);
      }
    },
  };
}

/** Telegram's answers, in the dispatcher's terms. */
export function classify(err: unknown): SendResult {
  if (err instanceof GrammyError) {
    if (err.error_code === 429) return { kind: 'retry_after', seconds: err.parameters.retry_after ?? 5 };
    // "bot was blocked by the user", "user is deactivated", "bot can't initiate conversation".
    if (err.error_code === 403) return { kind: 'blocked' };
    // A bad request ("chat not found", a malformed message, a photo Telegram cannot fetch) fails the same way every time.
    if (err.error_code === 400) return { kind: 'error', message: `400 ${err.description}`, permanent: true };
    return { kind: 'error', message: `${err.error_code} ${err.description}` };
  }
  if (err instanceof HttpError) return { kind: 'error', message: `network: ${err.message}` };
  return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
}

/** Telegram's limits: about 30 messages/s per bot (we keep 25), 1/s per chat; paid broadcast lifts bulk to 1,000/s for a fee. */
export function telegramLimits(opts: { paidBroadcast?: boolean; perSecond?: number } = {}): RateLimits {
  const perSecond = opts.perSecond ?? (opts.paidBroadcast ? 1000 : 25);
  return { perSecond, perChatPerSecond: 1, burst: defaultBurst(perSecond) };
}
