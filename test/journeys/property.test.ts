import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { findContactWithState } from '../../src/domain/contacts.js';
import { runDoctor } from '../../src/domain/doctor.js';
import { runJourneysJob } from '../../src/domain/journeys-jobs.js';
import { PREGNANCY_WINDOWS, localDay } from '../../src/domain/journeys.js';
import { fromLocal, localParts } from '../../src/core/time.js';
import { Person } from '../../src/domain/person.js';
import { isQuietHour } from '../../src/outbox/quiet-hours.js';
import { testApp, type TestApp } from '../support/app.js';

/**
 * A seeded loop over many random journeys, join times (any hour, night too)
 * and actions at random later times: no journey ever has a message queued in
 * quiet hours, and after a stop (of the journey, of everything, or the loss
 * path) nothing of it is pending — not after the doctor, not after the daily
 * job. A plain seeded generator keeps the suite free of a new dependency; a
 * failure prints the seed and step, which replays it exactly (fast-check would
 * add shrinking, which these short action lists hardly need).
 */
let app: TestApp;
beforeAll(async () => {
  app = await testApp();
});
afterAll(() => app.close());

/** mulberry32: small, fast, reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

const WARD = '11383';
const BASE = new Date('2026-11-23T03:00:00Z');
const DAY = 86_400_000;

async function asPerson<T>(userId: string, now: Date, fn: (p: Person) => Promise<T>): Promise<T> {
  return app.database.db.transaction(async (tx) => {
    const found = await findContactWithState(tx, 'telegram', userId);
    const p = new Person(tx, { channel: 'telegram', userId, chatId: userId }, found?.contact ?? null, now, 'vi');
    return fn(p);
  });
}

type Pending = { dedupe_key: string; due_at: string | Date; kind: string };
const pendingOf = (userId: string) =>
  rows<Pending>(
    app.database.db,
    sql`select o.dedupe_key, o.due_at, o.kind from outbox o join contacts c on c.id = o.contact_id
        where c.platform_user_id = ${userId} and o.status = 'pending' and o.dedupe_key like 'j:%'`,
  );
const statusOf = async (id: number) => (await rows<{ status: string }>(app.database.db, sql`select status from journeys where id = ${id}`))[0]?.status;

describe('property: journeys never schedule in quiet hours, nor after a stop', () => {
  it('holds over 120 random journeys and action sequences', async () => {
    const SEED = Number(process.env.JOURNEY_SEED ?? 20261123);
    const r = rng(SEED);
    let checked = 0;
    for (let i = 0; i < 120; i++) {
      const userId = `prop${i}`;
      let now = new Date(BASE.getTime() + r.int(0, 200) * DAY + r.int(0, 1439) * 60_000);
      const kind = r.pick(['pregnancy', 'pregnancy', 'newborn', 'premarital'] as const);
      const t = localParts(now);
      const anchor = () =>
        kind === 'pregnancy'
          ? localDay(t.y, t.m, t.d + 280 - r.int(28, 294))
          : kind === 'newborn'
            ? new Date(now.getTime() - r.int(0, 27 * 24 * 60) * 60_000)
            : fromLocal(t.y, t.m + r.int(0, 14), 1);
      const id = await asPerson(userId, now, async (p) => {
        await p.optIn([kind === 'premarital' ? 'premarital' : kind === 'newborn' ? 'newborn' : 'prenatal'], WARD);
        return (await p.journeys.start(kind, anchor(), WARD)).journey.id;
      });
      let stopped = false;
      const steps = r.int(1, 6);
      for (let s = 0; s < steps; s++) {
        const where = `seed ${SEED}, journey ${i} (${kind}), step ${s}`;
        const op = r.pick(['snooze', 'done', 'change', 'pause', 'resume', 'stop', 'loss', 'stopAll', 'doctor', 'job'] as const);
        const win = kind === 'pregnancy' ? r.pick(PREGNANCY_WINDOWS).id : kind === 'newborn' ? r.pick(['heel', 'check', 'result']) : 'pm';
        await asPerson(userId, now, async (p) => {
          switch (op) {
            case 'snooze':
              return p.journeys.snooze(id, win);
            case 'done':
              return p.journeys.markDone(id, win);
            case 'change':
              // Only a live journey's date changes; after a stop, changing means starting anew, which this loop does not do.
              if (!stopped) return p.journeys.start(kind, anchor(), WARD);
              return;
            case 'pause':
              return p.journeys.pause(id);
            case 'resume':
              return p.journeys.resume(id);
            case 'stop':
              stopped = true;
              return p.journeys.stop(id);
            case 'loss':
              if (kind === 'premarital') return;
              stopped = true;
              return p.journeys.loss();
            case 'stopAll':
              stopped = true;
              return p.stopAll();
            default:
              return; // 'doctor' and 'job' run outside the person, below
          }
        });
        if (op === 'doctor') await runDoctor(app.database.db, now);
        if (op === 'job') await app.database.db.transaction((tx) => runJourneysJob(tx, now));
        const left = await pendingOf(userId);
        for (const row of left) expect(isQuietHour(new Date(row.due_at)), `${where}: ${row.dedupe_key} at ${new Date(row.due_at).toISOString()}`).toBe(false);
        if (stopped) {
          expect(left, `${where}: pending after a stop`).toEqual([]);
          expect(await statusOf(id), where).toBe('ended');
        }
        if ((await statusOf(id)) === 'paused') expect(left, `${where}: pending while paused`).toEqual([]);
        checked += left.length;
        now = new Date(now.getTime() + r.int(0, 40) * DAY + r.int(-600, 600) * 60_000);
      }
      // After a stop, neither the doctor nor the daily job brings anything back.
      if (stopped) {
        await runDoctor(app.database.db, now);
        await app.database.db.transaction((tx) => runJourneysJob(tx, now));
        expect(await pendingOf(userId), `seed ${SEED}, journey ${i}: revived after a stop`).toEqual([]);
      }
    }
    expect(checked).toBeGreaterThan(100);
  }, 120_000);
});
