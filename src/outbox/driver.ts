import type { Logger } from '../log.js';
import type { Dispatcher } from './dispatcher.js';

/** The running dispatchers of a process; `stop()` ends them (see startDispatchers). */
export interface DispatcherDriver {
  /**
   * Stops every loop, lets each finish and record the batch in hand, and gives
   * leadership up (a standby replica leads at once). Idempotent.
   */
  stop(): Promise<void>;
  /** Settles when every loop has ended (after stop(), or never). */
  readonly done: Promise<void>;
}

/**
 * Production's way of driving the dispatchers: each runs its own loop
 * (`Dispatcher.run`) — drain what is due, wait `idleMs`, drain again — for as
 * long as the process lives. A loop never overlaps itself, however long a send
 * takes (a cron tick every second did, and node-cron said so on stderr each
 * second of a long broadcast), and sends back to back while there is a backlog,
 * so the rate is the token bucket's, not the tick's. A dispatcher that does not
 * lead its channel just asks again every `idleMs`.
 *
 * The benchmarks drive the same loop (bench/dispatch.ts, bench/broadcast.ts).
 */
export function startDispatchers(
  dispatchers: readonly Dispatcher[],
  opts: { log?: Logger; idleMs?: number } = {},
): DispatcherDriver {
  const idleMs = opts.idleMs ?? 250;
  const loops = dispatchers.map((d) =>
    d.run({ idleMs }).catch((err) => opts.log?.error({ err, channel: d.channel }, 'dispatch loop ended')),
  );
  const done = Promise.all(loops).then(() => {});
  let stopping: Promise<void> | null = null;
  return {
    done,
    stop() {
      stopping ??= (async () => {
        for (const d of dispatchers) d.stop();
        await done;
        await Promise.allSettled(dispatchers.map((d) => d.close()));
      })();
      return stopping;
    },
  };
}
