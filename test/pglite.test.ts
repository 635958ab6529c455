import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createApp, type App } from '../src/app.js';
import { ManualClock } from '../src/core/clock.js';
import { openDatabase, rows, type Database } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { createLogger } from '../src/log.js';
import { testConfig, testFaq } from './support/app.js';

// The embedded default (`npm start` with no DATABASE_URL) runs the same schema and services on PGlite.
let database: Database;
let app: App;
beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  app = await createApp({ config: testConfig(), database, clock: new ManualClock(new Date('2026-11-23T03:00:00Z')), log: createLogger('silent'), faq: testFaq() });
});
afterAll(() => database.close());

const who = { channel: 'terminal' as const, userId: 'local', chatId: 'local' };
const say = (text: string) => app.engine.handle({ ...who, kind: 'text', text });

describe('PGlite', () => {
  it('is a real Postgres with the migrations applied, and a second run applies none', async () => {
    expect(database.kind).toBe('pglite');
    const [wards] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from wards`);
    expect(wards!.n).toBe(114);
    expect(await migrate(database.db)).toBe(0);
  });

  it('runs subscribe, stop and delete through the same repositories', async () => {
    await say('/start');
    await say('6'); // "Nhận nhắc lịch & tin" by number, as in the terminal
    await say('1');
    await say('xong');
    await say('le chan');
    await say('1');
    const done = await say('1');
    expect(done[0]!.text).toContain('Đã xong');
    const [subs] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from subscriptions where ended_at is null`);
    expect(subs!.n).toBe(2);
    await say('dừng');
    await say('1');
    const [ended] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from subscriptions where ended_at is null`);
    expect(ended!.n).toBe(0);
    await say('/xoa');
    await say('1');
    const [left] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from contacts`);
    expect(left!.n).toBe(0);
  });

  it('remembers numbered choices between messages (the terminal has no buttons)', async () => {
    const menu = await say('/menu');
    expect(menu[0]!.choices).toHaveLength(8);
    const out = await say('9');
    expect(out[0]!.text).toContain('từ 1 đến 8');
    const page = await say('khám sức khỏe người cao tuổi');
    expect(page[0]!.text).toContain('60 tuổi');
  });
});
