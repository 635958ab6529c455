import pino from 'pino';
import { createApp } from './app.js';
import { loadConfig } from './config/env.js';
import { offsetClock, systemClock } from './core/clock.js';
import { createLogger } from './log.js';

/**
 * `npm start`: every configured channel, the HTTP server when something is
 * served, the scheduler and dispatchers. With no platform configured it chats
 * in this terminal and exits at end of input.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const terminal = !config.TELEGRAM_BOT_TOKEN && !config.ZALO_BOT_TOKEN;
  // In the terminal the chat owns stdout: logs go to stderr and only warnings unless asked.
  const log = terminal
    ? createLogger(process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn', pino.destination(2))
    : createLogger(config.LOG_LEVEL);
  const clock = config.FAKE_NOW ? offsetClock(new Date(config.FAKE_NOW)) : systemClock;
  const app = await createApp({
    config,
    clock,
    log,
    terminal: terminal ? { input: process.stdin, output: process.stdout, interactive: Boolean(process.stdin.isTTY) } : null,
  });
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.start();
  if (app.done) {
    await app.done;
    await app.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
