import type { CapsOf } from '../core/caps.js';
import { capsLookup } from '../core/caps.js';
import type { ChannelPlugin } from './plugin.js';
import { telegramChannel } from './telegram/index.js';
import { TERMINAL_CAPS } from './terminal/index.js';
import { zaloChannel } from './zalo/index.js';
import { znsChannel } from './zns/index.js';

/**
 * The platform channels the bot can serve; each is on when its configuration
 * is there. (The terminal is given by main when no platform is configured.)
 * A new channel is a folder beside these and one line here.
 */
export const PLATFORM_CHANNELS: readonly ChannelPlugin[] = [znsChannel, telegramChannel, zaloChannel];

/** Every channel's capabilities by name, configured here or not (a contact may be on any). */
export const channelCaps: CapsOf = capsLookup([
  ...PLATFORM_CHANNELS.map((c) => [c.name, c.caps] as const),
  ['terminal', TERMINAL_CAPS] as const,
]);
