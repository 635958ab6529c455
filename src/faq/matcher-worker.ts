/**
 * A matcher worker (matcher-pool.ts starts it): builds the same matcher as
 * this thread would (createContentMatcher), says `ready`, then answers
 * `{ id, text }` with `{ id, result }`. A question that throws is answered
 * `{ id, error }` with the error's name only: the question's text never
 * leaves in a message or a log.
 */
import { parentPort } from 'node:worker_threads';
import { createContentMatcher } from './bundle.js';
import type { FaqResult } from './types.js';

export type WorkerRequest = { id: number; text: string };
export type WorkerReply = { ready: true } | { id: number; result: FaqResult } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error('matcher-worker.ts runs as a worker thread (src/faq/matcher-pool.ts starts it)');

const matcher = createContentMatcher();
port.on('message', ({ id, text }: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { id, result: matcher.match(text) };
  } catch (err) {
    reply = { id, error: err instanceof Error ? err.name : typeof err };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies WorkerReply);
