import { systemClock } from '../core/clock.js';
import { loadEnv } from '../config/env.js';
import { openDatabase } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { topGaps, weekOf } from '../domain/faq-gaps.js';

/**
 * `npm run faq:gaps [-- --weeks N]`: the questions the bot most often could
 * not answer (or answered wrongly), for the people who write content/faq.
 */
const env = loadEnv();
const i = process.argv.indexOf('--weeks');
const weeks = i > 0 ? Math.max(1, Number(process.argv[i + 1]) || 4) : 4;
const since = weekOf(new Date(systemClock.now().getTime() - (weeks - 1) * 7 * 86_400_000));
const database = await openDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR });
try {
  await migrate(database.db);
  const gaps = await topGaps(database.db, since);
  if (gaps.length === 0) console.log(`No unanswered questions since the week of ${since}.`);
  for (const g of gaps) {
    const what = g.kind === 'wrong' ? `marked wrong (answered ${g.topic})` : 'unanswered';
    console.log(`${String(g.count).padStart(5)}  ${what.padEnd(40)}  ${g.question || '(question not kept)'}  [${g.weeks} wk]`);
  }
} finally {
  await database.close();
}
