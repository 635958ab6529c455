import type { Db, Queryable } from '../db/client.js';
import type { Logger } from '../log.js';
import type { ClusterJob } from '../outbox/scheduler.js';
import { repairJourneys, type JourneyRepair } from './journeys-jobs.js';
import { repairReminders, type DoctorReport as ReminderReport } from './reminders.js';

/** What the doctor found: booking reminders, and (`journeys`) the journeys' planned reminders. */
export type DoctorReport = ReminderReport & { journeys?: JourneyRepair };

/** Both repairs in one transaction. */
async function repairAll(q: Queryable, now: Date): Promise<DoctorReport> {
  const report = await repairReminders(q, now);
  return { ...report, journeys: await repairJourneys(q, now) };
}

/**
 * The reminders doctor, for `npm run doctor` and the daily scheduler job: one
 * transaction (under an advisory lock, so one replica at a time) that finds
 * live bookings whose reminders are missing or stale and repairs them. What it
 * fixed is logged as a warning: a repair means something upstream went wrong.
 */
export async function runDoctor(db: Db, now: Date, log?: Logger): Promise<DoctorReport> {
  const report = await db.transaction((tx) => repairAll(tx, now));
  const j = report.journeys;
  const fixed = report.missing.length + report.stale.length + report.orphaned.length + (j ? j.missing.length + j.orphaned.length : 0);
  if (fixed) log?.warn({ event: 'doctor.repaired', ...report }, 'reminders repaired');
  else log?.info({ event: 'doctor.ok', checked: report.checked }, 'reminders in order');
  return report;
}

/** The report as lines for a person to read. */
export function formatReport(r: DoctorReport): string[] {
  const lines = [`checked ${r.checked} live bookings`];
  for (const k of r.missing) lines.push(`queued missing reminder ${k}`);
  for (const k of r.stale) lines.push(`replaced stale reminder ${k}`);
  for (const k of r.orphaned) lines.push(`cancelled orphaned reminder ${k}`);
  const j = r.journeys;
  if (j) {
    lines.push(`checked ${j.checked} active journeys`);
    for (const k of j.missing) lines.push(`queued missing journey reminder ${k}`);
    for (const k of j.orphaned) lines.push(`cancelled orphaned journey reminder ${k}`);
  }
  if (lines.length === (j ? 2 : 1)) lines.push('nothing to repair');
  return lines;
}

/**
 * The doctor as a scheduler job (src/outbox/scheduler.ts `startScheduler({ jobs: [doctorJob] })`):
 * daily at 04:15 Hải Phòng time, once per cluster, before the day's 07:00/08:00 reminders.
 */
export const doctorJob: ClusterJob = {
  name: 'reminders.doctor',
  cron: '15 4 * * *',
  run: (tx: Queryable, now: Date) => repairAll(tx, now),
};
