import { sql, type SQL } from 'drizzle-orm';
import { fromLocal, localParts, TIME_ZONE } from '../core/time.js';

/**
 * No proactive message between 21:00 and 07:00 in Hải Phòng. Pure functions on
 * instants: the machine's own zone never matters.
 */
export const QUIET_FROM_HOUR = 21;
export const QUIET_UNTIL_HOUR = 7;

export function isQuietHour(at: Date): boolean {
  const { h } = localParts(at);
  return h >= QUIET_FROM_HOUR || h < QUIET_UNTIL_HOUR;
}

/** The instant itself outside quiet hours, else the next 07:00 local. */
export function deferQuietHours(at: Date): Date {
  const { y, m, d, h } = localParts(at);
  if (h >= QUIET_FROM_HOUR) return fromLocal(y, m, d + 1, QUIET_UNTIL_HOUR);
  if (h < QUIET_UNTIL_HOUR) return fromLocal(y, m, d, QUIET_UNTIL_HOUR);
  return at;
}

/** The same rule in SQL, for set-based enqueues (a timestamptz expression in, one out). */
export function deferQuietHoursSql(at: SQL): SQL {
  const local = sql`(${at} at time zone ${sql.raw(`'${TIME_ZONE}'`)})`;
  const back = sql.raw(`at time zone '${TIME_ZONE}'`);
  const from = sql.raw(String(QUIET_FROM_HOUR));
  const until = sql.raw(String(QUIET_UNTIL_HOUR));
  return sql`(case
    when extract(hour from ${local}) >= ${from}
      then (date_trunc('day', ${local}) + make_interval(days => 1, hours => ${until})) ${back}
    when extract(hour from ${local}) < ${until}
      then (date_trunc('day', ${local}) + make_interval(hours => ${until})) ${back}
    else ${at} end)`;
}
