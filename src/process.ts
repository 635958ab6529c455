import type { Logger } from './log.js';

/** The part of `process` these guards listen on (an EventEmitter in tests). */
export interface ProcessEvents {
  on(event: 'unhandledRejection' | 'uncaughtException' | 'SIGINT' | 'SIGTERM', listener: (reason?: unknown) => void): unknown;
}
type Exit = (code: number) => void;

/**
 * A rejection or exception nobody handled leaves the process in a state no one
 * planned for: log it (safely: src/log.ts) and exit non-zero, so the
 * supervisor (Docker, systemd) starts a clean process. The outbox and the
 * inbox make that restart lose nothing.
 */
export function exitOnCrash(proc: ProcessEvents, log: Logger, exit: Exit, o: { harmless?: (reason: unknown) => boolean } = {}): void {
  const crash = (kind: string) => (reason?: unknown, promise?: unknown) => {
    // A library's own dropped promise (db/driver-faults.ts): logged, and the process goes on.
    if (kind === 'unhandled rejection' && o.harmless?.(reason)) {
      log.warn({ event: 'process.rejection.harmless', err: reason }, 'a rejection the database driver dropped (a connection lost while it opened)');
      return;
    }
    // A postgres.js query nobody awaited carries its SQL (never its parameters): the first words say which one it was.
    const statement = typeof (promise as { string?: unknown } | undefined)?.string === 'string' ? (promise as { string: string }).string.replace(/\s+/g, ' ').trim().slice(0, 80) : undefined;
    log.fatal({ event: 'process.crash', kind, err: reason, ...(statement ? { statement } : {}) }, `${kind}: exiting for the supervisor to restart`);
    exit(1);
  };
  proc.on('unhandledRejection', crash('unhandled rejection'));
  proc.on('uncaughtException', crash('uncaught exception'));
}

/**
 * SIGINT and SIGTERM stop the app once. Ctrl-C under `npm start` sends both
 * (the terminal signals the process group, npm passes its own on): the second
 * must neither drain again nor kill the process half-way through the first.
 */
export function stopOnSignals(proc: ProcessEvents, stop: () => Promise<void>, log: Logger, exit: Exit): void {
  let stopping = false;
  const onSignal = (signal: string) => () => {
    if (stopping) {
      log.info({ signal }, 'already stopping');
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    stop().then(
      () => {
        log.info({ signal }, 'stopped');
        exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        exit(1);
      },
    );
  };
  proc.on('SIGINT', onSignal('SIGINT'));
  proc.on('SIGTERM', onSignal('SIGTERM'));
}
