import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * The bot's small HTTP surface: `POST /webhooks/telegram`, `POST /webhooks/zalo`,
 * `GET /healthz`, and `GET /media/<token>` (broadcast photos for Zalo, when
 * served: src/broadcasts/media.ts). Each webhook handler checks its own secret.
 */
export function createHttpServer(routes: { telegram?: Handler; zalo?: Handler; media?: Handler; health: () => Promise<boolean> }): Server {
  return createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method === 'GET' && path === '/healthz') {
        const ok = await routes.health().catch(() => false);
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
        return;
      }
      if (routes.media && path?.startsWith('/media/')) {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { allow: 'GET, HEAD' }).end();
          return;
        }
        await routes.media(req, res);
        return;
      }
      const handler = path === '/webhooks/telegram' ? routes.telegram : path === '/webhooks/zalo' ? routes.zalo : undefined;
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      await handler(req, res);
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
}

export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve((server.address() as { port: number }).port));
  });
}
