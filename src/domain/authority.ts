import { type Actor, Denied, type Grant, type Refusal, type Role } from '../core/actor.js';

export type StaffAction =
  | 'session.create'
  | 'session.edit'
  | 'session.cancel'
  | 'session.bookings'
  | 'session.attendance'
  | 'roles.manage'
  | 'broadcast.send'
  | 'broadcast.citywide'
  | 'console.signin'
  | 'reports.read'
  | 'denominators.edit'
  | 'audit.read'
  | 'counsel.answer';

/**
 * Who may do what. Health-station staff run their wards' sessions; population
 * collaborators see who booked and mark who came; counsellors answer the
 * people who ask for one, in their wards or the whole city; administrators do
 * everything, city-wide, and alone manage roles.
 */
export const PERMISSIONS: Record<StaffAction, readonly Role[]> = {
  'session.create': ['admin', 'staff'],
  'session.edit': ['admin', 'staff'],
  'session.cancel': ['admin', 'staff'],
  'session.bookings': ['admin', 'staff', 'collaborator'],
  'session.attendance': ['admin', 'staff', 'collaborator'],
  'roles.manage': ['admin'],
  // Campaign broadcasts to their wards' subscribers; city-wide ones are an administrator's.
  'broadcast.send': ['admin', 'staff', 'collaborator'],
  'broadcast.citywide': ['admin'],
  // The web console (src/console): a sign-in link for every role (a counsellor's pages are their
  // conversations, not the figures); the figures for the stations and administrators (other wards'
  // small counts hidden); a ward's yearly denominators by its station; the audit log, administrators.
  'console.signin': ['admin', 'staff', 'collaborator', 'counsellor'],
  'reports.read': ['admin', 'staff', 'collaborator'],
  'denominators.edit': ['admin', 'staff'],
  'audit.read': ['admin'],
  // Conversations with people who asked for a counsellor (src/domain/tickets.ts): a ward's
  // counsellors answer its people, city-wide counsellors (no ward listed) everyone's;
  // administrators may take one over or hand it on (they are alerted when one waits).
  'counsel.answer': ['admin', 'counsellor'],
};

/** The authorisation rule itself: pure, so the whole matrix is testable. */
export function authorize(grant: Grant | null, action: StaffAction, wardCode?: string): Refusal | null {
  if (!grant) return 'no-role';
  if (!PERMISSIONS[action].includes(grant.role)) return 'role-lacks';
  if (grant.role === 'admin' || wardCode === undefined) return null;
  if (grant.role === 'counsellor' && grant.wardCodes.length === 0) return null;
  return grant.wardCodes.includes(wardCode) ? null : 'outside-ward';
}

/**
 * One actor's authority for one update or request: the same rule and the same
 * audit of refusals whether they act in chat or on the web console.
 */
export class Authority {
  constructor(
    private readonly actor: () => Promise<Actor>,
    /** Writes an audit row as this actor (someone who never wrote before is audited without a contact being made). */
    private readonly audit: (action: string, target?: string, details?: Record<string, unknown>) => Promise<void>,
  ) {}

  async grant(): Promise<Grant | null> {
    return (await this.actor()).grant;
  }

  /** Checks an action; a refusal is audited (who, what, where) and returned. */
  async check(action: StaffAction, wardCode?: string, target?: string): Promise<Denied | null> {
    const grant = await this.grant();
    const refusal = authorize(grant, action, wardCode);
    if (!refusal) return null;
    await this.audit('staff.denied', target, { action, reason: refusal, ...(wardCode ? { wardCode } : {}) });
    return new Denied(refusal, refusal === 'role-lacks' ? grant?.role : undefined);
  }

  /** The wards this actor acts in; null = every ward (administrator); [] = none. */
  async wards(): Promise<string[] | null> {
    const g = await this.grant();
    if (!g) return [];
    return g.role === 'admin' || (g.role === 'counsellor' && g.wardCodes.length === 0) ? null : g.wardCodes;
  }
}
