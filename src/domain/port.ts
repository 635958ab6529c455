import type { Queryable } from '../db/client.js';
import type { Contact } from './contacts.js';

/**
 * What a Person lends its domain services for one update: reads, writes (which
 * refuse on the engine's read-only fast path, so the update is redone under the
 * lock), the clock, the contact, the audit log.
 */
export interface PersonPort {
  readonly read: Queryable;
  write(): Queryable;
  readonly now: Date;
  contact(): Contact | null;
  ensure(): Promise<Contact>;
  audit(action: string, target?: string, details?: Record<string, unknown>): Promise<void>;
  /** Stores the platform's display name (people who book or hold a role: staff lists name them). */
  rememberName(): Promise<void>;
}
