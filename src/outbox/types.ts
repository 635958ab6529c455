import type { OutboxPayload } from '../db/schema.js';
import type { ChannelName, OutboundMessage } from '../core/messages.js';

export type { OutboxPayload };

/** The outbox's channels: the chat channels, and 'zns' (template messages by phone number, sent by the OA; see zns-fallback.ts). */
export type OutboxChannel = ChannelName | 'zns';

/**
 * Priorities, 0..9, lower first. Only 0 may go out in quiet hours (21:00–07:00):
 * it is for what cannot wait, such as a change to today's session.
 */
export const PRIORITY = { urgent: 0, reminder: 2, invite: 5, broadcast: 7 } as const;
export const MAX_PRIORITY = 9;

/** What a producer hands to `enqueue`: channel and chat come from the contact. */
export interface NewMessage {
  /** Unique per recipient and message, e.g. `appt:123:d-1`; enqueueing it again is a no-op. */
  dedupeKey: string;
  contactId: number;
  kind: string;
  payload: OutboxPayload;
  priority?: number;
  dueAt: Date;
}

/** A row the dispatcher claimed, with what it needs to render it: the recipient's language now. */
export interface ClaimedMessage {
  id: number;
  dedupeKey: string;
  contactId: number;
  channel: OutboxChannel;
  chatId: string;
  kind: string;
  payload: OutboxPayload;
  priority: number;
  dueAt: Date;
  /** Hand-overs to a sender so far, this one included. */
  attempts: number;
  locale: string;
  /** 'skipped' when the contact was blocked or had opted out at claim time: never sent. */
  status: 'sending' | 'skipped';
}

/** How a platform answered one send, in platform-neutral terms. */
export type SendResult =
  | { kind: 'ok' }
  /** 429: the whole bot must wait this long (Telegram's parameters.retry_after). */
  | { kind: 'retry_after'; seconds: number }
  /** 403: the person blocked the bot or is gone. */
  | { kind: 'blocked' }
  /**
   * Anything else; `permanent` errors (a 400) are not retried. `unreachable`:
   * this bot cannot reach the person at all (never followed it, not found),
   * though another sender might (zns-fallback.ts).
   */
  | { kind: 'error'; message: string; permanent?: boolean; unreachable?: boolean };

/** Delivers one message on one channel. Must not retry on its own: the dispatcher decides. */
export interface Sender {
  send(message: ClaimedMessage): Promise<SendResult>;
}

/** Turns an outbox row into words in the recipient's language (built on i18next by the app). */
export type RenderOutbox = (message: ClaimedMessage, locale: string) => OutboundMessage;
