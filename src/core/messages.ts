/**
 * What the engine and the channels say to each other, whatever the platform.
 * A channel turns a platform update into an InboundEvent and renders the
 * engine's OutboundMessages its own way (see ChannelCaps).
 */

/** A channel's name, as stored with each contact ('telegram', 'zalo', 'terminal', …). */
export type ChannelName = string;

/**
 * A choice the person can make. `value` is the encoded action (src/core/actions.ts):
 * short codes, never Vietnamese text (Telegram callback data is at most 64 bytes).
 */
export interface Choice {
  label: string;
  value: string;
}

/**
 * A photo as the platforms know it: Telegram's file_id (from a Telegram sender)
 * and/or a public URL (Zalo gives one; we may host one). Each channel sends
 * what it can use (ChannelCaps.photo).
 */
export interface PhotoRef {
  fileId?: string | undefined;
  url?: string | undefined;
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
  /**
   * Shown in place of the message whose button was pressed (a toggle, a page of
   * a list), where the channel can edit (ChannelCaps.editable); elsewhere sent as new.
   */
  replacesPressed?: boolean;
  /** The pressed message's question is answered: its buttons go, where the channel can edit, so they cannot be pressed again. */
  retiresPressed?: boolean;
}

export interface InboundBase {
  channel: ChannelName;
  /** The platform's id of the person. */
  userId: string;
  /** Where replies go (the private chat). */
  chatId: string;
  displayName?: string | undefined;
  /** The platform's language hint (e.g. Telegram's language_code). */
  languageCode?: string | undefined;
}

export type MediaKind = 'sticker' | 'photo' | 'voice' | 'video' | 'document' | 'location' | 'other';

/** One thing a person did, whatever the platform. */
export type InboundEvent = InboundBase &
  (
    | { kind: 'text'; text: string }
    /** A button pressed: the choice's value. */
    | { kind: 'choice'; value: string }
    | { kind: 'contact'; phone: string }
    /** `photo` (and its caption) when the platform gave one we can send on; only a step that asks for a photo reads it. */
    | { kind: 'media'; media: MediaKind; photo?: PhotoRef; caption?: string }
    /** The person blocked the bot, or unblocked it. */
    | { kind: 'blocked' }
    | { kind: 'unblocked' }
  );

/** Handles one inbound event; never throws (the engine answers failures with an apology). */
export type InboundHandler = (event: InboundEvent) => Promise<OutboundMessage[]>;

/**
 * A channel that can change a message after sending it (ChannelCaps.editable):
 * a broadcast's live status, a list paged in place.
 */
export interface MessageEditor {
  /** Sends the message; its id for later edits (null when the platform gave none). */
  post(chatId: string, text: string, choices: Choice[]): Promise<string | null>;
  edit(chatId: string, messageId: string, text: string, choices: Choice[]): Promise<void>;
}
