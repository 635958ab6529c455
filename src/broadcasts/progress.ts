import type { i18n, TFunction } from 'i18next';
import { and, eq, inArray, isNull, lte, or } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import type { Db } from '../db/client.js';
import { broadcasts, contacts } from '../db/schema.js';
import { formatDate, formatTime } from '../core/time.js';
import type { ChannelName, Choice, MessageEditor } from '../core/messages.js';
import { DEFAULT_LOCALE, translator } from '../i18n/index.js';
import type { Logger } from '../log.js';
import { enqueue } from '../outbox/enqueue.js';
import { PRIORITY } from '../outbox/types.js';
import { progressOf, type Broadcast, type Progress } from './store.js';
import { choice } from '../core/actions.js';

/**
 * Where the live status message goes: a channel that can edit (MessageEditor)
 * posts it once and edits it. A channel without one (Zalo, which cannot edit)
 * gets short progress messages at milestones instead, and the final report,
 * both through the outbox.
 */
export type ProgressSink = MessageEditor;

/** Telegram allows about one message (edits included) per second per chat; we stay well under it. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 3000;

/**
 * Authors without a sink: a short message when 25, 50 or 75 % is done, no
 * sooner than this after the start or the previous one (a milestone passed
 * meanwhile is reported late, or skipped for the next). A small broadcast
 * thus gets only the final report, a long one a few lines, never a stream.
 */
export const MILESTONE_MIN_INTERVAL_MS = 2 * 60_000;

/** The last of 25/50/75 % reached (0 before the first). */
export function milestoneOf(p: Progress): number {
  const { done, n } = progressParams(p);
  const pct = n ? (done * 100) / n : 0;
  return pct >= 75 ? 75 : pct >= 50 ? 50 : pct >= 25 ? 25 : 0;
}

export const progressParams = (p: Progress) => ({
  done: p.sent + p.failed + p.blocked + Math.max(0, p.recipients - p.waiting - p.cancelled - p.sent - p.failed - p.blocked),
  n: p.recipients,
  sent: p.sent,
  failed: p.failed,
  blocked: p.blocked,
  skipped: p.skipped,
  cancelled: p.cancelled,
});

/** The status message's words and buttons for a broadcast in this state. */
export function progressMessage(t: TFunction, b: Pick<Broadcast, 'id' | 'status' | 'scheduledAt'>, p: Progress, final: boolean): { text: string; choices: Choice[] } {
  const params = { ...progressParams(p), id: b.id, date: formatDate(b.scheduledAt), time: formatTime(b.scheduledAt) };
  if (final) return { text: t(b.status === 'cancelled' ? 'broadcast.reportCancelled' : 'broadcast.report', params), choices: [] };
  if (b.status === 'paused') {
    return { text: t('broadcast.statusPaused', params), choices: [choice(t('broadcast.resume'), { type: 'broadcastOp', op: 'resume', broadcast: b.id }), choice(t('broadcast.cancelIt'), { type: 'broadcastOp', op: 'cancel', broadcast: b.id })] };
  }
  if (b.status === 'cancelled') return { text: t('broadcast.statusCancelling', params), choices: [] };
  return { text: t('broadcast.status', params), choices: [choice(t('broadcast.pause'), { type: 'broadcastOp', op: 'pause', broadcast: b.id }), choice(t('broadcast.cancelIt'), { type: 'broadcastOp', op: 'cancel', broadcast: b.id })] };
}

/**
 * Keeps each live broadcast's status message up to date and reports at the end.
 *
 * `tick(now)` (every second or so, on every replica):
 * - scheduled broadcasts whose time came become 'sending';
 * - each live broadcast is claimed for an update only if its last one is at
 *   least `intervalMs` old, by a compare-and-set on `progress_at`: so however
 *   many replicas tick, the status message is edited at most once per interval;
 * - counts come from the outbox (a primary-key range scan, store.progressOf);
 *   an unchanged text is not edited again;
 * - when nothing is left to send (or a cancelled one has nothing in flight) the
 *   broadcast is done: the status message shows the final figures and a report
 *   goes to the author through the outbox (`bcr:<id>`, once);
 * - an author on a channel without a sink gets a milestone message instead of
 *   the edits (`bcp:<id>:<pct>`, once each; MILESTONE_MIN_INTERVAL_MS apart).
 */
export class BroadcastProgress {
  readonly intervalMs: number;

  constructor(
    private readonly o: {
      db: Db;
      i18n: i18n;
      sinks: Partial<Record<ChannelName, ProgressSink>>;
      intervalMs?: number;
      log?: Logger;
    },
  ) {
    this.intervalMs = o.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  }

  async tick(now: Date): Promise<number> {
    const { db } = this.o;
    await db
      .update(broadcasts)
      .set({ status: 'sending', startedAt: now })
      .where(and(eq(broadcasts.status, 'scheduled'), lte(broadcasts.scheduledAt, now)));
    const cutoff = new Date(now.getTime() - this.intervalMs);
    const live = await db
      .select({ id: broadcasts.id })
      .from(broadcasts)
      .where(and(isNull(broadcasts.reportedAt), inArray(broadcasts.status, ['sending', 'paused', 'cancelled']), or(isNull(broadcasts.progressAt), lte(broadcasts.progressAt, cutoff))));
    let updates = 0;
    for (const { id } of live) {
      try {
        if (await this.update(id, now, cutoff)) updates++;
      } catch (err) {
        this.o.log?.error({ err, broadcast: id }, 'broadcast progress failed');
      }
    }
    return updates;
  }

  /** One broadcast's update, if this replica wins the interval's claim. */
  private async update(id: number, now: Date, cutoff: Date): Promise<boolean> {
    const { db } = this.o;
    const [b] = await db
      .update(broadcasts)
      .set({ progressAt: now })
      .where(and(eq(broadcasts.id, id), isNull(broadcasts.reportedAt), or(isNull(broadcasts.progressAt), lte(broadcasts.progressAt, cutoff))))
      .returning();
    if (!b) return false;
    const [author] = b.authorContactId ? await db.select({ locale: contacts.locale }).from(contacts).where(eq(contacts.id, b.authorContactId)) : [];
    const t = translator(this.o.i18n, author?.locale ?? DEFAULT_LOCALE);
    const p = await progressOf(db, b);
    const final = b.status !== 'paused' && (b.status === 'cancelled' ? p.inFlight === 0 : p.waiting === 0);
    const msg = progressMessage(t, b, p, final);

    const sink = this.o.sinks[b.progressChannel as ChannelName];
    let messageId = b.progressMessageId;
    let edited = false;
    if (sink) {
      try {
        if (!messageId && !final) {
          messageId = await sink.post(b.progressChat, msg.text, msg.choices);
          edited = true;
        } else if (messageId && msg.text !== b.progressText) {
          await sink.edit(b.progressChat, messageId, msg.text, msg.choices);
          edited = true;
        }
      } catch (err) {
        this.o.log?.warn({ err, broadcast: id }, 'status message not updated');
      }
    }

    let milestone = 0;
    if (!sink && !final && b.status === 'sending' && b.authorContactId) {
      const since = b.progressPostedAt ?? b.startedAt ?? b.createdAt;
      const reached = milestoneOf(p);
      if (reached > b.progressMilestone && now.getTime() - since.getTime() >= MILESTONE_MIN_INTERVAL_MS) milestone = reached;
    }

    await db.transaction(async (tx) => {
      await tx
        .update(broadcasts)
        .set({
          progressText: msg.text,
          progressMessageId: messageId,
          ...(milestone ? { progressMilestone: milestone, progressPostedAt: now } : {}),
          ...(final ? { reportedAt: now, finishedAt: now, status: b.status === 'cancelled' ? 'cancelled' : 'done' } : {}),
        })
        .where(eq(broadcasts.id, id));
      if (milestone) {
        const { done, n } = progressParams(p);
        await enqueue(tx, [{
          dedupeKey: `bcp:${b.id}:${milestone}`,
          contactId: b.authorContactId!,
          kind: 'broadcast-progress',
          // The milestone paces the notes; the note says how far it really is.
          payload: { key: 'broadcast.progressShort', params: { id: b.id, pct: Math.floor((done * 100) / n), done, n } },
          priority: PRIORITY.reminder,
          dueAt: now,
        }]);
      }
      if (final && b.authorContactId) {
        const params = { ...progressParams(p), id: b.id };
        await enqueue(tx, [{
          dedupeKey: `bcr:${b.id}`,
          contactId: b.authorContactId,
          kind: 'broadcast-report',
          payload: { key: b.status === 'cancelled' ? 'broadcast.reportCancelled' : 'broadcast.report', params },
          priority: PRIORITY.reminder,
          dueAt: now,
        }]);
      }
    });
    return edited || final || milestone > 0;
  }

  /** Ticks every `everyMs` until stopped (one tick at a time). */
  start(clock: Clock, everyMs = 1000): { stop(): Promise<void> } {
    let running: Promise<unknown> = Promise.resolve();
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      running = this.tick(clock.now())
        .catch((err) => this.o.log?.error({ err }, 'broadcast progress tick failed'))
        .finally(() => (busy = false));
    }, everyMs);
    timer.unref?.();
    return {
      stop: async () => {
        clearInterval(timer);
        await running;
      },
    };
  }
}

