import type { Actor, Grant } from '../core/actor.js';
import type { Queryable } from '../db/client.js';
import type { Contact } from './contacts.js';

/** Deployment settings the domain rules read (from the configuration, once, at start). */
export interface Settings {
  /** Broadcasts one collaborator or station staff member may start per local day (administrators are not capped). */
  broadcastDailyCap: number;
  /** PUBLIC_URL when the bot hosts Telegram authors' photos at /media/<token> for channels that take only a URL; else null. */
  mediaBaseUrl: string | null;
  /** ZNS is on: the booking flow offers reminders by ZNS at the number given. */
  znsOffered: boolean;
}

export const DEFAULT_SETTINGS: Settings = { broadcastDailyCap: 3, mediaBaseUrl: null, znsOffered: false };

/** What a person's data reaches beyond their own rows, for /xoa to find it. */
export interface PersonServices {
  /** The questions they asked that the FAQ could not answer (kept under a keyed hash of who asked). */
  forgetQuestions?(q: Queryable, personKey: string): Promise<void>;
}

/**
 * What a Person lends its domain services for one update: reads, writes (which
 * refuse on the engine's read-only fast path, so the update is redone under the
 * lock), the clock, the contact, the audit log, who acts and the settings.
 */
export interface PersonPort {
  readonly read: Queryable;
  write(): Queryable;
  readonly now: Date;
  readonly settings: Settings;
  contact(): Contact | null;
  ensure(): Promise<Contact>;
  audit(action: string, target?: string, details?: Record<string, unknown>): Promise<void>;
  /** Stores the platform's display name (people who book or hold a role: staff lists name them). */
  rememberName(): Promise<void>;
  /** The person as an actor: their contact and live staff role. */
  actor(): Promise<Actor>;
  /** The person was just granted a role (an invite redeemed in this update). */
  granted(grant: Grant): void;
}
