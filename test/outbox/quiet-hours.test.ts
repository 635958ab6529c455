import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { deferQuietHours, deferQuietHoursSql, isQuietHour } from '../../src/outbox/quiet-hours.js';
import { outboxDatabase } from './support.js';

// Hải Phòng is UTC+7: 21:00 local = 14:00Z, 07:00 local = 00:00Z.
const at = (iso: string) => new Date(iso);

describe('quiet hours (21:00–07:00 Asia/Ho_Chi_Minh), whatever the machine zone', () => {
  it('knows which instants are quiet', () => {
    expect(isQuietHour(at('2026-11-23T13:59:59Z'))).toBe(false); // 20:59:59 local
    expect(isQuietHour(at('2026-11-23T14:00:00Z'))).toBe(true); // 21:00
    expect(isQuietHour(at('2026-11-23T23:59:59Z'))).toBe(true); // 06:59:59 next day
    expect(isQuietHour(at('2026-11-24T00:00:00Z'))).toBe(false); // 07:00
    expect(isQuietHour(at('2026-11-23T17:00:00Z'))).toBe(true); // 00:00 local: UTC says the 23rd, Hải Phòng the 24th
  });

  it('moves a due time in quiet hours to the next 07:00 local, and leaves others alone', () => {
    expect(deferQuietHours(at('2026-11-23T14:00:00Z')).toISOString()).toBe('2026-11-24T00:00:00.000Z'); // 21:00 → 07:00 next day
    expect(deferQuietHours(at('2026-11-23T16:59:00Z')).toISOString()).toBe('2026-11-24T00:00:00.000Z'); // 23:59
    expect(deferQuietHours(at('2026-11-23T17:00:00Z')).toISOString()).toBe('2026-11-24T00:00:00.000Z'); // 00:00 local, same local day
    expect(deferQuietHours(at('2026-11-23T22:30:00Z')).toISOString()).toBe('2026-11-24T00:00:00.000Z'); // 05:30
    expect(deferQuietHours(at('2026-12-31T15:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z'); // 22:00 on New Year's Eve
    expect(deferQuietHours(at('2026-11-23T01:00:00Z')).toISOString()).toBe('2026-11-23T01:00:00.000Z'); // 08:00 stays
    expect(deferQuietHours(at('2026-11-24T00:00:00Z')).toISOString()).toBe('2026-11-24T00:00:00.000Z'); // 07:00 stays
  });

  it('does not depend on process.env.TZ', () => {
    const before = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      expect(deferQuietHours(at('2026-11-23T15:00:00Z')).toISOString()).toBe('2026-11-24T00:00:00.000Z');
    } finally {
      process.env.TZ = before;
    }
  });

  describe('in SQL (set-based enqueue)', () => {
    let database: Awaited<ReturnType<typeof outboxDatabase>>;
    beforeAll(async () => {
      database = await outboxDatabase(2);
    });
    afterAll(() => database.close());

    it('agrees with the JavaScript rule every 20 minutes over two days', async () => {
      const instants = Array.from({ length: 144 }, (_, i) => new Date(Date.UTC(2026, 10, 23, 0, i * 20, 7)));
      const got = await database.db.transaction(async (tx) => {
        // A session zone far from ours: the SQL must not care either.
        await tx.execute(sql`set local timezone to 'America/New_York'`);
        return rows<{ t: string | Date }>(
        tx,
        sql`select ${deferQuietHoursSql(sql`x::timestamptz`)} as t
            from unnest(${`{${instants.map((d) => `"${d.toISOString()}"`).join(',')}}`}::timestamptz[]) with ordinality as u(x, n)
            order by n`,
        );
      });
      expect(got).toHaveLength(instants.length);
      for (const [i, g] of got.entries()) {
        expect(new Date(g.t).toISOString(), instants[i]!.toISOString()).toBe(deferQuietHours(instants[i]!).toISOString());
      }
    });
  });
});
