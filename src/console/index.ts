import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { i18n } from 'i18next';
import { projectRoot } from '../config/paths.js';
import { isDenied } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { Db } from '../db/client.js';
import { authorize } from '../domain/authority.js';
import type { Settings } from '../domain/port.js';
import type { Targets } from '../domain/reports.js';
import type { WardDirectory } from '../domain/wards.js';
import { translate } from '../i18n/index.js';
import type { Logger } from '../log.js';
import { type ConsoleEnv, requireStaff, sameOrigin, securityHeaders, signInRoutes, signOutRoute } from './auth.js';
import { bare, html } from './html.js';
import { adminPages } from './pages/admin.js';
import { broadcastPages } from './pages/broadcasts.js';
import { counselPages, counsellorHome } from './pages/counsel.js';
import { reportPages } from './pages/reports.js';
import { sessionPages, sessionsTable } from './pages/sessions.js';
import { denied, render } from './respond.js';

export interface ConsoleDeps {
  db: Db;
  i18n: i18n;
  clock: Clock;
  log: Logger;
  wards: WardDirectory;
  settings: Settings;
  /** PUBLIC_URL: its origin is accepted on forms behind a proxy, and https makes the cookie Secure. */
  publicUrl: string | null;
  /** The city's targets by year (content/targets). */
  targets: Map<number, Targets>;
}

/** The console's own files, served by the bot (the CSP allows nothing from another host). */
function assets(): Map<string, { body: Buffer; type: string; etag: string }> {
  const here = join(projectRoot, 'src', 'console', 'assets');
  const files: [string, string, string][] = [
    ['console.css', join(here, 'console.css'), 'text/css; charset=utf-8'],
    ['console.js', join(here, 'console.js'), 'text/javascript; charset=utf-8'],
    ['chart.umd.js', join(projectRoot, 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js'), 'text/javascript; charset=utf-8'],
  ];
  return new Map(
    files.map(([name, path, type]) => {
      const body = readFileSync(path);
      return [name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` }];
    }),
  );
}

/**
 * The staff console, under /staff on the bot's one router: server-rendered
 * pages in the staff member's language, each request a Person acting through
 * StaffDesk and BroadcastDesk (the chat's rules and audit). See auth.ts for
 * sign-in, sessions and CSRF.
 */
export function consoleRoutes(http: Hono, deps: ConsoleDeps): void {
  const app = new Hono<ConsoleEnv>();
  const files = assets();
  app.use('*', securityHeaders);
  app.use('*', sameOrigin(deps.publicUrl));

  app.get('/assets/:file', (c) => {
    const f = files.get(c.req.param('file'));
    if (!f) return c.body(null, 404);
    if (c.req.header('if-none-match') === f.etag) return c.body(null, 304, { etag: f.etag });
    return c.body(new Uint8Array(f.body), 200, { 'content-type': f.type, etag: f.etag, 'cache-control': 'public, max-age=3600' });
  });
  signInRoutes(app, deps);

  app.use('*', requireStaff(deps));
  signOutRoute(app, deps);

  app.get('/', async (c) => {
    const s = c.get('staff');
    const t = s.t;
    if (s.grant.role === 'counsellor') {
      const home = await counsellorHome(s, deps);
      if (isDenied(home)) return denied(c, s, home);
      return render(c, t('console.title'), home);
    }
    const upcoming = await s.person.staff.sessionList('upcoming', 0, 5);
    if (isDenied(upcoming)) return denied(c, s, upcoming);
    const body = html`<h1>${t('console.home.title', { name: s.contact.displayName ? `, ${s.contact.displayName}` : '' })}</h1>
      <h2>${t('console.home.links')}</h2>
      <ul>
        ${authorize(s.grant, 'session.create') === null ? html`<li><a href="/staff/sessions/new">${t('console.home.newSession')}</a></li>` : ''}
        <li><a href="/staff/indicators">${t('console.home.seeIndicators')}</a></li>
        <li><a href="/staff/denominators">${t('console.home.enterDenominators')}</a></li>
        <li><a href="/staff/counsel/figures">${t('console.home.counselFigures')}</a></li>
        ${authorize(s.grant, 'counsel.answer') === null ? html`<li><a href="/staff/counsel">${t('console.home.counsel')}</a></li>` : ''}
        <li>${t('console.home.composeInChat')}</li>
      </ul>
      <h2>${t('console.home.upcoming')}</h2>
      ${upcoming.list.length ? sessionsTable(s, deps, upcoming.list) : html`<p>${t('console.home.noUpcoming')}</p>`}`;
    return render(c, t('console.title'), body);
  });

  sessionPages(app, deps);
  reportPages(app, deps);
  broadcastPages(app, deps);
  counselPages(app, deps);
  adminPages(app, deps);

  app.all('*', (c) => {
    const s = c.get('staff');
    return render(c, s.t('console.title'), html`<h1>${s.t('console.errors.notFound')}</h1>`, { status: 404 });
  });

  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      const t = translate(deps.i18n, 'vi');
      return c.html(bare('vi', t('console.title'), html`<h1>${t('console.title')}</h1><p class="error">${t(err.status === 403 ? 'console.errors.csrf' : 'console.errors.generic')}</p>`), err.status);
    }
    deps.log.error({ err, path: c.req.path }, 'console request failed');
    const t = translate(deps.i18n, 'vi');
    return c.html(bare('vi', t('console.title'), html`<h1>${t('console.title')}</h1><p class="error">${t('console.errors.generic')}</p>`), 500);
  });

  http.route('/staff', app);
}
