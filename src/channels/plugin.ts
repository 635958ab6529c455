import type { Hono } from 'hono';
import type { i18n } from 'i18next';
import type { Config } from '../config/env.js';
import type { ChannelCaps } from '../core/caps.js';
import type { Clock } from '../core/clock.js';
import type { FetchFile } from '../core/files.js';
import type { ChannelName, InboundHandler, MessageEditor } from '../core/messages.js';
import type { Db } from '../db/client.js';
import type { Inbox, RecordedHandler } from '../inbox/index.js';
import type { Logger } from '../log.js';
import type { DispatcherOptions } from '../outbox/dispatcher.js';
import type { RateLimits } from '../outbox/rate-limit.js';
import type { RenderOutbox, Sender } from '../outbox/types.js';

/** What the app lends a channel: the engine's entry point, words, the database, the outbox renderer. */
export interface ChannelDeps {
  config: Config;
  /** One inbound event in, the replies out (the engine). */
  handle: InboundHandler;
  /** Webhook events go here before they are acknowledged, and are handled from here (src/inbox). */
  inbox: Inbox;
  /** The engine for an inbox event: the event marked handled, with its replies, in the engine's own transaction. */
  handleRecorded: RecordedHandler;
  i18n: i18n;
  db: Db;
  clock: Clock;
  log: Logger;
  /** An outbox row in the recipient's language (broadcast texts included). */
  render: RenderOutbox;
  /** Platforms' HTTP, replaceable in tests. */
  fetch?: typeof globalThis.fetch;
}

/** A configured channel, running in this process. */
export interface ChannelRuntime {
  name: ChannelName;
  caps: ChannelCaps;
  /** HTTP routes it serves (its webhook, files), mounted on the bot's one router before start. */
  routes?(http: Hono): void;
  /** Its outbox sender and the platform's rate, when the bot may write first (reminders, broadcasts). */
  outbox?: { sender: Sender; limits: RateLimits };
  /** Messages that change in place (a broadcast's live status), where the platform can edit. */
  editor?: MessageEditor;
  /** Fetches a file a person sent on this channel (a broadcast's photo), for the bot to host it for URL-only channels. */
  files?: FetchFile;
  /** What another channel's undeliverable rows become (ZNS takes what no chat can reach). */
  fallback?: DispatcherOptions['onPermanentFailure'];
  /** Handles an inbox event of this channel again (its handler died, or it failed): the inbox sweep calls it. */
  replay?(key: string): Promise<void>;
  /** Connects: checks the token, registers the webhook or starts polling. Called after the HTTP server listens. */
  start(): Promise<void>;
  /** Resolves when the channel has ended on its own (the terminal at end of input); absent: runs until stopped. */
  readonly done?: Promise<void>;
  stop(): Promise<void>;
}

/**
 * A channel type: its name and capabilities (known even when it is not
 * configured, for messages to its contacts), whether the configuration turns
 * it on, and how to build it. To add a channel: a folder under src/channels/
 * exporting one of these, listed in src/channels/index.ts.
 */
export interface ChannelPlugin {
  name: ChannelName;
  caps: ChannelCaps;
  enabled(config: Config): boolean;
  create(deps: ChannelDeps): ChannelRuntime | Promise<ChannelRuntime>;
}
