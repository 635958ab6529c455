import { sql, type SQL } from 'drizzle-orm';
import { rows, type Queryable, type Tx } from '../db/client.js';
import { fromLocal, localParts, TIME_ZONE } from '../core/time.js';
import { PREGNANCY_WINDOWS } from './journeys.js';

/**
 * The outbox metrics of tallies.ts ('reminders.sent', 'reminders.failed',
 * 'broadcast.reach'): recomputed from the outbox by a periodic job, never
 * lowered. The outbox itself is not touched.
 */

/** A timestamptz column's local day, in SQL (the zone named once, in core/time.ts). */
const localDay = (col: SQL) => sql`((${col}) at time zone ${sql.raw(`'${TIME_ZONE}'`)})::date`;

/** The programme of a journey reminder's window, in SQL (the same rule as journeys.programmeOf). */
function journeyProgrammeSql(kind: SQL, win: SQL): SQL {
  const newbornWindows = PREGNANCY_WINDOWS.filter((w) => w.programme === 'newborn').map((w) => w.id);
  return sql`case when ${kind} in ('premarital', 'elderly', 'newborn') then ${kind}
                  when ${win} in ${newbornWindows} then 'newborn' else 'prenatal' end`;
}

/**
 * Recomputes the outbox metrics for the local days from `days` days ago to
 * today: booking and journey reminders sent or failed (on the day they were
 * sent, or failed for good), and each broadcast's reach (people it was
 * delivered to, by their subscription's ward and programme, on the day it
 * started). Counts only ever grow (`greatest`): an outbox row cleaned up or
 * erased after it was counted keeps its count. Nothing is written to the
 * outbox. Idempotent: run it as often as you like.
 */
export async function tallyOutbox(q: Queryable, now: Date, days = 2): Promise<{ rows: number }> {
  const p = localParts(now);
  const from = fromLocal(p.y, p.m, p.d - days);
  const fromIso = from.toISOString();
  const reminders = sql`
    select ${localDay(sql`coalesce(o.sent_at, o.due_at)`)} as day, s.ward_code, s.programme,
           case o.status when 'sent' then 'reminders.sent' else 'reminders.failed' end as metric, count(*)::bigint as n
    from outbox o
    join bookings b on b.id = split_part(o.dedupe_key, ':', 2)::int
    join sessions s on s.id = b.session_id
    where o.dedupe_key like 'appt:%' and o.kind = 'reminder' and o.status in ('sent', 'failed') and coalesce(o.sent_at, o.due_at) >= ${fromIso}::timestamptz
    group by 1, 2, 3, 4
    union all
    select ${localDay(sql`coalesce(o.sent_at, o.due_at)`)}, coalesce(j.ward_code, ''), ${journeyProgrammeSql(sql`j.kind`, sql`split_part(o.dedupe_key, ':', 3)`)},
           case o.status when 'sent' then 'reminders.sent' else 'reminders.failed' end, count(*)::bigint
    from outbox o
    join journeys j on j.id = split_part(o.dedupe_key, ':', 2)::int
    where o.dedupe_key like 'j:%' and o.status in ('sent', 'failed') and coalesce(o.sent_at, o.due_at) >= ${fromIso}::timestamptz
    group by 1, 2, 3, 4`;
  // A broadcast's reach lands on its start day: every day that has a broadcast started in the window, or still going, is counted again whole.
  const reach = sql`
    select ${localDay(sql`b.started_at`)} as day, coalesce(sub.ward_code, '') as ward_code, coalesce(sub.programme, 'campaigns') as programme,
           'broadcast.reach' as metric, count(*)::bigint as n
    from broadcasts b
    join outbox o on o.id > b.outbox_from and o.id <= b.outbox_to and o.dedupe_key like 'bc:' || b.id::text || ':%' and o.status = 'sent'
    left join lateral (
      select s.ward_code, s.programme from subscriptions s
      where s.contact_id = o.contact_id and s.programme in (select jsonb_array_elements_text(b.audience->'programmes'))
        and (b.audience->'wardCodes' = 'null'::jsonb or s.ward_code in (select jsonb_array_elements_text(b.audience->'wardCodes')))
      order by s.ended_at is not null, s.programme limit 1
    ) sub on true
    where b.started_at is not null and ${localDay(sql`b.started_at`)} in (
      select distinct ${localDay(sql`x.started_at`)} from broadcasts x
      where x.started_at is not null and (x.started_at >= ${fromIso}::timestamptz or x.status in ('sending', 'paused') or x.finished_at >= ${fromIso}::timestamptz))
    group by 1, 2, 3`;
  const written = await rows<{ day: string }>(
    q,
    sql`insert into tallies (day, ward_code, programme, metric, count)
        select day, coalesce(ward_code, ''), programme, metric, n from (${reminders} union all ${reach}) r
        on conflict (day, ward_code, programme, metric) do update set count = greatest(tallies.count, excluded.count)
        returning day`,
  );
  return { rows: written.length };
}

/**
 * The periodic jobs that keep the outbox metrics current: every ten minutes
 * over the last two days, and nightly (before the outbox clean-up at 03:30)
 * over the 29 days the outbox still holds, to catch up after any downtime.
 * (A hook in the dispatcher's recordOutcomes could count in its own
 * transaction instead; see the README.)
 */
export const talliesJobs = [
  { name: 'tallies.outbox', cron: '*/10 * * * *', run: (tx: Tx, now: Date) => tallyOutbox(tx, now, 2) },
  { name: 'tallies.outbox.nightly', cron: '10 3 * * *', run: (tx: Tx, now: Date) => tallyOutbox(tx, now, 29) },
];
