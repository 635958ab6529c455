import type { i18n } from 'i18next';
import { translate } from '../../i18n/index.js';
import { defaultBurst, type RateLimits } from '../../outbox/rate-limit.js';
import type { RenderOutbox, SendResult, Sender } from '../../outbox/types.js';
import { isBlockedError, ZaloApiError, type ZaloApi } from './api.js';
import { sendZalo } from './render.js';

/**
 * Zalo's limits for a bot's bulk sending are not published. Assumed, to be
 * measured with the health department's bot: 10 messages/s overall, one per
 * second per chat. A 429 pauses the whole channel (the dispatcher's shared pause).
 */
export function zaloLimits(opts: { perSecond?: number } = {}): RateLimits {
  const perSecond = opts.perSecond ?? 10;
  return { perSecond, perChatPerSecond: 1, burst: defaultBurst(perSecond) };
}

/**
 * The outbox's Zalo Bot Platform sender: reminders and broadcasts to people who
 * have chatted with the bot (the Bot Platform gives no way to reach anyone
 * else; see zns-sender.ts for that).
 *
 * Give it a ZaloApi built with `retries: 0`: a 429 must come back to the
 * dispatcher, which pauses the channel for every replica, not sleep here
 * holding claimed rows.
 *
 * A message longer than 2,000 characters goes out in pieces, and a photo
 * (sendPhoto, by URL) goes with its text as caption or just before it; if a
 * later piece fails, the dispatcher's retry sends the earlier ones again
 * (outbox messages are short, so this is rare and harmless). A rendered
 * photo without a URL (a Telegram file_id only) cannot go to Zalo: the text
 * goes alone.
 */
export function createZaloSender(opts: {
  api: Pick<ZaloApi, 'sendMessage' | 'sendPhoto'>;
  render: RenderOutbox;
  i18n: i18n;
}): Sender {
  return {
    async send(message) {
      const t = translate(opts.i18n, message.locale);
      try {
        await sendZalo(opts.api, message.chatId, opts.render(message, message.locale), t);
        return { kind: 'ok' };
      } catch (err) {
        return classifyZalo(err);
      }
    },
  };
}

/**
 * "This bot cannot message this person" (assumed wording: the Bot Platform
 * documents none): they never followed the bot, are not found, or are out of
 * the window in which a bot may write. Unlike a block, the person did nothing:
 * ZNS may still reach them (zns-fallback.ts). A 404 means the same.
 */
const UNREACHABLE =
  /not\s*follow|chưa (?:quan tâm|theo dõi)|(?:user|chat|recipient) not found|không tìm thấy|không tồn tại|can(?:not|'t) (?:send|initiate|message)|không thể gửi|interaction window/i;

/** Zalo's answers in the dispatcher's terms. */
export function classifyZalo(err: unknown): SendResult {
  if (err instanceof ZaloApiError) {
    if (err.errorCode === 429) return { kind: 'retry_after', seconds: err.retryAfter ?? 5 };
    if (err.errorCode === 404 || UNREACHABLE.test(err.description)) {
      return { kind: 'error', message: `zalo unreachable: ${err.errorCode} ${err.description}`, permanent: true, unreachable: true };
    }
    if (isBlockedError(err)) return { kind: 'blocked' };
    // A bad request fails the same way every time.
    if (err.errorCode === 400) return { kind: 'error', message: `zalo ${err.errorCode} ${err.description}`, permanent: true };
    // 401: a revoked token. Retried (with backoff) so the rows survive until an operator fixes it.
    return { kind: 'error', message: `zalo ${err.errorCode} ${err.description}` };
  }
  const e = err as { name?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { kind: 'error', message: 'zalo: timeout' };
  return { kind: 'error', message: `zalo network: ${e?.message ?? String(err)}` };
}
