import type { Clock } from '../core/clock.js';
import type { Db } from '../db/client.js';
import { addGaps, maskIdentity, weekOf, type GapCount, type GapKind } from './faq-gaps.js';
import type { Logger } from '../log.js';

/** How long we remember a person's last answered question, to pair it with "Chưa đúng". */
const RECENT_MS = 60 * 60 * 1000;

/**
 * Keeps unanswered and "Chưa đúng" questions for content work. Counts are
 * batched in memory and written in one statement every few seconds, so a
 * plain FAQ answer stays a read-only transaction. Who asked is never written:
 * the short-lived pairing of a person with their last question lives only in
 * this process's memory.
 */
export class GapRecorder {
  private pending = new Map<string, GapCount>();
  private recent = new Map<string, { question: string; topic: string; at: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Db, private readonly clock: Clock, private readonly log: Logger) {}

  unanswered(question: string): void {
    this.add('unanswered', '', question);
  }

  /** Remember what this person was answered, in case they press "Chưa đúng". */
  answered(personKey: string, question: string, topic: string): void {
    this.recent.delete(personKey);
    this.recent.set(personKey, { question, topic, at: this.clock.now().getTime() });
    if (this.recent.size > 10_000) this.recent.delete(this.recent.keys().next().value as string);
  }

  wrong(personKey: string, topic: string): void {
    const last = this.recent.get(personKey);
    const fresh = last && last.topic === topic && this.clock.now().getTime() - last.at < RECENT_MS;
    this.add('wrong', topic, fresh ? last.question : '');
    this.recent.delete(personKey);
  }

  private add(kind: GapKind, topic: string, question: string): void {
    const item = { week: weekOf(this.clock.now()), kind, topic, question: maskIdentity(question), count: 1 };
    const key = JSON.stringify([item.week, kind, topic, item.question]);
    const existing = this.pending.get(key);
    if (existing) existing.count++;
    else this.pending.set(key, item);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await addGaps(this.db, batch);
    } catch (err) {
      this.log.warn({ err, lost: batch.length }, 'could not write FAQ gaps');
    }
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
