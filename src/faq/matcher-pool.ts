/**
 * The FAQ side of a message in worker threads: its analysis, the safety
 * check, the everyday intents and the FAQ answer are worked out on another
 * core, beside the event loop that serves updates. Measured: at 2,000
 * updates a second the event loop was the limit (one core busy, the second
 * mostly idle); with this text work moved here, it is about 60 % busy at that
 * rate, and the matcher's 40 MB index is no longer in the heap its collector
 * walks. README "Benchmarks" has the figures.
 *
 * A message goes to the worker with the fewest in hand. A worker that stops
 * or stays stuck past `timeoutMs` is replaced; its messages fail (the bundle
 * then checks safety in this thread, and the engine apologises for a question
 * it could not answer) rather than wait for ever.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import type { WorkerReply } from './matcher-worker.js';
import type { FaqMatcher, FaqResult, TextFacts } from './types.js';

export interface MatcherPool extends FaqMatcher {
  /** A message's safety verdict, everyday intent and FAQ answer, worked out in a worker. */
  inspect(text: string): Promise<TextFacts>;
  match(question: string): Promise<FaqResult>;
  /** Stops the workers; questions still in hand fail. */
  close(): Promise<void>;
}

export interface MatcherPoolOptions {
  /** Worker threads (at least 1). */
  size: number;
  log: Logger;
  /** How long a worker may take over one question before it is replaced. */
  timeoutMs?: number;
  /** The worker's module (tests give one that misbehaves). Default: matcher-worker next to this file. */
  entry?: URL;
}

/** A question the matcher could not answer: its worker stopped, hung, threw, or the pool was closed. */
export class MatcherUnavailableError extends Error {
  override name = 'MatcherUnavailableError';
}

interface Waiting {
  resolve: (r: TextFacts) => void;
  reject: (e: Error) => void;
  sentAt: number;
}

interface Slot {
  /** null while a replacement is on its way: questions wait in `queue`. */
  worker: Worker | null;
  queue: { id: number; text: string }[];
  waiting: Map<number, Waiting>;
  /** Replacements in a row that stopped before they were ready (for the back-off). */
  failures: number;
  ready: boolean;
}

const RESTART_MAX_MS = 30_000;

/** The worker module beside this one: TypeScript under tsx (npm start, tests), JavaScript when built. */
function defaultEntry(): URL {
  return new URL(`./matcher-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
}

/** A worker for `entry`; a `.ts` module is loaded through tsx, which a worker thread does not inherit. */
function spawn(entry: URL): Worker {
  const tsx = entry.pathname.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : null;
  const worker = tsx
    ? new Worker(`import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry.href)}))`, { eval: true })
    : new Worker(entry);
  // The process's own work keeps it alive, never an idle matcher (a start that failed half-way still exits).
  worker.unref();
  return worker;
}

/** Starts `size` matcher workers and resolves once each has built its index (a content error fails here, at start). */
export async function startMatcherPool(o: MatcherPoolOptions): Promise<MatcherPool> {
  const entry = o.entry ?? defaultEntry();
  const timeoutMs = o.timeoutMs ?? 5_000;
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const failAll = (slot: Slot, why: string): void => {
    for (const w of slot.waiting.values()) w.reject(new MatcherUnavailableError(why));
    slot.waiting.clear();
  };

  /** Starts the slot's worker (and hands it what queued meanwhile); resolves when it is ready, rejects if it stops first. */
  const launch = (slot: Slot): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = spawn(entry);
      slot.worker = worker;
      slot.ready = false;
      for (const m of slot.queue.splice(0)) worker.postMessage(m);
      let lastError: Error | null = null;
      worker.on('message', (m: WorkerReply) => {
        if ('ready' in m) {
          slot.ready = true;
          slot.failures = 0;
          resolve();
          return;
        }
        const w = slot.waiting.get(m.id);
        if (!w) return; // answered after its time ran out
        slot.waiting.delete(m.id);
        if ('facts' in m) w.resolve(m.facts);
        else w.reject(new MatcherUnavailableError(`the matcher failed (${m.error})`));
      });
      worker.on('error', (err) => {
        lastError = err;
      });
      worker.on('exit', (code) => {
        if (!slot.ready) reject(lastError ?? new Error(`the matcher worker stopped (exit ${code}) before it was ready`));
        if (slot.worker !== worker) return; // replaced already
        o.log.warn({ event: 'faq.worker.exit', code, error: lastError?.name, ready: slot.ready }, 'a matcher worker stopped; starting another');
        if (!slot.ready) slot.failures++;
        replace(slot, 'the matcher worker stopped');
      });
    });

  /** The slot's questions in hand fail; a new worker takes its place (at once, or after a back-off if they keep failing). */
  const replace = (slot: Slot, why: string): void => {
    const old = slot.worker;
    slot.worker = null;
    slot.ready = false;
    failAll(slot, why);
    void old?.terminate();
    if (closed) return;
    const relaunch = () => {
      if (!closed) launch(slot).catch(() => {});
    };
    if (slot.failures === 0) relaunch();
    else setTimeout(relaunch, Math.min(RESTART_MAX_MS, 100 * 2 ** slot.failures)).unref();
  };

  // A worker stuck on one question (a bug, a pathological text) is replaced rather than waited for.
  const watchdog = setInterval(
    () => {
      const now = performance.now();
      for (const slot of slots) {
        const oldest = slot.waiting.values().next().value;
        if (!oldest || now - oldest.sentAt <= timeoutMs) continue;
        if (slot.worker) {
          o.log.warn({ event: 'faq.worker.stuck', waiting: slot.waiting.size }, 'a matcher worker took too long; replacing it');
          replace(slot, 'the matcher took too long');
        } else {
          // Its replacement keeps failing to start (in back-off): what waits for it fails now, not later.
          slot.queue.length = 0;
          failAll(slot, 'no matcher worker is running');
        }
      }
    },
    Math.min(1_000, timeoutMs),
  );
  watchdog.unref();

  try {
    await Promise.all(
      Array.from({ length: Math.max(1, o.size) }, () => {
        const slot: Slot = { worker: null, queue: [], waiting: new Map(), failures: 0, ready: false };
        slots.push(slot);
        return launch(slot);
      }),
    );
  } catch (err) {
    closed = true;
    clearInterval(watchdog);
    await Promise.all(slots.map((s) => s.worker?.terminate()));
    throw err;
  }

  const inspect = (text: string): Promise<TextFacts> => {
    if (closed) return Promise.reject(new MatcherUnavailableError('the matcher pool is closed'));
    let slot = slots[0] as Slot;
    for (const s of slots) if (s.ready && (!slot.ready || s.waiting.size < slot.waiting.size)) slot = s;
    const id = nextId++;
    return new Promise<TextFacts>((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject, sentAt: performance.now() });
      if (slot.worker) slot.worker.postMessage({ id, text });
      else slot.queue.push({ id, text });
    });
  };

  return {
    inspect,
    match: async (text) => (await inspect(text)).result,
    async close() {
      closed = true;
      clearInterval(watchdog);
      for (const slot of slots) failAll(slot, 'the matcher pool is closed');
      await Promise.all(slots.map((s) => s.worker?.terminate()));
    },
  };
}
