import { offsetClock, systemClock } from '../core/clock.js';
import { loadEnv } from '../config/env.js';
import { openDatabase } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { formatReport, runDoctor } from '../domain/doctor.js';

/** `npm run doctor`: repairs missing or stale booking reminders and prints what it fixed. */
async function main(): Promise<void> {
  const env = loadEnv();
  const clock = env.FAKE_NOW ? offsetClock(new Date(env.FAKE_NOW)) : systemClock;
  const database = await openDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR });
  try {
    await migrate(database.db);
    const report = await runDoctor(database.db, clock.now());
    for (const line of formatReport(report)) console.log(line);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
