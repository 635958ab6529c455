import { sql } from 'drizzle-orm';
import type { Clock } from '../../core/clock.js';
import { rows, type Db } from '../../db/client.js';
import { deferQuietHoursSql } from '../../outbox/quiet-hours.js';
import type { ClaimedMessage, SendResult } from '../../outbox/types.js';

type Failure = Extract<SendResult, { kind: 'error' }>;

/**
 * Telegram answers "400 Bad Request: chat not found" for a chat the bot cannot
 * reach; telegram-sender.ts keeps it a plain permanent error, so it is read here.
 * (Its 403s, "blocked" and "can't initiate conversation", mark the contact
 * blocked: nothing more is sent to them, by any sender.)
 */
const TELEGRAM_GONE = /^400\b.*\b(?:chat|user) not found/i;

/** Whether a failure means this bot cannot reach the person at all, though ZNS might. */
export function cannotReach(message: Pick<ClaimedMessage, 'channel'>, result: Failure): boolean {
  if (result.permanent !== true) return false;
  return result.unreachable === true || (message.channel === 'telegram' && TELEGRAM_GONE.test(result.message));
}

export const znsKey = (dedupeKey: string) => `${dedupeKey}:zns`;

/**
 * The chat dispatchers' onPermanentFailure when ZNS is configured: a message
 * the bot could not deliver because it cannot reach the person goes again as
 * a ZNS template message, on the outbox's 'zns' channel (its own dispatcher,
 * rate and quiet hours), keyed `<original key>:zns`, to the number the person
 * agreed to get ZNS reminders at, with the same payload. Only for kinds with a
 * template (ZNS_TEMPLATES) and people with that consent; the original row
 * records its failure and what became of it.
 *
 * One statement, idempotent by the key: a crash before the original row is
 * recorded sends it again, and its failure queues nothing twice. Cancelling by
 * prefix (`appt:<booking>:`) takes the ZNS row along.
 */
export function znsFallback(opts: { db: Db; clock: Clock; templates: Readonly<Record<string, string>> }) {
  return async (message: ClaimedMessage, result: Failure): Promise<string | null> => {
    if (!cannotReach(message, result)) return null;
    if (!opts.templates[message.kind]) return `no ZNS: no template for "${message.kind}"`;
    const key = znsKey(message.dedupeKey);
    const now = sql`${opts.clock.now().toISOString()}::timestamptz`;
    // Should the person stop or block meanwhile, the 'zns' claim skips the row; the sender checks the consent again.
    const [r] = await rows<{ recipients: number }>(
      opts.db,
      // The contact is locked FOR KEY SHARE, as every insert into the outbox does (enqueue.ts).
      sql`with r as (
            select z.contact_id, z.phone from zns_recipients z join contacts c on c.id = z.contact_id
            where z.contact_id = ${message.contactId}
            for key share of c
          ), queued as (
            insert into outbox (dedupe_key, contact_id, channel, chat_id, kind, payload, priority, due_at)
            select ${key}, r.contact_id, 'zns', r.phone, ${message.kind}, ${JSON.stringify(message.payload)}::jsonb,
                   ${message.priority}::smallint, ${message.priority === 0 ? now : deferQuietHoursSql(now)}
            from r
            on conflict (dedupe_key) do nothing
          )
          select count(*)::int as recipients from r`,
    );
    if (!r?.recipients) return 'no ZNS: no consent to reminders by phone';
    return `sent on by ZNS as ${key}`;
  };
}
