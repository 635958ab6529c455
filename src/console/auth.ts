import { sql } from 'drizzle-orm';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Grant } from '../core/actor.js';
import { rows, type Queryable, type Tx } from '../db/client.js';
import { contacts } from '../db/schema.js';
import { audit } from '../domain/audit.js';
import { type Contact, lockContact } from '../domain/contacts.js';
import { Person } from '../domain/person.js';
import { liveGrant } from '../domain/staff.js';
import { translate, type Translate } from '../i18n/index.js';
import { eq } from 'drizzle-orm';
import { bare, html, type PageContext } from './html.js';
import type { ConsoleDeps } from './index.js';
import { csrfMatches, csrfToken, endWebSession, findWebSession, openWebSession, SESSION_TTL_MS, spendSignInToken, tokenState, type WebSession } from '../domain/signin.js';

/** What a signed-in request carries to its page: the reader's Person (domain rules), role, words, CSRF token. */
export interface Staff {
  tx: Tx;
  person: Person;
  contact: Contact;
  grant: Grant;
  t: Translate;
  locale: string;
  now: Date;
  csrf: string;
  session: WebSession;
  page: PageContext;
}
export type ConsoleEnv = { Variables: { staff: Staff } };

export const COOKIE = 'hp_staff';

/**
 * Guessing sign-in tokens: at most 10 refused sign-ins per client address, and
 * 200 from everywhere, in 15 minutes; then 429 until the window passes. Counted
 * in Postgres from the audit log's own `console.signin.refused` rows (every
 * refusal is audited anyway), so every replica applies the same limit. Tokens
 * are 256-bit random, so this is a second wall, not the first.
 */
export const THROTTLE = { windowMs: 15 * 60_000, perAddress: 10, overall: 200 } as const;

/** The client's address as the socket sees it (behind a proxy: the proxy's, so the overall limit then does the work). */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function throttled(q: Queryable, address: string, now: Date): Promise<boolean> {
  const since = new Date(now.getTime() - THROTTLE.windowMs).toISOString();
  const [r] = await rows<{ mine: number; everyone: number }>(
    q,
    sql`select count(*) filter (where details->>'ip' = ${address})::int as mine, count(*)::int as everyone
        from audit_log where action = 'console.signin.refused' and at > ${since}::timestamptz`,
  );
  return Number(r?.mine ?? 0) >= THROTTLE.perAddress || Number(r?.everyone ?? 0) >= THROTTLE.overall;
}

/** Content-Security-Policy: nothing from another host, no inline script or style, no framing, no referrer (sign-in links carry tokens). */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  const h = c.res.headers;
  h.set('content-security-policy', CSP);
  h.set('x-content-type-options', 'nosniff');
  h.set('referrer-policy', 'no-referrer');
  h.set('x-frame-options', 'DENY');
  h.set('cross-origin-opener-policy', 'same-origin');
  h.set('permissions-policy', 'camera=(), microphone=(), geolocation=()');
  if (!h.has('cache-control')) h.set('cache-control', 'no-store');
};

/**
 * Forms are accepted only from our own pages: the Origin (or Sec-Fetch-Site)
 * must be ours (hono/csrf; PUBLIC_URL's origin too, behind a proxy), and every
 * signed-in POST carries the session's CSRF token (requireStaff).
 */
export const sameOrigin = (publicUrl: string | null) =>
  csrf({
    origin: (origin, c) => origin === new URL(c.req.url).origin || (publicUrl !== null && origin === new URL(publicUrl).origin),
  });

const secureCookie = (publicUrl: string | null) => publicUrl?.startsWith('https://') ?? false;

/** GET /staff/login?token=… and its POST: the only pages before a session. */
export function signInRoutes(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const words = (locale = 'vi') => translate(deps.i18n, locale);

  const refuse = async (q: Queryable, c: Context, reason: string, contactId: number | null, now: Date) => {
    await audit(q, { actorContactId: contactId, action: 'console.signin.refused', details: { reason, ip: clientAddress(c) }, at: now });
    const t = words();
    return c.html(bare('vi', t('console.signin.title'), html`<h1>${t('console.signin.title')}</h1><p class="error">${t('console.signin.bad')}</p>`), 403);
  };
  const tooMany = (c: Context) => {
    const t = words();
    deps.log.warn({ event: 'console.signin.throttled' }, 'console sign-in throttled');
    return c.html(bare('vi', t('console.signin.title'), html`<h1>${t('console.signin.title')}</h1><p class="error">${t('console.signin.throttled')}</p>`), 429);
  };

  app.get('/login', async (c) => {
    const now = deps.clock.now();
    if (await throttled(deps.db, clientAddress(c), now)) return tooMany(c);
    const token = c.req.query('token') ?? '';
    const state = await tokenState(deps.db, token, now);
    if (!state.ok) return refuse(deps.db, c, state.reason, null, now);
    // Nothing is spent on a GET: a link preview fetching the page signs nobody in. The form
    // posts the token (console.js submits it at once; without JavaScript it is one tap).
    const [who] = await deps.db.select({ locale: contacts.locale }).from(contacts).where(eq(contacts.id, state.contactId));
    const locale = who?.locale ?? 'vi';
    const t = words(locale);
    return c.html(
      bare(
        locale,
        t('console.signin.title'),
        html`<h1>${t('console.signin.title')}</h1>
        <p>${t('console.signin.intro')}</p>
        <form method="post" action="/staff/login" id="signin" data-autosubmit>
          <input type="hidden" name="token" value="${token}">
          <button type="submit" class="primary">${t('console.signin.button')}</button>
        </form>`,
      ),
    );
  });

  app.post('/login', async (c) => {
    const now = deps.clock.now();
    const address = clientAddress(c);
    if (await throttled(deps.db, address, now)) return tooMany(c);
    const body = await c.req.parseBody();
    const token = typeof body.token === 'string' ? body.token : '';
    const opened = await deps.db.transaction(async (tx) => {
      const spent = await spendSignInToken(tx, token, now);
      if (!spent.ok) return { refused: spent.reason, contactId: null };
      const grant = await liveGrant(tx, spent.contactId);
      if (!grant) return { refused: 'no-role', contactId: spent.contactId };
      const session = await openWebSession(tx, spent.contactId, grant.id, now);
      await audit(tx, { actorContactId: spent.contactId, action: 'console.signin', details: { role: grant.role, ip: address, agent: (c.req.header('user-agent') ?? '').slice(0, 200) }, at: now });
      return { session };
    });
    if ('refused' in opened) return refuse(deps.db, c, opened.refused, opened.contactId ?? null, now);
    setCookie(c, COOKIE, opened.session.cookie, {
      path: '/staff',
      httpOnly: true,
      sameSite: 'Strict',
      secure: secureCookie(deps.publicUrl),
      maxAge: Math.floor(SESSION_TTL_MS / 1000),
    });
    return c.redirect('/staff', 303);
  });
}

/** A page for a request that has no session (or whose session ended): 403, with how to get a link. */
function signedOut(c: Context, deps: ConsoleDeps, key: 'console.signin.needed' | 'console.signin.revoked' | 'console.signin.signedOut', status: 200 | 403) {
  const t = translate(deps.i18n, 'vi');
  deleteCookie(c, COOKIE, { path: '/staff', secure: secureCookie(deps.publicUrl) });
  return c.html(bare('vi', t('console.title'), html`<h1>${t('console.title')}</h1><p>${t(key)}</p>`), status);
}

/**
 * Every other /staff page: the cookie's session must be live, its staff member
 * must still hold the very role the session was opened under (checked on every
 * request: revoking or changing the role ends the session), and a POST must
 * carry the session's CSRF token. The request then runs in ONE transaction
 * with a Person for the staff member, exactly as a chat update does (a POST
 * also takes the person's lock, so console and chat actions never interleave):
 * the page calls person.staff / person.broadcasts, where the rules and the
 * audit live. A handler that fails rolls everything back.
 */
export function requireStaff(deps: ConsoleDeps): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const now = deps.clock.now();
    const cookie = getCookie(c, COOKIE);
    const writes = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    const body = writes ? await c.req.parseBody() : null;
    const response = await deps.db.transaction(async (tx) => {
      const session = await findWebSession(tx, cookie, now);
      if (!session || !cookie) return signedOut(c, deps, 'console.signin.needed', 403);
      const [contact] = await tx.select().from(contacts).where(eq(contacts.id, session.contactId)).limit(1);
      if (!contact) return signedOut(c, deps, 'console.signin.needed', 403);
      if (writes) await lockContact(tx, contact.channel, contact.platformUserId);
      const person = new Person(tx, { channel: contact.channel, userId: contact.platformUserId, chatId: contact.chatId }, contact, now, contact.locale, deps.settings);
      const grant = await person.staff.grant();
      if (!grant || grant.id !== session.grantId) {
        await endWebSession(tx, session.hash, now);
        await audit(tx, { actorContactId: contact.id, action: 'console.session.end', details: { reason: grant ? 'role-changed' : 'role-revoked' }, at: now });
        return signedOut(c, deps, 'console.signin.revoked', 403);
      }
      const t = translate(deps.i18n, contact.locale);
      if (writes && !csrfMatches(cookie, body?._csrf ?? c.req.header('x-csrf-token'))) {
        await audit(tx, { actorContactId: contact.id, action: 'console.csrf.refused', target: c.req.path, at: now });
        return c.html(bare(contact.locale, t('console.title'), html`<h1>${t('console.title')}</h1><p class="error">${t('console.errors.csrf')}</p>`), 403);
      }
      const csrf = csrfToken(cookie);
      c.set('staff', {
        tx,
        person,
        contact,
        grant,
        t,
        locale: contact.locale,
        now,
        csrf,
        session,
        page: { t, locale: contact.locale, grant, name: contact.displayName, csrf, wards: deps.wards, path: c.req.path },
      });
      await next();
      if (c.error) throw c.error;
      return null;
    });
    return response ?? undefined;
  };
}

/** POST /staff/logout: the session ends at once (audited). */
export function signOutRoute(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  app.post('/logout', async (c) => {
    const s = c.get('staff');
    await endWebSession(s.tx, s.session.hash, s.now);
    await s.person.audit('console.signout', `contact:${s.contact.id}`);
    return signedOut(c, deps, 'console.signin.signedOut', 200);
  });
}
