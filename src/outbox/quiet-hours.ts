import { sql, type SQL } from 'drizzle-orm';
import { TIME_ZONE } from '../core/time.js';

/**
 * No proactive message between 21:00 and 07:00 in Hải Phòng. Pure functions on
 * instants: the machine's own zone never matters.
 */
export const QUIET_FROM_HOUR = 21;
export const QUIET_UNTIL_HOUR = 7;

const fmt = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

/** The local wall clock of an instant, and the zone's offset then. */
function wallClock(at: Date) {
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const y = p.year!, mo = p.month!, d = p.day!, h = p.hour!;
  const wallAsUtc = Date.UTC(y, mo - 1, d, h, p.minute!, p.second!);
  const offsetMs = wallAsUtc - Math.floor(at.getTime() / 1000) * 1000;
  return { y, mo, d, h, offsetMs };
}

export function isQuietHour(at: Date): boolean {
  const { h } = wallClock(at);
  return h >= QUIET_FROM_HOUR || h < QUIET_UNTIL_HOUR;
}

/**
 * The instant itself outside quiet hours, else the next 07:00 local.
 * (Asia/Ho_Chi_Minh has kept UTC+7 without daylight saving since 1975, so the
 * offset at `at` is the offset at that 07:00.)
 */
export function deferQuietHours(at: Date): Date {
  const { y, mo, d, h, offsetMs } = wallClock(at);
  if (h >= QUIET_FROM_HOUR) return new Date(Date.UTC(y, mo - 1, d + 1, QUIET_UNTIL_HOUR) - offsetMs);
  if (h < QUIET_UNTIL_HOUR) return new Date(Date.UTC(y, mo - 1, d, QUIET_UNTIL_HOUR) - offsetMs);
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
