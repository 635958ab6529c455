import type { ChannelName } from './messages.js';

/**
 * What a channel can do. The engine, the flows and the broadcasts ask a
 * channel's capabilities; they never switch on its name.
 */
export interface ChannelCaps {
  /** Tappable buttons. Without them choices are numbered lines, and the engine remembers them to read a typed number. */
  buttons: boolean;
  /** A sent message can be edited in place (status messages, pagers, toggles). */
  editable: boolean;
  /** Longest text of one message. */
  textLimit: number;
  /** Longest caption of a photo; a longer text follows the photo as its own message. */
  captionLimit: number;
  /** The photos it can send: by the platform's file id or a URL, by URL only, or none. */
  photo: 'file-or-url' | 'url' | 'none';
  /** A button that shares the person's phone number. */
  phoneButton: boolean;
  /** Most buttons one message may carry. */
  maxButtons: number;
}

/** The capabilities of any channel by name; an unknown name gets the most modest ones. */
export type CapsOf = (channel: ChannelName) => ChannelCaps;

/** What every channel can at least do: numbered text of modest length, no photo. */
export const PLAIN_CAPS: ChannelCaps = {
  buttons: false,
  editable: false,
  textLimit: 2000,
  captionLimit: 2000,
  photo: 'none',
  phoneButton: false,
  maxButtons: 0,
};

/** A lookup over known channels' capabilities (unknown names: PLAIN_CAPS). */
export function capsLookup(known: Iterable<readonly [ChannelName, ChannelCaps]>): CapsOf {
  const map = new Map(known);
  return (channel) => map.get(channel) ?? PLAIN_CAPS;
}
