import type { Clock } from '../core/clock.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../log.js';
import type { LeaderLock } from './leader.js';
import { isQuietHour } from './quiet-hours.js';
import { ChatSpacing, defaultBurst, TokenBucket, type RateLimits } from './rate-limit.js';
import {
  claimBatch,
  emptyOutcomes,
  pauseChannel,
  readPause,
  recordOutcomes,
  recoverInFlight,
  type ClaimedBatch,
  type Outcomes,
  type RetryPolicy,
} from './store.js';
import { MAX_PRIORITY, PRIORITY, type ClaimedMessage, type OutboxChannel, type SendResult, type Sender } from './types.js';

export interface DispatcherOptions {
  db: Db;
  channel: OutboxChannel;
  sender: Sender;
  clock: Clock;
  leader: LeaderLock;
  limits: RateLimits;
  /** Rows per claim. Default: half a second of sending, at most 100. Twice this is the crash bound (see below). */
  batchSize?: number;
  /** How long a claim may stay in flight before another dispatcher takes it back. Default 60 s. */
  leaseMs?: number;
  /** Default 5. */
  maxAttempts?: number;
  /** Delay before the next try after n failed ones. Default 30 s · 2^(n-1), at most an hour. */
  backoffMs?: (attempts: number) => number;
  /** Sends in flight at once (an HTTP API answers in tens of ms; 1,000/s needs several). Default 32. */
  concurrency?: number;
  /** Keep quiet hours at send time too (a backlog must not spill past 21:00). Default true. */
  quietHours?: boolean;
  /** How to wait; tests pass one that moves a ManualClock. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Called for a row that failed for good, before it is recorded, e.g. to hand
   * it to another sender (zns-fallback.ts). Idempotent: a crash before the
   * record sends the row again. What it returns is added to the row's
   * last_error; if it throws, the row is retried later instead of failing.
   */
  onPermanentFailure?: (message: ClaimedMessage, result: Extract<SendResult, { kind: 'error' }>) => Promise<string | null>;
  log?: Logger;
}

export type BatchState = 'not-leader' | 'paused' | 'idle' | 'sent' | 'stopped';

export interface BatchReport {
  state: BatchState;
  claimed: number;
  sent: number;
  skipped: number;
  /** When paused: until then. */
  until?: Date;
}

/** A batch claimed and ready to send. */
interface Claimed {
  state: 'claimed';
  claimed: ClaimedBatch;
  /** When it was claimed (its lease runs from here). */
  now: Date;
}
/** What prepare() found: a batch to send, or why there is none. */
type Prepared = Claimed | { state: Exclude<BatchState, 'sent'>; report: BatchReport };

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends one channel's due outbox rows at the platform's rate, while it leads
 * that channel.
 *
 * A batch: confirm leadership → read the shared pause → claim up to batchSize
 * due rows (pending → sending, one short transaction) → send them through the
 * token bucket and per-chat spacing → record every outcome in one transaction.
 *
 * The crash bound: a row is marked sent only when its batch is recorded, and
 * a batch is recorded while the next one is sent (the one after that is claimed
 * only once it is recorded), so at any moment at most two batches are claimed
 * but unrecorded. A dispatcher that dies re-sends at most
 * those: `inFlightBound` = 2 × batchSize messages per channel (by default one
 * second of sending), after the lease. Nothing is lost: rows left 'sending' go
 * back to pending once their claim is older than the lease. A live dispatcher
 * gives a batch up at half the lease (and retries recording only until three
 * quarters), so the lease never takes back a row that is still being sent.
 */
export class Dispatcher {
  readonly channel: OutboxChannel;
  readonly batchSize: number;
  /** The most messages a crash can send twice (see the class comment). */
  readonly inFlightBound: number;
  readonly leaseMs: number;
  private readonly policy: RetryPolicy;
  private readonly bucket: TokenBucket;
  private readonly chats: ChatSpacing;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly concurrency: number;
  private pausedUntil = 0;
  private lastRecovery = Number.NEGATIVE_INFINITY;
  private leading = false;
  private stopping = false;
  /** The batch under way, so close() gives leadership up only after it. */
  private current: Promise<unknown> = Promise.resolve();
  /** The last batch's outcomes being written while the next batch is sent. */
  private recording: Promise<void> | null = null;

  constructor(private readonly o: DispatcherOptions) {
    this.channel = o.channel;
    const { perSecond, perChatPerSecond } = o.limits;
    this.batchSize = o.batchSize ?? Math.min(100, Math.max(1, Math.ceil(perSecond / 2)));
    this.inFlightBound = 2 * this.batchSize;
    this.leaseMs = o.leaseMs ?? 60_000;
    this.policy = {
      maxAttempts: o.maxAttempts ?? 5,
      backoffMs: o.backoffMs ?? ((n) => Math.min(3_600_000, 30_000 * 2 ** Math.max(0, n - 1))),
    };
    this.bucket = new TokenBucket(perSecond, o.limits.burst ?? defaultBurst(perSecond), o.clock.now().getTime());
    this.chats = new ChatSpacing(perChatPerSecond);
    this.sleep = o.sleep ?? realSleep;
    this.concurrency = o.concurrency ?? 32;
    // A batch must fit well inside half the lease, or it would always be cut short.
    if ((this.batchSize / perSecond) * 1000 > this.leaseMs / 4) {
      throw new Error(`batch of ${this.batchSize} at ${perSecond}/s takes more than a quarter of the ${this.leaseMs} ms lease`);
    }
  }

  /**
   * Sends batches until nothing is due, leadership is elsewhere, the channel is
   * paused or stop() is called. While batch n goes out, batch n-1 is recorded
   * and, as soon as it is, batch n+1 is claimed: the claim's round trips happen
   * while the bucket is still sending, so they never stall it (on a busy
   * machine a claim can take longer than the bucket's burst covers), and still
   * never more than two batches are claimed but unrecorded (n and n+1: the crash
   * bound). Everything is recorded before drain returns; a batch claimed ahead
   * and not needed (a stop, an error) goes straight back to pending.
   */
  drain(): Promise<{ batches: number; sent: number; last: BatchReport }> {
    return this.track(this.drainLoop());
  }

  private async drainLoop(): Promise<{ batches: number; sent: number; last: BatchReport }> {
    let batches = 0;
    let sent = 0;
    let next: Promise<Prepared> | null = null;
    try {
      for (;;) {
        const ahead = next !== null;
        let prepared: Prepared = await (next ?? this.prepare());
        next = null;
        if (ahead && prepared.state === 'claimed' && this.o.leader.held?.() === false) {
          // Claimed ahead, then the lead was lost (its connection closed): another replica sends these.
          await this.giveBack(Promise.resolve(prepared));
          this.leading = false;
          return { batches, sent, last: { state: 'not-leader', claimed: 0, sent: 0, skipped: 0 } };
        }
        // Claimed ahead and found nothing: rows may have come due while the last batch went out.
        if (prepared.state === 'idle' && batches > 0) prepared = await this.prepare();
        if (prepared.state !== 'claimed') return { batches, sent, last: prepared.report };
        // The next claim waits for the batch before this one to be recorded (the crash bound).
        const before = this.recording;
        next = (before ?? Promise.resolve()).then(() => this.prepare());
        next.catch(() => {}); // surfaces when awaited
        const report = await this.sendAndRecord(prepared, true);
        batches++;
        sent += report.sent;
      }
    } finally {
      if (next) await this.giveBack(next);
      await this.flush();
    }
  }

  /**
   * Sends until stop(): drains, then waits `idleMs` (or out the pause) and
   * drains again. One loop, so a long send never overlaps the next (as a timer
   * tick would); a failure is logged and retried after a second. This is what
   * production runs (driver.ts `startDispatchers`) and what the benchmarks measure.
   */
  async run(opts: { idleMs?: number } = {}): Promise<void> {
    const idleMs = opts.idleMs ?? 250;
    while (!this.stopping) {
      try {
        const { last } = await this.drain();
        const wait = last.state === 'paused' && last.until ? last.until.getTime() - this.o.clock.now().getTime() : idleMs;
        await this.idle(Math.max(1, Math.min(wait, 5_000)));
      } catch (err) {
        this.o.log?.error({ err, channel: this.channel }, 'dispatch failed');
        await this.idle(1_000);
      }
    }
  }

  /** Finish the batch in hand (unsent rows go straight back to pending) and send no more. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Called by stop() to end an idle wait of run() at once. */
  private wake: (() => void) | null = null;

  private async idle(ms: number): Promise<void> {
    if (this.stopping) return;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.o.sleep) void this.o.sleep(ms).then(resolve, resolve);
      else timer = setTimeout(resolve, ms);
    });
    this.wake = null;
  }

  /** Stops, waits for the batch under way, and gives up leadership. */
  async close(): Promise<void> {
    this.stop();
    await this.current;
    await this.flush().catch((err) => this.o.log?.error({ err }, 'recording the last batch failed'));
    await this.o.leader.close();
  }

  /** One batch (see the class comment), recorded before it returns. */
  async runBatch(): Promise<BatchReport> {
    try {
      return await this.track(this.batch());
    } finally {
      await this.flush();
    }
  }

  private track<T>(batch: Promise<T>): Promise<T> {
    this.current = batch.catch(() => {});
    return batch;
  }

  /** Waits for the batch being recorded, if any; its failure surfaces here. */
  private async flush(): Promise<void> {
    const recording = this.recording;
    this.recording = null;
    await recording;
  }

  /** One batch: claim, send, record (before it returns). */
  private async batch(): Promise<BatchReport> {
    const prepared = await this.prepare();
    if (prepared.state !== 'claimed') return prepared.report;
    return this.sendAndRecord(prepared, false);
  }

  /** Everything before the sending: leadership, the shared pause, crash recovery now and then, the claim. */
  private async prepare(): Promise<Prepared> {
    const none = { claimed: 0, sent: 0, skipped: 0 };
    const stop = (state: Exclude<BatchState, 'sent'>, until?: Date): Prepared => ({ state, report: { state, ...none, ...(until ? { until } : {}) } });
    if (this.stopping) return stop('stopped');
    const { db, clock, channel } = this.o;
    if (!(await this.o.leader.ensure())) {
      this.leading = false;
      return stop('not-leader');
    }
    if (!this.leading) {
      // New leader: whatever the last one left in flight is due for recovery now (if its lease ran out).
      this.leading = true;
      this.lastRecovery = Number.NEGATIVE_INFINITY;
    }

    const now = clock.now();
    const shared = await readPause(db, channel);
    this.pausedUntil = Math.max(this.pausedUntil, shared?.getTime() ?? 0);
    if (this.pausedUntil > now.getTime()) return stop('paused', new Date(this.pausedUntil));

    if (now.getTime() - this.lastRecovery >= this.leaseMs / 4) {
      const recovered = await recoverInFlight(db, { channel, now, leaseMs: this.leaseMs, maxAttempts: this.policy.maxAttempts });
      if (recovered) this.o.log?.warn({ channel, recovered }, 'rows left in flight by a stopped dispatcher are pending again');
      this.lastRecovery = now.getTime();
    }

    const quiet = (this.o.quietHours ?? true) && isQuietHour(now);
    const claimed = await claimBatch(db, {
      channel,
      now,
      limit: this.batchSize,
      maxPriority: quiet ? PRIORITY.urgent : MAX_PRIORITY,
    });
    if (claimed.length === 0) return stop('idle');
    return { state: 'claimed', claimed, now };
  }

  /**
   * Sends a claimed batch and records it. Pipelined (drain): this batch's record
   * runs on while the next batch goes out, and the previous batch's record is
   * awaited here, so a failed record does not keep the next from being recorded.
   */
  private async sendAndRecord(prepared: Claimed, pipelined: boolean): Promise<BatchReport> {
    const { claimed, now } = prepared;
    const outcomes = await this.sendBatch(claimed, now);
    outcomes.batch = claimed.batch;
    const previous = this.recording;
    this.recording = null;
    const recording = this.record(outcomes, now);
    if (pipelined) {
      this.recording = recording;
      recording.catch(() => {}); // surfaces at the next batch or flush
    }
    await previous;
    if (!pipelined) await recording;
    const skipped = claimed.length - claimed.filter((m) => m.status === 'sending').length;
    return { state: 'sent', claimed: claimed.length, sent: outcomes.sent.length, skipped };
  }

  /** A batch claimed ahead that will not be sent: its rows back to pending, the attempt not counted. */
  private async giveBack(next: Promise<Prepared>): Promise<void> {
    const prepared = await next.catch(() => null);
    if (prepared?.state !== 'claimed') return;
    const outcomes = emptyOutcomes();
    outcomes.batch = prepared.claimed.batch;
    for (const m of prepared.claimed) if (m.status === 'sending') outcomes.requeue.push({ id: m.id });
    await this.record(outcomes, prepared.now);
  }

  /** Sends one claimed batch; returns what became of each row. */
  private async sendBatch(claimed: ClaimedMessage[], claimedAt: Date): Promise<Outcomes> {
    const out = emptyOutcomes();
    const { clock } = this.o;
    const queue: ClaimedMessage[] = [];
    // One message per chat per batch; the chat's others wait their turn in the outbox.
    const perChat = new Map<string, number>();
    const startMs = claimedAt.getTime();
    for (const m of claimed) {
      if (m.status !== 'sending') continue;
      const seen = perChat.get(m.chatId) ?? 0;
      perChat.set(m.chatId, seen + 1);
      if (seen === 0) queue.push(m);
      else out.requeue.push({ id: m.id, dueAt: new Date(startMs + seen * this.chats.intervalMs) });
    }

    const inFlight = new Set<Promise<void>>();
    while (queue.length > 0) {
      const nowMs = clock.now().getTime();
      if (this.stopping || this.pausedUntil > nowMs || nowMs - startMs > this.leaseMs / 2) {
        for (const m of queue.splice(0)) out.requeue.push({ id: m.id });
        break;
      }
      let idx = -1;
      let soonest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < queue.length && idx < 0; i++) {
        const wait = this.chats.waitMs(queue[i]!.chatId, nowMs);
        if (wait === 0) idx = i;
        else soonest = Math.min(soonest, wait);
      }
      if (idx < 0) {
        await this.sleep(soonest);
        continue;
      }
      const wait = this.bucket.take(nowMs);
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      const [m] = queue.splice(idx, 1);
      this.chats.mark(m!.chatId, nowMs);
      const p: Promise<void> = this.sendOne(m!, out).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= this.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return out;
  }

  private async sendOne(m: ClaimedMessage, out: Outcomes): Promise<void> {
    let result: Awaited<ReturnType<typeof this.o.sender.send>>;
    try {
      result = await this.o.sender.send(m);
    } catch (err) {
      result = { kind: 'error' as const, message: err instanceof Error ? err.message : String(err) };
    }
    switch (result.kind) {
      case 'ok':
        out.sent.push(m.id);
        return;
      case 'blocked':
        out.blocked.push({ id: m.id, contactId: m.contactId });
        return;
      case 'retry_after': {
        // The platform pauses the whole bot: stop here and tell every replica.
        const until = this.o.clock.now().getTime() + Math.max(1, result.seconds) * 1000;
        this.pausedUntil = Math.max(this.pausedUntil, until);
        out.requeue.push({ id: m.id });
        this.o.log?.warn({ channel: this.channel, retryAfter: result.seconds }, 'rate limited by the platform; channel paused');
        await pauseChannel(this.o.db, this.channel, new Date(until)).catch((err) =>
          this.o.log?.error({ err }, 'could not share the pause; this replica keeps it'),
        );
        return;
      }
      case 'error': {
        let { message } = result;
        let permanent = result.permanent === true;
        if (permanent && this.o.onPermanentFailure) {
          try {
            const note = await this.o.onPermanentFailure(m, result);
            if (note) message = `${message}; ${note}`;
          } catch (err) {
            this.o.log?.warn({ err, channel: this.channel, id: m.id }, 'fallback of a failed message failed; the row is retried');
            permanent = false;
            message = `${message}; its fallback failed, retrying: ${err instanceof Error ? err.message : String(err)}`;
          }
        }
        out.errors.push({ id: m.id, attempts: m.attempts, message: message.slice(0, 500), permanent });
        return;
      }
    }
  }

  /**
   * Records a batch, retrying while the database is away (a restart), but only
   * until three quarters of the lease after the claim: later, the rows may
   * already be recovered and sent again elsewhere (within the in-flight bound),
   * and the error goes up.
   */
  private async record(outcomes: Outcomes, claimedAt: Date): Promise<void> {
    const deadline = claimedAt.getTime() + (this.leaseMs * 3) / 4;
    for (let attempt = 0; ; attempt++) {
      try {
        await recordOutcomes(this.o.db, outcomes, this.o.clock.now(), this.policy);
        return;
      } catch (err) {
        if (this.o.clock.now().getTime() >= deadline) throw err;
        this.o.log?.warn({ err, attempt }, 'recording a batch failed; retrying');
        await this.sleep(Math.min(5_000, 100 * 2 ** attempt));
      }
    }
  }
}
