import type { Logger } from '../log.js';

/**
 * Leadership of one channel's sending: one sender per channel across all
 * replicas, so together they keep to the platform's cap, and another replica
 * takes over when the leader dies.
 */
export interface LeaderLock {
  /** True if this process leads now: confirms a lock it holds, or tries to take a free one. Never throws. */
  ensure(): Promise<boolean>;
  /** Gives leadership up and closes what it holds. */
  close(): Promise<void>;
  /**
   * Without a round trip: false once this process knows it no longer leads
   * (the lock's connection closed); true means only "not known to be lost".
   * The dispatcher asks it before sending a batch it claimed ahead.
   */
  held?(): boolean;
}

/** PGlite is one process with one connection: whoever asks leads. */
export function singleProcessLock(): LeaderLock {
  return { ensure: async () => true, close: async () => {}, held: () => true };
}

/**
 * A Postgres session-level advisory lock held on a dedicated connection: a
 * postgres.js client of its own with max: 1, used for nothing else. The lock
 * lives exactly as long as that session. If the process dies — even by SIGKILL —
 * the kernel closes the socket, the server ends the session and the lock is free
 * for a standby. Each `ensure()` confirms the lock on the current backend, so a
 * dropped connection (which postgres.js re-opens silently) shows up as lost
 * leadership at the next batch.
 *
 * Not `sql.reserve()`: in postgres.js 3.4.9 a reserved connection whose backend
 * is terminated throws an uncatchable TypeError from nextWrite and then hangs
 * (porsager/postgres#1208) — exactly the event a leader lock must survive. A
 * one-connection client rotates the dead connection away instead.
 */
export function postgresLeaderLock(opts: { url: string; name: string; log?: Logger }): LeaderLock {
  type Sql = import('postgres').Sql;
  let client: Sql | null = null;
  let held = false;
  let closed = false;

  const drop = async () => {
    held = false;
    const c = client;
    client = null;
    await c?.end({ timeout: 1 }).catch(() => {});
  };

  return {
    async ensure() {
      if (closed) return false;
      try {
        if (!client) {
          const { default: postgres } = await import('postgres');
          // Never recycled (max_lifetime), never idled out: the lock lives as long as this session.
          // When the session ends anyway (the server restarts, an admin terminates it), onclose
          // tells held() at once, before the next ensure() would.
          client = postgres(opts.url, {
            max: 1, onnotice: () => {}, idle_timeout: 0, max_lifetime: null, connect_timeout: 5,
            onclose: () => {
              held = false;
            },
          });
        }
        if (held) {
          // This session takes no other advisory lock, so any granted one is ours.
          const [row] = await client<{ n: number }[]>`
            select count(*)::int as n from pg_locks
            where locktype = 'advisory' and pid = pg_backend_pid() and granted`;
          held = (row?.n ?? 0) > 0;
          if (held) return true;
          opts.log?.warn({ lock: opts.name }, 'leadership lost');
        }
        const [row] = await client<{ ok: boolean }[]>`select pg_try_advisory_lock(hashtextextended(${opts.name}, 0)) as ok`;
        held = row?.ok === true;
        if (held) opts.log?.info({ lock: opts.name }, 'leadership taken');
        return held;
      } catch (err) {
        if (held) opts.log?.warn({ err, lock: opts.name }, 'leadership lost with its connection');
        await drop();
        return false;
      }
    },
    held: () => held && !closed,
    async close() {
      closed = true;
      // Ending the session releases the lock; no unlock call needed.
      await drop();
    },
  };
}

/** The lock name of a channel's sender. */
export const senderLockName = (channel: string) => `outbox:sender:${channel}`;
