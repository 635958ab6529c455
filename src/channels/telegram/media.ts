import type { Api } from 'grammy';
import { type FetchFile, MEDIA_MAX_BYTES, MediaTooLargeError } from '../../core/files.js';

const TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/**
 * Downloads a file the bot received: getFile, then `{apiRoot}/file/bot<token>/<path>`.
 * That URL holds the bot token: it is never logged or put in an error.
 */
export function telegramFileFetcher(o: {
  api: Pick<Api, 'getFile'>;
  token: string;
  apiRoot: string;
  fetch?: typeof globalThis.fetch;
  maxBytes?: number;
}): FetchFile {
  const max = o.maxBytes ?? MEDIA_MAX_BYTES;
  const get = o.fetch ?? globalThis.fetch;
  return async (fileId) => {
    const file = await o.api.getFile(fileId);
    if (!file.file_path) throw new Error('telegram getFile gave no file_path');
    if ((file.file_size ?? 0) > max) throw new MediaTooLargeError(file.file_size!);
    const res = await get(`${o.apiRoot.replace(/\/+$/, '')}/file/bot${o.token}/${file.file_path}`, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok || !res.body) throw new Error(`telegram file download: HTTP ${res.status}`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > max) throw new MediaTooLargeError(size);
      chunks.push(chunk);
    }
    const ext = file.file_path.split('.').pop()?.toLowerCase() ?? '';
    return { bytes: Buffer.concat(chunks), contentType: TYPES[ext] ?? 'image/jpeg' };
  };
}

