/** The channels the engine serves; adapters render and parse, nothing more. */
export type ChannelName = 'telegram' | 'zalo' | 'terminal';

/**
 * A choice the person can make. `value` is a short code (Telegram callback data
 * is at most 64 bytes): never Vietnamese text.
 */
export interface Choice {
  label: string;
  value: string;
}

/**
 * A photo as the platforms know it: Telegram's file_id (from a Telegram sender)
 * and/or a public URL (Zalo gives one; we may host one). Each channel sends
 * what it can use: Telegram the file_id, else the URL; Zalo only a URL.
 */
export interface PhotoRef {
  fileId?: string;
  url?: string;
}

/** What the engine says; each channel renders it its own way. */
export interface OutboundMessage {
  text: string;
  /** Sent as a photo with the text as its caption (or the text just after it, when too long for a caption). */
  photo?: PhotoRef;
  choices?: Choice[];
  /** Ask for the person's phone number with the platform's share-contact button (its label), where there is one. */
  requestPhone?: { label: string };
  /** The language the text is in (set by the engine), for a channel's own words around it (Zalo's "Trả lời 1, 2 hoặc 3"). */
  locale?: string;
}

interface InboundBase {
  channel: ChannelName;
  /** The platform's id of the person. */
  userId: string;
  /** Where replies go (the private chat). */
  chatId: string;
  displayName?: string | undefined;
  /** The platform's language hint (e.g. Telegram's language_code). */
  languageCode?: string | undefined;
}

/** One thing a person did, whatever the platform. */
export type InboundEvent = InboundBase &
  (
    | { kind: 'text'; text: string }
    /** A button pressed: the choice's value. */
    | { kind: 'choice'; value: string }
    | { kind: 'contact'; phone: string }
    /** `photo` (and its caption) when the platform gave one we can send on; only a step that asks for a photo reads it. */
    | { kind: 'media'; media: 'sticker' | 'photo' | 'voice' | 'video' | 'document' | 'location' | 'other'; photo?: PhotoRef; caption?: string }
    /** The person blocked the bot, or unblocked it. */
    | { kind: 'blocked' }
    | { kind: 'unblocked' }
  );

/** Delivery failures the adapters report back in a platform-neutral way. */
export class RecipientBlockedError extends Error {
  constructor(readonly channel: ChannelName, readonly chatId: string) {
    super(`recipient ${channel}:${chatId} blocked the bot`);
  }
}
