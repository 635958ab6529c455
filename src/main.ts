import { join } from 'node:path';
import pino from 'pino';
import { createApp } from './app.js';
import { StartupError } from './channels/connect.js';
import { type Config, configSecrets, loadConfig } from './config/env.js';
import { offsetClock, systemClock } from './core/clock.js';
import { createLogger, type Logger, scrubber } from './log.js';
import { isDroppedTypesFetch } from './db/driver-faults.js';
import { exitOnCrash, stopOnSignals } from './process.js';

/**
 * `npm start`: every configured channel, the HTTP server when something is
 * served, the scheduler and dispatchers. With no platform configured it chats
 * in this terminal and exits at end of input.
 */
let log: Logger | null = null;

async function main(): Promise<void> {
  const config = loadConfig();
  const terminal = !config.TELEGRAM_BOT_TOKEN && !config.ZALO_BOT_TOKEN;
  log = logger(config, terminal);
  exitOnCrash(process, log, (code) => process.exit(code), { harmless: isDroppedTypesFetch });
  const clock = config.FAKE_NOW ? offsetClock(new Date(config.FAKE_NOW)) : systemClock;
  const app = await createApp({
    config,
    clock,
    log,
    terminal: terminal ? { input: process.stdin, output: process.stdout, interactive: Boolean(process.stdin.isTTY) } : null,
  });
  stopOnSignals(process, () => app.stop(), log, (code) => process.exit(code));
  try {
    await app.start();
  } catch (err) {
    await app.stop();
    throw err;
  }
  if (app.done) {
    await app.done;
    await app.stop();
  }
}

/**
 * In the terminal the chat owns the screen: logs go to a file beside the
 * embedded database (warnings and up unless LOG_LEVEL says otherwise).
 * Elsewhere they go to stdout as JSON lines, for the platform's collector.
 */
function logger(config: Config, terminal: boolean): Logger {
  const secrets = { secrets: configSecrets(config) };
  if (!terminal) return createLogger(config.LOG_LEVEL, undefined, secrets);
  const level = process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn';
  const file = config.DATA_DIR.startsWith('memory://') ? 2 : join(config.DATA_DIR, 'bot.log');
  return createLogger(level, pino.destination({ dest: file, mkdir: true, sync: true }), secrets);
}

main().catch((err: unknown) => {
  // One line on the screen (scrubbed like a log line); the whole error, safely, in the log.
  if (!(err instanceof StartupError)) log?.fatal({ event: 'process.start.failed', err }, 'start failed');
  console.error(scrubber([])(err instanceof Error ? err.message : String(err)));
  process.exit(1);
});
