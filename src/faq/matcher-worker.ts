/**
 * A matcher worker (matcher-pool.ts starts it): builds what this thread would
 * (createTextInspector: the matcher, the safety check, the everyday intents),
 * says `ready`, then answers `{ id, text }` with `{ id, facts }`. A message
 * that throws is answered `{ id, error }` with the error's name only: the
 * message's text never leaves in a reply or a log.
 */
import { parentPort } from 'node:worker_threads';
import { createTextInspector } from './bundle.js';
import type { TextFacts } from './types.js';

export type WorkerRequest = { id: number; text: string };
export type WorkerReply = { ready: true } | { id: number; facts: TextFacts } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error('matcher-worker.ts runs as a worker thread (src/faq/matcher-pool.ts starts it)');

const inspect = createTextInspector();
port.on('message', ({ id, text }: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { id, facts: inspect(text) };
  } catch (err) {
    reply = { id, error: err instanceof Error ? err.name : typeof err };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies WorkerReply);
