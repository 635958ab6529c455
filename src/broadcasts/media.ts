import { randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.js';
import { broadcastMedia, type BroadcastPhoto } from '../db/schema.js';
import { type FetchedFile, type FetchFile, MediaTooLargeError } from '../core/files.js';
import type { PhotoRef } from '../core/messages.js';
import type { Context, Hono } from 'hono';
import { onlyMethods } from '../http/server.js';
import type { Logger } from '../log.js';

/**
 * Photos of Telegram authors for Zalo recipients. Zalo's sendPhoto takes only a
 * public URL, and a Telegram file_id is no URL: when the bot has a PUBLIC_URL
 * it serves the photo itself at `GET /media/<token>` (a 144-bit random token,
 * so the address cannot be guessed), fetched once from Telegram (getFile) on
 * the first request and kept in Postgres (at most MEDIA_MAX_BYTES). Without a
 * PUBLIC_URL, Zalo recipients get the text only and the preview says so.
 */

const TOKEN = /^[A-Za-z0-9_-]{24}$/;

export const mediaUrl = (base: string, token: string) => `${base.replace(/\/+$/, '')}/media/${token}`;

/** Records a Telegram photo that may be served; returns its token. Run in the broadcast's transaction. */
export async function registerMedia(q: Queryable, fileId: string, now: Date): Promise<string> {
  const token = randomBytes(18).toString('base64url');
  await q.insert(broadcastMedia).values({ token, telegramFileId: fileId, createdAt: now });
  return token;
}

/**
 * The photo as one recipient's channel may send it: the file_id (Telegram
 * prefers it) and a URL, the author's own (Zalo) or our hosted copy when
 * `mediaBase` (PUBLIC_URL) is set. No URL: Zalo sends the text alone.
 */
export function recipientPhoto(photo: BroadcastPhoto | null | undefined, mediaBase: string | null): PhotoRef | undefined {
  if (!photo) return undefined;
  const url = photo.url ?? (mediaBase && photo.media ? mediaUrl(mediaBase, photo.media) : undefined);
  return { ...(photo.fileId ? { fileId: photo.fileId } : {}), ...(url ? { url } : {}) };
}

/**
 * `GET /media/:token` (and HEAD): the stored bytes, or — the first time —
 * fetched from Telegram and stored. Concurrent first requests in one process
 * share one download; another replica may download once more, harmlessly
 * (the first stored copy wins).
 */
export function mediaRoute(o: { db: Db; fetchFile: FetchFile; log?: Logger }): (c: Context) => Promise<Response> {
  const inFlight = new Map<string, Promise<FetchedFile | null>>();

  const load = async (token: string): Promise<FetchedFile | null> => {
    const [row] = await o.db.select().from(broadcastMedia).where(eq(broadcastMedia.token, token)).limit(1);
    if (!row) return null;
    if (row.bytes) return { bytes: row.bytes, contentType: row.contentType ?? 'image/jpeg' };
    const file = await o.fetchFile(row.telegramFileId);
    await o.db
      .update(broadcastMedia)
      .set({ bytes: Buffer.from(file.bytes), contentType: file.contentType, fetchedAt: new Date() })
      .where(and(eq(broadcastMedia.token, token), isNull(broadcastMedia.bytes)));
    return file;
  };

  return async (c) => {
    const token = c.req.param('token') ?? '';
    if (!TOKEN.test(token)) return c.body(null, 404);
    let file: FetchedFile | null;
    try {
      let pending = inFlight.get(token);
      if (!pending) {
        pending = load(token).finally(() => inFlight.delete(token));
        inFlight.set(token, pending);
      }
      file = await pending;
    } catch (err) {
      const tooLarge = err instanceof MediaTooLargeError;
      o.log?.warn({ err: tooLarge ? err.message : err instanceof Error ? err.message : String(err) }, 'media: photo not available');
      return c.body(null, tooLarge ? 413 : 502);
    }
    if (!file) return c.body(null, 404);
    const headers = {
      'content-type': file.contentType,
      'content-length': String(file.bytes.length),
      'cache-control': 'public, max-age=604800, immutable',
      'x-content-type-options': 'nosniff',
    };
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    return c.body(new Uint8Array(file.bytes), 200, headers);
  };
}

/** `GET /media/:token` (HEAD too; other methods 405): the photos the bot hosts. */
export function mediaRoutes(http: Hono, o: Parameters<typeof mediaRoute>[0]): void {
  http.get('/media/:token', mediaRoute(o));
  onlyMethods(http, '/media/:token', ['GET', 'HEAD']);
}
