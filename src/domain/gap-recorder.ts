import { keepLatest } from '../core/memo.js';
import { createHmac } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Db, Queryable } from '../db/client.js';
import type { Logger } from '../log.js';
import { addGaps, eraseGapsOf, type GapCount, type GapKind, maskIdentity, weekOf } from './faq-gaps.js';

/** How long we remember a person's last answered question, to pair it with "Chưa đúng". */
const RECENT_MS = 60 * 60 * 1000;

/**
 * Keeps unanswered and "Chưa đúng" questions for content work. Counts are
 * batched in memory and written in one statement every few seconds, so a
 * plain FAQ answer stays a read-only transaction. A row names who asked only
 * by a keyed hash (HMAC with this installation's own key, so a platform id
 * cannot be guessed back from it), kept so /xoa erases what they typed; a
 * daily job folds rows older than 30 days into anonymous counts.
 */
export class GapRecorder {
  private pending = new Map<string, GapCount>();
  private recent = new Map<string, { question: string; topic: string; at: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** The installation's key for the askers' hash (app_secrets 'gaps.asker'). */
    private readonly key: string,
  ) {}

  /** The stored name of an asker: their channel and id, hashed with the installation's key. */
  askerOf(personKey: string): string {
    return createHmac('sha256', this.key).update(personKey).digest('hex').slice(0, 32);
  }

  unanswered(personKey: string, question: string): void {
    this.add(personKey, 'unanswered', '', question);
  }

  /** Remember what this person was answered, in case they press "Chưa đúng". */
  answered(personKey: string, question: string, topic: string): void {
    keepLatest(this.recent, personKey, { question, topic, at: this.clock.now().getTime() }, 10_000);
  }

  wrong(personKey: string, topic: string): void {
    const last = this.recent.get(personKey);
    const fresh = last && last.topic === topic && this.clock.now().getTime() - last.at < RECENT_MS;
    this.add(personKey, 'wrong', topic, fresh ? last.question : '');
    this.recent.delete(personKey);
  }

  /** /xoa: what this person asked goes, written or still in memory (`q`: the erasure's transaction). */
  async forget(q: Queryable, personKey: string): Promise<void> {
    const asker = this.askerOf(personKey);
    for (const [k, item] of this.pending) if (item.asker === asker) this.pending.delete(k);
    this.recent.delete(personKey);
    await eraseGapsOf(q, asker);
  }

  private add(personKey: string, kind: GapKind, topic: string, question: string): void {
    const item = { week: weekOf(this.clock.now()), kind, topic, question: maskIdentity(question), asker: this.askerOf(personKey), count: 1 };
    const key = JSON.stringify([item.week, kind, topic, item.question, item.asker]);
    const existing = this.pending.get(key);
    if (existing) existing.count++;
    else this.pending.set(key, item);
  }

  /** Writes what is pending in one statement; if that fails, row by row, so one bad row loses only itself. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await addGaps(this.db, batch);
      return;
    } catch {
      // One row the database refuses must not take the others with it.
    }
    let lost = 0;
    for (const item of batch) {
      try {
        await addGaps(this.db, [item]);
      } catch (err) {
        lost++;
        this.log.warn({ event: 'gaps.lost', error: err instanceof Error ? err.name : typeof err }, 'a FAQ gap could not be written');
      }
    }
    if (lost) this.log.warn({ event: 'gaps.flush', lost, kept: batch.length - lost }, 'some FAQ gaps were lost');
  }

  start(everyMs = 5_000): void {
    this.timer = setInterval(() => void this.flush(), everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
