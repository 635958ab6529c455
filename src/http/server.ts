import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';

/** Whether the bot is serving: 'starting' while channels connect (the platform may be slow or away). */
export type Readiness = 'starting' | 'ready' | 'stopping';

/** How long /healthz waits for the database's `select 1`. */
const HEALTH_DB_TIMEOUT_MS = 2_000;

/**
 * The bot's one router: `GET /healthz` here; channels add their webhooks
 * (`POST /webhooks/<channel>`) and files, the console its pages. Routes and
 * middleware are plain Hono functions; Node's HTTP server is only the adapter.
 */
export function createHttp(o: { readiness: () => Readiness; database: () => Promise<unknown> }): Hono {
  const http = new Hono();
  http.get('/healthz', async (c) => {
    const status = o.readiness();
    // A database that has gone away may not answer at all: no answer in time counts as down.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), HEALTH_DB_TIMEOUT_MS);
    });
    const db = await Promise.race([o.database(), late]).then(
      () => true,
      () => false,
    );
    clearTimeout(timer);
    const ok = db && status === 'ready';
    return c.json({ ok, status, db }, ok ? 200 : 503);
  });
  return http;
}

/** Other methods on a path get 405 with the ones it takes (register after the path's own routes). */
export function onlyMethods(http: Hono, path: string, allow: readonly string[]): void {
  http.all(path, (c) => c.body(null, 405, { allow: allow.join(', ') }));
}

export interface Listening {
  port: number;
  close(): Promise<void>;
}

/** Listens on `port` (0: any free one); fails, rather than hangs, when the port is taken. */
export function listen(http: Hono, port: number, hostname?: string): Promise<Listening> {
  const server = createAdaptorServer({ fetch: http.fetch }) as Server;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as { port: number }).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
