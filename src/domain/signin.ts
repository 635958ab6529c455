import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { consoleSessions, consoleTokens } from '../db/schema.js';

/**
 * Sign-in to the staff console (src/console) without passwords, and its sessions: the SQL
 * and the secrets. The promise kept here:
 *
 * - A link token is 32 random bytes, sent once in chat (`/web`), valid 10
 *   minutes, good for ONE sign-in: the UPDATE that spends it is conditional
 *   (unused, unexpired), so two tabs racing get one session between them.
 * - A session cookie is 32 random bytes, valid 12 hours, and only while the
 *   role it was opened under is live (src/console/auth.ts checks on every
 *   request).
 * - Only sha256 digests of both are stored, so a copy of the database signs
 *   nobody in; neither is ever logged.
 * - The per-session CSRF token is derived from the cookie (sha256 of a label
 *   and the cookie), so a page can carry it and another site cannot compute it.
 */
export const LINK_TTL_MS = 10 * 60_000;
export const SESSION_TTL_MS = 12 * 60 * 60_000;

const secret = () => randomBytes(32).toString('base64url');
export const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
/** A token as we send it: base64url of 32 bytes (43 characters). Anything else is not one of ours. */
export const looksLikeToken = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v);

export async function issueSignInToken(q: Queryable, contactId: number, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = secret();
  const expiresAt = new Date(now.getTime() + LINK_TTL_MS);
  await q.insert(consoleTokens).values({ hash: digest(token), contactId, createdAt: now, expiresAt });
  return { token, expiresAt };
}

export type TokenState = { ok: true; contactId: number } | { ok: false; reason: 'unknown' | 'expired' | 'used' };

/** What a token is, without spending it (the page that asks "sign in?"). */
export async function tokenState(q: Queryable, token: string, now: Date): Promise<TokenState> {
  if (!looksLikeToken(token)) return { ok: false, reason: 'unknown' };
  const [row] = await q.select().from(consoleTokens).where(eq(consoleTokens.hash, digest(token))).limit(1);
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.usedAt) return { ok: false, reason: 'used' };
  if (row.expiresAt <= now) return { ok: false, reason: 'expired' };
  return { ok: true, contactId: row.contactId };
}

/** Spends a token: its contact, once; then why not. */
export async function spendSignInToken(q: Queryable, token: string, now: Date): Promise<TokenState> {
  if (!looksLikeToken(token)) return { ok: false, reason: 'unknown' };
  const [spent] = await q
    .update(consoleTokens)
    .set({ usedAt: now })
    .where(and(eq(consoleTokens.hash, digest(token)), isNull(consoleTokens.usedAt), gt(consoleTokens.expiresAt, now)))
    .returning({ contactId: consoleTokens.contactId });
  if (spent) return { ok: true, contactId: spent.contactId };
  return tokenState(q, token, now);
}

/** A new session for a contact under their live role; returns the cookie's value (never stored). */
export async function openWebSession(q: Queryable, contactId: number, grantId: number, now: Date): Promise<{ cookie: string; expiresAt: Date }> {
  const cookie = secret();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await q.insert(consoleSessions).values({ hash: digest(cookie), contactId, grantId, createdAt: now, expiresAt });
  // Old rows go as new ones come: links and sessions a day past their end (a spent link is kept till then, to say "used").
  const dayAgo = new Date(now.getTime() - 86_400_000);
  await q.delete(consoleTokens).where(lt(consoleTokens.expiresAt, dayAgo));
  await q.delete(consoleSessions).where(lt(consoleSessions.expiresAt, dayAgo));
  return { cookie, expiresAt };
}

export type WebSession = typeof consoleSessions.$inferSelect;

/** The live session a cookie names (not expired, not ended), or null. */
export async function findWebSession(q: Queryable, cookie: string | undefined, now: Date): Promise<WebSession | null> {
  if (!looksLikeToken(cookie)) return null;
  const [row] = await q
    .select()
    .from(consoleSessions)
    .where(and(eq(consoleSessions.hash, digest(cookie)), isNull(consoleSessions.revokedAt), gt(consoleSessions.expiresAt, now)))
    .limit(1);
  return row ?? null;
}

export async function endWebSession(q: Queryable, hash: string, now: Date): Promise<void> {
  await q.update(consoleSessions).set({ revokedAt: now }).where(and(eq(consoleSessions.hash, hash), isNull(consoleSessions.revokedAt)));
}

/** The CSRF token of the session a cookie opens. */
export const csrfToken = (cookie: string) => createHash('sha256').update(`hp-console-csrf\0${cookie}`, 'utf8').digest('base64url');

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(cookie: string, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length > 100) return false;
  const a = Buffer.from(csrfToken(cookie));
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
