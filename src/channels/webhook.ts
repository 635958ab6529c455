import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';

/** Constant-time comparison that leaks neither content nor length (both sides hashed to 32 bytes). */
export function secretMatches(expected: string, given: string | undefined): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * The answer to a body over the limit: 413, and the connection closed (the
 * client is still sending what we will not read; reusing that connection for
 * its next request would fail).
 */
export const tooLarge = (c: Context): Response => c.body(null, 413, { connection: 'close' });

/** A webhook's JSON body: an object or an array; undefined for an empty, malformed or `null` body (answered 400). */
export async function jsonBody(c: Context): Promise<unknown> {
  try {
    const json: unknown = JSON.parse(await c.req.text());
    return typeof json === 'object' && json !== null ? json : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One piece of work at a time per chat, in arrival order, within this
 * process (the engine's per-person lock keeps replicas apart). A failure is
 * reported to `onError` and does not stop the chat's next work.
 */
export class ChatQueue {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly onError: (err: unknown) => void) {}

  /** Runs `work` after the chat's earlier work; `chat` null runs it alone. */
  run(chat: string | null, work: () => Promise<void>): Promise<void> {
    const key = chat ?? `alone:${this.pending.size}:${Math.random()}`;
    const run = (this.chains.get(key) ?? Promise.resolve()).then(work).catch(this.onError);
    this.chains.set(key, run);
    const tracked = run.finally(() => {
      this.pending.delete(tracked);
      if (this.chains.get(key) === run) this.chains.delete(key);
    });
    this.pending.add(tracked);
    return tracked;
  }

  /** Resolves when every piece of work taken so far is done (tests, a graceful stop). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
