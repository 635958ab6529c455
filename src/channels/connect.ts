import { describeError, type Logger } from '../log.js';

/**
 * A platform call made at start-up (check the token, register the webhook),
 * retried while the platform cannot be reached: each retry logged with its
 * delay, given up after a bounded time with a message an operator can act on.
 * An answer that says no (a refused token, a bad webhook URL) is not retried:
 * waiting will not change it.
 */
export interface ConnectOptions {
  channel: string;
  log: Logger;
  /** Give up once this much time has passed since the first attempt. */
  timeoutMs: number;
  /** What to tell the operator when the platform answered no; null when the error is worth another try. */
  refused(err: unknown): string | null;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** One attempt may take this long before it counts as failed (a platform that never answers). */
export const ATTEMPT_TIMEOUT_MS = 15_000;
const MAX_DELAY_MS = 30_000;

/** A start that cannot go on; main prints its message and exits non-zero. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export async function connect<T>(what: string, attempt: (signal: AbortSignal) => Promise<T>, o: ConnectOptions): Promise<T> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = now();
  for (let n = 1; ; n++) {
    const left = Math.max(1, o.timeoutMs - (now() - started));
    try {
      return await attempt(AbortSignal.timeout(Math.min(ATTEMPT_TIMEOUT_MS, left)));
    } catch (err) {
      if (err instanceof StartupError) throw err;
      const refused = o.refused(err);
      if (refused) throw new StartupError(`${o.channel}: ${refused}`);
      const delayMs = Math.min(1000 * 2 ** (n - 1), MAX_DELAY_MS);
      const elapsed = now() - started;
      if (elapsed + delayMs > o.timeoutMs) {
        throw new StartupError(
          `${o.channel}: ${what} failed for ${Math.round(elapsed / 1000)} s (${describeError(err)}): the platform cannot be reached. Check the network, a proxy and the API address, then start again.`,
        );
      }
      o.log.warn({ event: 'channel.connect.retry', channel: o.channel, call: what, attempt: n, delayMs, error: describeError(err) }, `${o.channel}: ${what} failed; retrying in ${delayMs / 1000} s`);
      await sleep(delayMs);
    }
  }
}
