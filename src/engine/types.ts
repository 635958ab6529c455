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

/** What the engine says; each channel renders it its own way. */
export interface OutboundMessage {
  text: string;
  choices?: Choice[];
  /** Ask for the person's phone number with the platform's share-contact button (its label), where there is one. */
  requestPhone?: { label: string };
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
    | { kind: 'media'; media: 'sticker' | 'photo' | 'voice' | 'video' | 'document' | 'location' | 'other' }
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
