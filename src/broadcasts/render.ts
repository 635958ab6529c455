import type { i18n, TFunction } from 'i18next';
import { inArray } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { broadcasts, type BroadcastPhoto } from '../db/schema.js';
import type { ChannelName, OutboundMessage } from '../core/messages.js';
import { LOCALES, translator } from '../i18n/index.js';
import type { RenderOutbox } from '../outbox/types.js';
import type { ClaimedMessage, Sender } from '../outbox/types.js';
import type { CapsOf } from '../core/caps.js';
import type { Settings } from '../domain/port.js';
import { recipientPhoto } from './media.js';
import { BROADCAST_KEY } from './store.js';

/** Exactly what a recipient reads: the author's text, a blank line, the stop footer in the recipient's language. */
export function broadcastText(t: TFunction | ((key: string) => string), text: string): string {
  return `${text.trim()}\n\n${(t as (key: string) => string)('broadcast.footer')}`;
}

/**
 * The longest text an author may write for these channels: the smallest limit,
 * less the longest footer of any language (a recipient may read English).
 */
export function maxTextLength(t: TFunction, channels: readonly ChannelName[], capsOf: CapsOf): number {
  const limit = Math.min(...(channels.length ? channels : ['']).map((c) => capsOf(c).textLimit));
  const footer = Math.max(...LOCALES.map((lng) => broadcastText(() => t('broadcast.footer', { lng }), '').length));
  return limit - footer;
}

const idOf = (m: Pick<ClaimedMessage, 'payload'>) => Number(m.payload.params?.bc);

/** Exactly what a recipient gets: the text with its footer, and the photo as their channel may send it (render.ts of each channel decides caption or two messages). */
export function broadcastMessage(t: TFunction | ((key: string) => string), text: string, photo: BroadcastPhoto | null | undefined, mediaBase: string | null): OutboundMessage {
  const p = recipientPhoto(photo, mediaBase);
  return { text: broadcastText(t, text), ...(p ? { photo: p } : {}) };
}

/**
 * The outbox rows of a broadcast carry only its id; its text and photo are
 * read once per broadcast (and per process) when the first row goes out.
 * `sender()` wraps a channel's sender so they are loaded before the
 * (synchronous) render.
 */
export class BroadcastTexts {
  private readonly cache = new Map<number, { text: string; photo: BroadcastPhoto | null } | null>();

  constructor(
    private readonly db: Queryable,
    private readonly i18n: i18n,
    /** Settings.mediaBaseUrl: PUBLIC_URL when the bot hosts Telegram authors' photos for URL-only channels. */
    private readonly settings: Pick<Settings, 'mediaBaseUrl'>,
    private readonly maxCached = 200,
  ) {}

  async load(ids: readonly number[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => Number.isInteger(id) && !this.cache.has(id));
    if (!missing.length) return;
    if (this.cache.size + missing.length > this.maxCached) this.cache.clear();
    const found = await this.db.select({ id: broadcasts.id, text: broadcasts.text, photo: broadcasts.photo }).from(broadcasts).where(inArray(broadcasts.id, missing));
    for (const id of missing) {
      const f = found.find((x) => x.id === id);
      this.cache.set(id, f ? { text: f.text, photo: f.photo } : null);
    }
  }

  /** Renders broadcast rows (text + footer, and the photo); anything else goes to `base`. */
  render(base: RenderOutbox): RenderOutbox {
    return (m, locale): OutboundMessage => {
      if (m.payload.key !== BROADCAST_KEY) return base(m, locale);
      const b = this.cache.get(idOf(m));
      if (b == null) throw new Error(`broadcast ${idOf(m)} not loaded`);
      return broadcastMessage(translator(this.i18n, locale), b.text, b.photo, this.settings.mediaBaseUrl);
    };
  }

  sender(inner: Sender): Sender {
    return {
      send: async (m) => {
        if (m.payload.key === BROADCAST_KEY) {
          await this.load([idOf(m)]);
          if (this.cache.get(idOf(m)) == null) return { kind: 'error', message: `broadcast ${idOf(m)} not found`, permanent: true };
        }
        return inner.send(m);
      },
    };
  }
}
