/**
 * A file a person sent the bot (a broadcast's photo), fetched back from the
 * platform by its id: what the bot hosts for channels that take only a URL.
 */

/** Telegram's own cap for a photo by URL is 5 MB; larger is refused. */
export const MEDIA_MAX_BYTES = 5 * 1024 * 1024;

export interface FetchedFile {
  bytes: Uint8Array;
  contentType: string;
}

/** Downloads a file a channel received, by the platform's id for it. */
export type FetchFile = (fileId: string) => Promise<FetchedFile>;

export class MediaTooLargeError extends Error {
  constructor(readonly size: number) {
    super(`file of ${size} bytes is over ${MEDIA_MAX_BYTES}`);
  }
}
