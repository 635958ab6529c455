/**
 * Who acts, and the answer when they may not. Roles are data (staff_roles),
 * checked at the edge of every staff action, in chat and on the web alike.
 */

export const ROLES = ['admin', 'staff', 'collaborator', 'counsellor'] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (v: unknown): v is Role => ROLES.includes(v as Role);

/**
 * A live role: its row, and the wards it covers (administrators: every ward,
 * so none listed; a counsellor with none listed answers the whole city).
 */
export interface Grant {
  id: number;
  role: Role;
  wardCodes: string[];
}

/** A person acting: their contact (null before they ever wrote) and the role they hold now. */
export interface Actor {
  contactId: number | null;
  grant: Grant | null;
}

/** No role at all; a role that does not allow this (a collaborator creating a session); another ward. */
export type Refusal = 'no-role' | 'role-lacks' | 'outside-ward';

/** An action was refused (or its object does not exist); the caller says so kindly. */
export class Denied {
  constructor(
    readonly reason: Refusal | 'not-found' | 'below-booked' | 'expired' | 'wards' | 'not-yet' | 'cap' | 'quiet',
    /** The role held, when it is the role that does not allow the action (to say what it does allow). */
    readonly role?: Role,
  ) {}
}
export const isDenied = (v: unknown): v is Denied => v instanceof Denied;
