import { randomInt } from 'node:crypto';
import { and, asc, eq, isNull, notInArray, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.js';
import { contacts, inviteCodes, staffRoles } from '../db/schema.js';
import { Denied, type Grant, isDenied, isRole, type Role } from '../core/actor.js';
import { audit } from './audit.js';
import type { Authority, StaffAction } from './authority.js';
import type { PersonPort } from './port.js';
import * as S from './sessions.js';
import { issueSignInToken } from './signin.js';
import * as R from './reports.js';
import * as W from './walkins.js';

export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const normaliseCode = (typed: string) => typed.toUpperCase().replace(/[^A-Z0-9]/g, '');

/** Staff and collaborators act in named wards; a counsellor may also answer the whole city (none named). */
const wardsFit = (role: Role, wardCodes: readonly string[]) => role === 'admin' || role === 'counsellor' || wardCodes.length > 0;

export async function liveGrant(q: Queryable, contactId: number): Promise<Grant | null> {
  const [row] = await q
    .select({ id: staffRoles.id, role: staffRoles.role, wardCodes: staffRoles.wardCodes })
    .from(staffRoles)
    .where(and(eq(staffRoles.contactId, contactId), isNull(staffRoles.revokedAt)))
    .limit(1);
  return row && isRole(row.role) ? { id: row.id, role: row.role, wardCodes: row.wardCodes } : null;
}

/** Replaces a contact's live role (the old row is revoked, so history stays). */
async function setRole(q: Queryable, contactId: number, role: Role, wardCodes: readonly string[], by: number | null, source: string, now: Date) {
  await q.update(staffRoles).set({ revokedAt: now }).where(and(eq(staffRoles.contactId, contactId), isNull(staffRoles.revokedAt)));
  const [row] = await q
    .insert(staffRoles)
    .values({ contactId, role, wardCodes: role === 'admin' ? [] : [...wardCodes], source, grantedBy: by, grantedAt: now })
    .returning();
  return row!;
}

/**
 * Administrators named in ADMIN_TELEGRAM_IDS: made administrators at start (their
 * contact row is created if they never wrote), and an administrator made so
 * from an id no longer listed loses the role. Audited.
 */
export async function bootstrapAdmins(db: Db, telegramIds: readonly string[], now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const listed: number[] = [];
    for (const id of telegramIds) {
      const [c] = await tx
        .insert(contacts)
        .values({ channel: 'telegram', platformUserId: id, chatId: id })
        .onConflictDoUpdate({ target: [contacts.channel, contacts.platformUserId], set: { platformUserId: id } })
        .returning({ id: contacts.id });
      listed.push(c!.id);
      const grant = await liveGrant(tx, c!.id);
      if (grant?.role === 'admin') continue;
      await setRole(tx, c!.id, 'admin', [], null, 'env', now);
      await audit(tx, { actorContactId: null, action: 'role.bootstrap', target: `contact:${c!.id}`, details: { role: 'admin' }, at: now });
    }
    const stale = await tx
      .update(staffRoles)
      .set({ revokedAt: now })
      .where(
        and(
          eq(staffRoles.source, 'env'),
          isNull(staffRoles.revokedAt),
          notInArray(staffRoles.contactId, listed),
        ),
      )
      .returning({ contactId: staffRoles.contactId });
    for (const s of stale) {
      await audit(tx, { actorContactId: null, action: 'role.unbootstrap', target: `contact:${s.contactId}`, details: { role: 'admin' }, at: now });
    }
  });
}

/**
 * `npm start` in a terminal is a local demo: the terminal's one person is made
 * an administrator (source 'terminal', audited) so that /web opens the staff
 * console. The app never calls this with NODE_ENV=production.
 */
export async function bootstrapLocalAdmin(db: Db, who: { channel: string; userId: string }, now: Date): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [c] = await tx
      .insert(contacts)
      .values({ channel: who.channel, platformUserId: who.userId, chatId: who.userId })
      .onConflictDoUpdate({ target: [contacts.channel, contacts.platformUserId], set: { platformUserId: who.userId } })
      .returning({ id: contacts.id });
    if ((await liveGrant(tx, c!.id))?.role === 'admin') return false;
    await setRole(tx, c!.id, 'admin', [], null, 'terminal', now);
    await audit(tx, { actorContactId: null, action: 'role.bootstrap', target: `contact:${c!.id}`, details: { role: 'admin', source: 'terminal' }, at: now });
    return true;
  });
}

export interface RoleLine {
  id: number;
  contactId: number;
  name: string | null;
  role: Role;
  wardCodes: string[];
  source: string;
}

/**
 * One actor's staff desk for one update: every method checks the actor's role
 * and ward first (Authority, the edge), audits what it did or refused, then
 * calls the SQL in sessions.ts.
 */
export class StaffDesk {
  constructor(
    private readonly p: PersonPort,
    private readonly authority: Authority,
  ) {}

  grant(): Promise<Grant | null> {
    return this.authority.grant();
  }

  /** Checks an action; a refusal is audited (who, what, where) and returned. */
  check(action: StaffAction, wardCode?: string, target?: string): Promise<Denied | null> {
    return this.authority.check(action, wardCode, target);
  }

  /** The wards this person acts in; null = every ward (administrator). */
  wards(): Promise<string[] | null> {
    return this.authority.wards();
  }

  // ---- roles and invites ----

  async createInvite(role: Role, wardCodes: readonly string[]): Promise<{ code: string; expiresAt: Date } | Denied> {
    const denied = await this.check('roles.manage', undefined, 'invite');
    if (denied) return denied;
    if (!wardsFit(role, wardCodes)) return new Denied('wards');
    const me = await this.p.ensure();
    const code = Array.from({ length: 8 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
    const expiresAt = new Date(this.p.now.getTime() + INVITE_TTL_MS);
    await this.p.write().insert(inviteCodes).values({ code, role, wardCodes: role === 'admin' ? [] : [...wardCodes], createdBy: me.id, createdAt: this.p.now, expiresAt });
    await this.p.audit('invite.create', `invite:${code}`, { role, wardCodes });
    return { code, expiresAt };
  }

  /** Anyone may redeem a code, once, before it expires. */
  async redeem(typed: string): Promise<Grant | Denied> {
    const code = normaliseCode(typed);
    const me = await this.p.ensure();
    const w = this.p.write();
    const [invite] = await w
      .update(inviteCodes)
      .set({ redeemedBy: me.id, redeemedAt: this.p.now })
      .where(and(eq(inviteCodes.code, code), isNull(inviteCodes.redeemedAt), isNull(inviteCodes.revokedAt), sql`${inviteCodes.expiresAt} > ${this.p.now.toISOString()}::timestamptz`))
      .returning();
    if (!invite || !isRole(invite.role)) {
      await this.p.audit('invite.refused', `invite:${code}`);
      return new Denied('expired');
    }
    const row = await setRole(w, me.id, invite.role, invite.wardCodes, invite.createdBy, 'invite', this.p.now);
    await this.p.audit('role.grant', `contact:${me.id}`, { role: invite.role, wardCodes: invite.wardCodes, invite: code, grantedBy: invite.createdBy });
    const grant = { id: row.id, role: invite.role, wardCodes: invite.wardCodes };
    this.p.granted(grant);
    await this.p.rememberName();
    return grant;
  }

  async listRoles(): Promise<RoleLine[] | Denied> {
    const denied = await this.check('roles.manage', undefined, 'roles');
    if (denied) return denied;
    const list = await this.p.read
      .select({ id: staffRoles.id, contactId: staffRoles.contactId, name: contacts.displayName, role: staffRoles.role, wardCodes: staffRoles.wardCodes, source: staffRoles.source })
      .from(staffRoles)
      .innerJoin(contacts, eq(contacts.id, staffRoles.contactId))
      .where(isNull(staffRoles.revokedAt))
      .orderBy(asc(staffRoles.id));
    return list.filter((r): r is RoleLine => isRole(r.role));
  }

  private async liveRole(id: number) {
    const [row] = await this.p.read.select().from(staffRoles).where(and(eq(staffRoles.id, id), isNull(staffRoles.revokedAt))).limit(1);
    return row ?? null;
  }

  async changeRole(roleId: number, role: Role, wardCodes: readonly string[]): Promise<Grant | Denied> {
    const denied = await this.check('roles.manage', undefined, `role:${roleId}`);
    if (denied) return denied;
    const old = await this.liveRole(roleId);
    if (!old) return new Denied('not-found');
    if (!wardsFit(role, wardCodes)) return new Denied('wards');
    const me = await this.p.ensure();
    const row = await setRole(this.p.write(), old.contactId, role, wardCodes, me.id, 'invite', this.p.now);
    await this.p.audit('role.change', `contact:${old.contactId}`, { from: { role: old.role, wardCodes: old.wardCodes }, to: { role, wardCodes } });
    return { id: row.id, role, wardCodes: row.wardCodes };
  }

  async revokeRole(roleId: number): Promise<true | Denied> {
    const denied = await this.check('roles.manage', undefined, `role:${roleId}`);
    if (denied) return denied;
    const old = await this.liveRole(roleId);
    if (!old) return new Denied('not-found');
    await this.p.write().update(staffRoles).set({ revokedAt: this.p.now }).where(eq(staffRoles.id, roleId));
    await this.p.audit('role.revoke', `contact:${old.contactId}`, { role: old.role, wardCodes: old.wardCodes });
    return true;
  }

  // ---- sessions ----

  /** A session, if this person may do `action` on it (refusals audited). */
  async session(id: number, action: StaffAction): Promise<S.Session | Denied> {
    const s = await S.getSession(this.p.read, id);
    if (!s) return (await this.check(action, undefined, `session:${id}`)) ?? new Denied('not-found');
    return (await this.check(action, s.wardCode, `session:${id}`)) ?? s;
  }

  async createSession(input: S.NewSession): Promise<{ session: S.Session; invited: number } | Denied> {
    const denied = await this.check('session.create', input.wardCode, 'session:new');
    if (denied) return denied;
    const me = await this.p.ensure();
    const created = await S.createSession(this.p.write(), input, me.id, this.p.now);
    await this.p.audit('session.create', `session:${created.session.id}`, { ...input, startsAt: input.startsAt.toISOString(), invited: created.invited });
    return created;
  }

  /** Sessions this person may see: upcoming and those of the last two days (for attendance). */
  async sessions(): Promise<S.Session[] | Denied> {
    const grant = await this.grant();
    if (!grant) return (await this.check('session.bookings', undefined, 'sessions'))!;
    return S.sessionsIn(this.p.read, grant.role === 'admin' ? null : grant.wardCodes, new Date(this.p.now.getTime() - 2 * 86_400_000));
  }

  async changeSession(id: number, change: { startsAt?: Date; placeName?: string; placeAddress?: string }) {
    const s = await this.session(id, 'session.edit');
    if (isDenied(s)) return s;
    const done = await S.changeSession(this.p.write(), id, change, this.p.now);
    if (!done) return new Denied('not-found');
    await this.p.audit('session.change', `session:${id}`, { from: { startsAt: s.startsAt.toISOString(), placeName: s.placeName, placeAddress: s.placeAddress }, to: { ...change, startsAt: change.startsAt?.toISOString() }, told: done.told });
    return done;
  }

  async setCapacity(id: number, capacity: number): Promise<S.Session | Denied> {
    const s = await this.session(id, 'session.edit');
    if (isDenied(s)) return s;
    const done = await S.setCapacity(this.p.write(), id, capacity);
    if (done === null) return new Denied('not-found');
    if (done === 'below-booked') return new Denied('below-booked');
    await this.p.audit('session.capacity', `session:${id}`, { from: s.capacity, to: capacity });
    return done;
  }

  async cancelSession(id: number) {
    const s = await this.session(id, 'session.cancel');
    if (isDenied(s)) return s;
    const done = await S.cancelSession(this.p.write(), id, this.p.now);
    if (!done) return new Denied('not-found');
    await this.p.audit('session.cancel', `session:${id}`, { told: done.told });
    return done;
  }

  /** Who booked, and how many gave their place back. */
  async bookings(id: number): Promise<{ session: S.Session; list: S.BookingLine[]; cancelled: number } | Denied> {
    const s = await this.session(id, 'session.bookings');
    if (isDenied(s)) return s;
    await this.p.audit('session.bookings', `session:${id}`);
    const list = await S.sessionBookings(this.p.read, id);
    const counts = await R.attendanceCounts(this.p.read, id);
    return { session: s, list, cancelled: counts.cancelled };
  }

  async markAttendance(id: number, bookingId: number, attended: boolean): Promise<true | Denied> {
    const s = await this.session(id, 'session.attendance');
    if (isDenied(s)) return s;
    if (!(await S.markAttendance(this.p.write(), id, bookingId, attended, this.p.now))) return new Denied('not-found');
    await this.p.audit('session.attendance', `booking:${bookingId}`, { sessionId: id, attended });
    return true;
  }

  /** Only once the session has started. */
  async markRestNoShow(id: number): Promise<number | Denied> {
    const s = await this.session(id, 'session.attendance');
    if (isDenied(s)) return s;
    if (s.startsAt > this.p.now) return new Denied('not-yet');
    const n = await S.markRestNoShow(this.p.write(), id, this.p.now);
    await this.p.audit('session.noshow', `session:${id}`, { count: n });
    return n;
  }

  // ---- the web console (src/console): the same rules, checked and audited here ----

  /** A single-use sign-in link's token for the web console (any staff role; valid 10 minutes, stored hashed). */
  async consoleToken(): Promise<{ token: string; expiresAt: Date } | Denied> {
    const denied = await this.check('console.signin', undefined, 'console');
    if (denied) return denied;
    const me = await this.p.ensure();
    const issued = await issueSignInToken(this.p.write(), me.id, this.p.now);
    await this.p.audit('console.link', `contact:${me.id}`, { expiresAt: issued.expiresAt.toISOString() });
    return issued;
  }

  /** Sessions of this person's wards, upcoming or past, a page at a time (cancelled ones too). */
  async sessionList(when: 'upcoming' | 'past', offset = 0, limit = R.PAGE_SIZE): Promise<{ list: S.Session[]; total: number } | Denied> {
    const denied = await this.check('session.bookings', undefined, 'sessions');
    if (denied) return denied;
    return R.sessionList(this.p.read, await this.wards(), { when, now: this.p.now, offset, limit });
  }

  /** One page of a session's bookings, searched by name or phone, with its walk-ins and live counts. */
  async bookingPage(id: number, o: { search?: string; offset?: number; limit?: number } = {}) {
    const s = await this.session(id, 'session.bookings');
    if (isDenied(s)) return s;
    const page = await R.bookingPage(this.p.read, id, o);
    await this.p.audit('session.bookings', `session:${id}`, { ...(o.search ? { search: true } : {}), offset: o.offset ?? 0, shown: page.list.length });
    return { session: s, ...page, walkIns: await W.walkInsOf(this.p.read, id) };
  }

  /** The live counts of a session (after a tap on the attendance page). */
  async attendanceCounts(id: number): Promise<R.AttendanceCounts | Denied> {
    const s = await this.session(id, 'session.attendance');
    if (isDenied(s)) return s;
    return R.attendanceCounts(this.p.read, id);
  }

  /** Someone examined without a booking, added on the day (counted as a walk-in). */
  async addWalkIn(id: number, input: { name: string; birthYear: number | null }): Promise<W.WalkIn | Denied> {
    const s = await this.session(id, 'session.attendance');
    if (isDenied(s)) return s;
    const name = input.name.normalize('NFC').replace(/\s+/g, ' ').trim();
    const year = this.p.now.getUTCFullYear();
    if (s.status !== 'scheduled' || name.length < 2 || name.length > W.WALK_IN_NAME_MAX) return new Denied('not-found');
    if (input.birthYear !== null && (input.birthYear < year - 120 || input.birthYear > year)) return new Denied('not-found');
    const me = await this.p.ensure();
    const row = await W.addWalkIn(this.p.write(), s, { name, birthYear: input.birthYear }, me.id, this.p.now);
    await this.p.audit('session.walkin', `walkin:${row.id}`, { sessionId: id });
    return row;
  }

  async removeWalkIn(id: number, walkInId: number): Promise<true | Denied> {
    const s = await this.session(id, 'session.attendance');
    if (isDenied(s)) return s;
    if (!(await W.removeWalkIn(this.p.write(), s, walkInId))) return new Denied('not-found');
    await this.p.audit('session.walkin.remove', `walkin:${walkInId}`, { sessionId: id });
    return true;
  }

  /**
   * The indicators of a year as this person may see them: every ward's and
   * the city's, with counts from 1 to 4 hidden ("<5") outside their own wards.
   */
  async indicators(o: { year: number; grains: readonly R.Grain[]; targets: R.Targets | null; wardCodes: readonly string[] }) {
    const denied = await this.check('reports.read', undefined, 'indicators');
    if (denied) return denied;
    const scope = await this.wards();
    const { months, opening } = await R.loadYear(this.p.read, o.year);
    const denominators = await R.denominatorsOf(this.p.read, o.year);
    const lastMonth = R.monthsBegun(o.year, this.p.now);
    const rows = o.grains.flatMap((grain) => R.buildIndicators({ year: o.year, grain, lastMonth, months, opening, wardCodes: o.wardCodes, denominators, targets: o.targets }));
    return {
      scope,
      rows: rows.map((r) => {
        const shown = R.shownRow(r, scope);
        return { period: r.period, wardCode: r.wardCode, programme: r.programme, denominator: r.denominator, target: r.target, own: R.isOwn(r.wardCode, scope), wardsWithDenominator: r.wardsWithDenominator ?? null, values: shown.values, coverage: shown.coverage };
      }),
    };
  }

  /** The denominators of a year this person may see: their wards' (an administrator: every ward's). */
  async denominators(year: number): Promise<R.Denominators | Denied> {
    const denied = await this.check('reports.read', undefined, 'denominators');
    if (denied) return denied;
    return R.denominatorsOf(this.p.read, year, await this.wards());
  }

  /** A ward's yearly denominators, set by its station or an administrator. */
  async setDenominators(wardCode: string, year: number, values: Partial<Record<R.DenominatorKind, number | null>>): Promise<true | Denied> {
    const denied = await this.check('denominators.edit', wardCode, `ward:${wardCode}`);
    if (denied) return denied;
    const me = await this.p.ensure();
    await R.setDenominators(this.p.write(), wardCode, year, values, me.id, this.p.now);
    await this.p.audit('denominators.set', `ward:${wardCode}`, { year, values });
    return true;
  }

  /** The audit log, filtered, newest first (administrators). */
  async auditLog(filter: R.AuditFilter, offset = 0, limit = R.PAGE_SIZE): Promise<{ list: R.AuditRow[]; total: number } | Denied> {
    const denied = await this.check('audit.read', undefined, 'audit');
    if (denied) return denied;
    return R.auditPage(this.p.read, filter, { offset, limit });
  }
}
