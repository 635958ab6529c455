import type { i18n } from 'i18next';
import type { Clock } from './config/clock.js';
import type { Db } from './db/client.js';
import { migrate } from './db/migrate.js';
import { bootstrapAdmins } from './domain/staff.js';
import { loadWards, syncWards, WardDirectory } from './domain/wards.js';
import { CommandTable } from './engine/commands.js';
import { Engine } from './engine/engine.js';
import { GapRecorder } from './engine/gap-recorder.js';
import type { FaqBundle } from './faq/types.js';
import { createI18n } from './i18n/index.js';
import type { Logger } from './log.js';
import { flows } from '../flows/index.js';

export type { FaqBundle };

export interface App {
  engine: Engine;
  i18n: i18n;
  wards: WardDirectory;
  gaps: GapRecorder;
}

/**
 * Prepares the database (migrations, ward list) and builds the engine.
 * Shared by `npm start`, the tests and the benchmarks so they run the same thing.
 */
export async function buildApp(deps: {
  db: Db;
  clock: Clock;
  log: Logger;
  faq: FaqBundle;
  /** Telegram user ids that are administrators from the first start (ADMIN_TELEGRAM_IDS). */
  admins?: readonly string[];
}): Promise<App> {
  const applied = await migrate(deps.db);
  if (applied) deps.log.info({ applied }, 'migrations applied');
  const wardList = loadWards();
  await syncWards(deps.db, wardList);
  const wards = new WardDirectory(wardList);
  if (deps.admins) await bootstrapAdmins(deps.db, deps.admins, deps.clock.now());
  const i18n = createI18n();
  const gaps = new GapRecorder(deps.db, deps.clock, deps.log);
  const engine = new Engine({
    db: deps.db,
    clock: deps.clock,
    i18n,
    matcher: deps.faq.matcher,
    safety: deps.faq.safety,
    faq: deps.faq.entries,
    wards,
    flows,
    commands: new CommandTable(),
    gaps,
    log: deps.log,
  });
  return { engine, i18n, wards, gaps };
}
