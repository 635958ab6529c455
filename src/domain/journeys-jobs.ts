import { and, eq, sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { journeys } from '../db/schema.js';
import { cancelByPrefix, enqueue } from '../outbox/enqueue.js';
import type { ClusterJob } from '../outbox/scheduler.js';
import type { NewMessage, OutboxPayload } from '../outbox/types.js';
import { localParts } from '../core/time.js';
import { journeyEnds, journeyKind, journeyMessages, parseJourneyKey, programmeOf, slotMessage, subjectParams, windowUntil, type Journey } from './journeys.js';

const DAY = 86_400_000;

/** A journeys row from raw SQL (snake_case) as drizzle's shape. */
function fromRow(r: Record<string, unknown>): Journey {
  const d = (v: unknown) => (v === null || v === undefined ? null : new Date(String(v)));
  return {
    id: Number(r.id),
    contactId: Number(r.contact_id),
    dependentId: r.dependent_id === null ? null : Number(r.dependent_id),
    kind: journeyKind(r.kind),
    status: String(r.status),
    anchorAt: d(r.anchor_at),
    wardCode: r.ward_code === null ? null : String(r.ward_code),
    marks: (typeof r.marks === 'string' ? JSON.parse(r.marks) : r.marks) as Record<string, string>,
    plan: ((typeof r.plan === 'string' ? JSON.parse(r.plan) : r.plan) ?? {}) as Record<string, string | number | boolean>,
    version: Number(r.version),
    createdAt: d(r.created_at)!,
    updatedAt: d(r.updated_at)!,
    endedAt: d(r.ended_at),
    endReason: r.end_reason === null ? null : String(r.end_reason),
  };
}

export interface ElderlyReport {
  created: number;
  reminded: string[];
  completed: number;
  /** Reminders due within a day whose list of sessions changed since they were planned. */
  refreshed: number;
  /** Contraception reminders queued ahead (a new pack every 28 days, a device's next check). */
  planned: number;
}

/**
 * The yearly checkup of each elderly person subscribed (themselves, or each
 * relative they booked for): a journey row per person, and a reminder when no
 * checkup was attended (or marked "Đã khám") in the last 12 months: once a
 * year, and once more in October, the action month for the elderly (not within
 * 30 days of the first). Keyed `j:<id>:checkup:v1:y<year>` / `o<year>`; the
 * journey's marks remember what was queued, so a cleaned-up outbox never
 * repeats one. Also ends the date-bound journeys that have nothing more to say.
 */
export async function runJourneysJob(q: Queryable, now: Date): Promise<ElderlyReport> {
  const report: ElderlyReport = { created: 0, reminded: [], completed: 0, refreshed: 0, planned: 0 };
  const at = now.toISOString();
  // Subjects: each relative subscribed for (in their ward); and for a person's own subscription,
  // each relative they booked for who has no subscription of their own (as before relatives
  // had one), or else the person themselves.
  const created = await rows(
    q,
    sql`insert into journeys (contact_id, dependent_id, kind, status, ward_code, created_at, updated_at)
        select x.contact_id, x.dependent_id, 'elderly', 'active', x.ward_code, ${at}::timestamptz, ${at}::timestamptz
        from (
          select s.contact_id, s.dependent_id, s.ward_code
          from subscriptions s
          where s.programme = 'elderly' and s.ended_at is null and s.dependent_id is not null
          union all
          select s.contact_id, d.id, coalesce(d.ward_code, s.ward_code)
          from subscriptions s
          left join dependents d on d.contact_id = s.contact_id
            and not exists (select 1 from subscriptions ds where ds.dependent_id = d.id and ds.programme = 'elderly')
          where s.programme = 'elderly' and s.ended_at is null and s.dependent_id is null
        ) x
        join contacts c on c.id = x.contact_id and c.opted_out_at is null and c.blocked_at is null
        where not exists (select 1 from journeys j where j.contact_id = x.contact_id and j.kind = 'elderly'
                          and coalesce(j.dependent_id, 0) = coalesce(x.dependent_id, 0)
                          and (j.status in ('active', 'paused') or j.end_reason = 'stopped'))
        on conflict do nothing
        returning id`,
  );
  report.created = created.length;

  const p = localParts(now);
  const yearAgo = new Date(now.getTime() - 365 * DAY);
  const due = await rows<Record<string, unknown> & { last_attended: string | null }>(
    q,
    sql`select j.*, (select max(se.starts_at) from bookings b join sessions se on se.id = b.session_id
                     where b.contact_id = j.contact_id and coalesce(b.dependent_id, 0) = coalesce(j.dependent_id, 0)
                       and b.status = 'attended' and se.programme = 'elderly') as last_attended
        from journeys j
        join contacts c on c.id = j.contact_id and c.opted_out_at is null and c.blocked_at is null
        where j.kind = 'elderly' and j.status = 'active'
          and exists (select 1 from subscriptions s where s.contact_id = j.contact_id and s.programme = 'elderly' and s.ended_at is null)`,
  );
  const messages: NewMessage[] = [];
  for (const r of due) {
    const j = fromRow(r);
    const checked = [r.last_attended, j.marks.checkup].filter(Boolean).map((v) => new Date(String(v)).getTime());
    if (checked.some((t) => t > yearAgo.getTime())) continue;
    const yearly = `y${p.y}`;
    const october = `o${p.y}`;
    let slot: string | null = null;
    if (!j.marks[yearly]) slot = yearly;
    else if (p.m === 10 && !j.marks[october] && now.getTime() - new Date(j.marks[yearly]).getTime() >= 30 * DAY) slot = october;
    if (!slot) continue;
    const dueAt = now;
    const m = await slotMessage(q, j, { win: 'checkup', slot, dueAt, programme: 'elderly', until: new Date(now.getTime() + 45 * DAY), params: { ...(await subjectParams(q, j)), month: p.m } });
    m.payload.key = slot === october ? 'journeys.msg.elderly.october' : 'journeys.msg.elderly.checkup';
    messages.push(m);
    await q.update(journeys).set({ marks: { ...j.marks, [slot]: at }, updatedAt: now }).where(eq(journeys.id, j.id));
    report.reminded.push(m.dedupeKey);
  }
  await enqueue(q, messages);

  report.refreshed = await refreshSessions(q, now);
  report.planned = await planAhead(q, now);

  const live = (await q.select().from(journeys).where(and(eq(journeys.status, 'active')))).filter((j) => j.kind !== 'elderly');
  for (const j of live) {
    const ends = journeyEnds(j);
    if (ends && ends <= now) {
      await q.update(journeys).set({ status: 'ended', endReason: 'completed', endedAt: now, updatedAt: now }).where(eq(journeys.id, j.id));
      await cancelByPrefix(q, `j:${j.id}:`);
      report.completed++;
    }
  }
  return report;
}

/**
 * Reminders are planned weeks or months ahead, before most sessions exist:
 * those due within the next day get the ward's sessions as they are now
 * (cancel + enqueue under the same key, the outbox's reschedule).
 */
async function refreshSessions(q: Queryable, now: Date): Promise<number> {
  const due = await rows<Record<string, unknown> & { dedupe_key: string; due_at: string | Date; payload: OutboxPayload | string }>(
    q,
    sql`select j.*, o.dedupe_key, o.due_at, o.payload from outbox o
        join journeys j on o.dedupe_key like 'j:' || j.id::text || ':%' and j.status = 'active'
        where o.status = 'pending' and o.dedupe_key like 'j:%'
          and o.due_at between ${now.toISOString()}::timestamptz and ${new Date(now.getTime() + DAY).toISOString()}::timestamptz`,
  );
  let n = 0;
  for (const r of due) {
    const k = parseJourneyKey(r.dedupe_key);
    if (!k) continue;
    const j = fromRow(r);
    if (k.id !== j.id) continue;
    const payload = (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as OutboxPayload;
    const dueAt = new Date(String(r.due_at instanceof Date ? r.due_at.toISOString() : r.due_at));
    const fresh = await slotMessage(q, j, { win: k.win, slot: k.slot, dueAt, programme: programmeOf(j.kind, k.win), until: windowUntil(j, k.win, dueAt) });
    const params: Record<string, string | number> = { ...payload.params, ...fresh.payload.params, lead: payload.params?.lead ?? 'open' };
    for (const key of ['sessions', 'ward', 'whereKind']) if (!(key in (fresh.payload.params ?? {}))) delete params[key];
    const next: OutboxPayload = { ...payload, params, ...(fresh.payload.choices ? { choices: fresh.payload.choices } : {}) };
    if (JSON.stringify(next) === JSON.stringify(payload)) continue;
    await cancelByPrefix(q, r.dedupe_key);
    await enqueue(q, [{ ...fresh, payload: next, dueAt }]);
    n++;
  }
  return n;
}

/**
 * Contraception journeys repeat without end (a pack every 28 days, an IUD's
 * yearly check): each keeps its next two reminders queued, the second one
 * ahead of need, so the doctor (which expects only the next) finds nothing missing.
 */
async function planAhead(q: Queryable, now: Date): Promise<number> {
  const live = (
    await rows<Record<string, unknown>>(
      q,
      sql`select j.* from journeys j join contacts c on c.id = j.contact_id
          where j.kind = 'contraception' and j.status = 'active' and c.opted_out_at is null and c.blocked_at is null`,
    )
  ).map(fromRow);
  let n = 0;
  for (const j of live) n += await enqueue(q, await journeyMessages(q, j, now));
  return n;
}

/** Daily at 08:30 Hải Phòng time (inside the day: its reminders go out at once), once per cluster. */
export const journeysJob: ClusterJob = {
  name: 'journeys.daily',
  cron: '30 8 * * *',
  run: (tx, now) => runJourneysJob(tx, now),
};

export interface JourneyRepair {
  checked: number;
  missing: string[];
  orphaned: string[];
}

/**
 * The doctor's part for journeys: active journeys whose planned reminders are
 * missing (deleted, or cancelled by mistake) get them queued again; pending
 * rows of journeys that are no longer active, or of an old version, are
 * cancelled. Snoozes of the live version are left alone.
 */
export async function repairJourneys(q: Queryable, now: Date): Promise<JourneyRepair> {
  const report: JourneyRepair = { checked: 0, missing: [], orphaned: [] };
  await rows(q, sql`select pg_advisory_xact_lock(hashtext('journeys.doctor'))`);
  const live = (
    await rows<Record<string, unknown>>(
      q,
      sql`select j.* from journeys j join contacts c on c.id = j.contact_id
          where j.status = 'active' and c.opted_out_at is null and c.blocked_at is null`,
    )
  ).map(fromRow);
  report.checked = live.length;
  const expected = new Map<string, NewMessage>();
  for (const j of live) for (const m of await journeyMessages(q, j, now, true)) expected.set(m.dedupeKey, m);
  const existing = await rows<{ dedupe_key: string; status: string }>(
    q,
    sql`select dedupe_key, status from outbox
        where dedupe_key like 'j:%' and (status = 'pending' or dedupe_key in (select jsonb_array_elements_text(${JSON.stringify([...expected.keys()])}::jsonb)))`,
  );
  const byKey = new Map(existing.map((r) => [r.dedupe_key, r.status]));
  const toQueue: NewMessage[] = [];
  for (const [key, m] of expected) {
    const status = byKey.get(key);
    if (status === undefined || status === 'cancelled') {
      report.missing.push(key);
      toQueue.push(m);
    }
  }
  const version = new Map(live.map((j) => [j.id, j]));
  for (const r of existing) {
    if (r.status !== 'pending') continue;
    const k = parseJourneyKey(r.dedupe_key);
    if (!k) continue;
    const j = version.get(k.id);
    if (j && (j.version === k.version || j.kind === 'elderly')) continue;
    report.orphaned.push(r.dedupe_key);
    await cancelByPrefix(q, r.dedupe_key);
  }
  await enqueue(q, toQueue);
  return report;
}
