/**
 * Rate limits of one channel, in the leader's memory: only the leader sends on
 * a channel, so its memory is the cluster's.
 */

export interface RateLimits {
  /** Messages per second for the whole bot (Telegram: about 30; we keep 25). */
  perSecond: number;
  /** Messages per second to one chat (Telegram: 1). */
  perChatPerSecond: number;
  /**
   * Tokens the bucket holds: how far the sender may catch up after a stall
   * (a slow claim, a timer firing late). Any window of T seconds carries at most
   * burst + perSecond·T messages.
   */
  burst: number;
}

/** About 50 ms of sending, at least one message: enough to absorb timer jitter, too little to matter. */
export const defaultBurst = (perSecond: number) => Math.max(1, Math.ceil(perSecond / 20));

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new Error(`bad token bucket: ${perSecond}/s, burst ${burst}`);
    this.tokens = burst;
    this.last = nowMs;
  }

  /** Takes a token and returns 0, or returns how many ms until one is there. */
  take(nowMs: number): number {
    if (nowMs > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) * this.perSecond) / 1000);
      this.last = nowMs;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.perSecond));
  }
}

/** One message per chat per interval: remembers when each chat may hear from us next. */
export class ChatSpacing {
  private readonly next = new Map<string, number>();
  readonly intervalMs: number;

  constructor(perChatPerSecond: number) {
    this.intervalMs = Math.ceil(1000 / perChatPerSecond);
  }

  waitMs(chatId: string, nowMs: number): number {
    return Math.max(0, (this.next.get(chatId) ?? 0) - nowMs);
  }

  mark(chatId: string, nowMs: number): void {
    this.next.set(chatId, nowMs + this.intervalMs);
    // Forget chats that may hear from us again anyway, so the map stays small.
    if (this.next.size > 10_000) {
      for (const [chat, at] of this.next) if (at <= nowMs) this.next.delete(chat);
    }
  }
}
