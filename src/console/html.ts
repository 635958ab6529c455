import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Grant } from '../core/actor.js';
import { formatDate, formatTime, localDate, localParts } from '../core/time.js';
import type { Translate } from '../i18n/index.js';
import { authorize, type StaffAction } from '../domain/authority.js';
import type { WardDirectory } from '../domain/wards.js';

/**
 * The console's pages are plain server-rendered HTML (hono/html escapes every
 * interpolated value; `raw` only for our own markup), usable on a phone and
 * whole without JavaScript: forms post, links page. console.js only enhances.
 */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
export { html, raw };

/** What every page knows about the reader. */
export interface PageContext {
  t: Translate;
  locale: string;
  grant: Grant;
  name: string | null;
  csrf: string;
  wards: WardDirectory;
  /** Where the reader is, for the navigation. */
  path: string;
}

/** The navigation: each link for the roles its page's action allows (PERMISSIONS), so a counsellor sees only theirs. */
const NAV: { href: string; key: string; action?: StaffAction }[] = [
  { href: '/staff', key: 'console.nav.home' },
  { href: '/staff/sessions', key: 'console.nav.sessions', action: 'session.bookings' },
  { href: '/staff/indicators', key: 'console.nav.indicators', action: 'reports.read' },
  { href: '/staff/denominators', key: 'console.nav.denominators', action: 'reports.read' },
  { href: '/staff/broadcasts', key: 'console.nav.broadcasts', action: 'broadcast.send' },
  { href: '/staff/counsel', key: 'console.nav.counsel', action: 'counsel.answer' },
  { href: '/staff/counsel/figures', key: 'console.nav.counselFigures', action: 'reports.read' },
  { href: '/staff/roles', key: 'console.nav.roles', action: 'roles.manage' },
  { href: '/staff/audit', key: 'console.nav.audit', action: 'audit.read' },
];

/** The hidden field every form carries (checked on every POST with the Origin). */
export const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;

export function wardsLabel(ctx: Pick<PageContext, 't' | 'wards'>, grant: Grant): string {
  // An administrator, and a counsellor of the city pool (no ward listed), act city-wide.
  return grant.role === 'admin' || grant.wardCodes.length === 0 ? ctx.t('console.allWards') : grant.wardCodes.map((c) => ctx.wards.get(c)?.name ?? c).join(', ');
}

/** The page shell: header with the reader's role and the navigation, a notice, the content. */
export function page(ctx: PageContext, o: { title: string; body: Html; notice?: string | null; error?: string | null; scripts?: string[] }): Html {
  const nav = NAV.filter((n) => !n.action || authorize(ctx.grant, n.action) === null);
  // The longest link the path is under is the current one (/staff/counsel/figures is not /staff/counsel).
  const here = nav
    .filter((n) => ctx.path === n.href || (n.href !== '/staff' && ctx.path.startsWith(`${n.href}/`)))
    .sort((a, b) => b.href.length - a.href.length)[0]?.href;
  const current = (href: string) => href === here;
  return shell(ctx.locale, o.title, html`
    <a class="skip" href="#main">${ctx.t('console.skip')}</a>
    <header class="top">
      <div class="brand">${ctx.t('console.brand')}</div>
      <div class="who">${ctx.t('console.who', { role: ctx.t(`roles.names.${ctx.grant.role}`), wards: wardsLabel(ctx, ctx.grant) })}</div>
      <nav>
        <ul>
          ${nav.map((n) => html`<li><a href="${n.href}"${current(n.href) ? raw(' aria-current="page"') : ''}>${ctx.t(n.key)}</a></li>`)}
          <li>
            <form method="post" action="/staff/logout" class="inline">
              ${csrfField(ctx.csrf)}<button type="submit" class="link">${ctx.t('console.nav.signOut')}</button>
            </form>
          </li>
        </ul>
      </nav>
    </header>
    <main id="main">
      ${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
      ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
      ${o.body}
    </main>`, o.scripts);
}

/** A page without the reader (sign-in, errors before a session exists). */
export function bare(locale: string, title: string, body: Html): Html {
  return shell(locale, title, html`<main id="main" class="narrow">${body}</main>`);
}

function shell(locale: string, title: string, body: Html, scripts: string[] = []): Html {
  return html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/staff/assets/console.css">
${scripts.map((s) => html`<script src="${s}" defer></script>`)}
<script src="/staff/assets/console.js" defer></script>
</head>
<body>${body}</body>
</html>`;
}

/** 1.234 (Vietnamese grouping) */
export const num = (locale: string, n: number) => new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'vi-VN').format(n);
/** 73,5% */
export const pct = (locale: string, n: number) => `${new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'vi-VN', { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(n)}%`;

/** "thứ Năm 10/12/2026, 7:30" in Hải Phòng time. */
export const when = (t: Translate, at: Date) => `${t(`weekdays.${localParts(at).weekday}`)} ${formatDate(at)}/${localParts(at).y}, ${formatTime(at)}`;
/** "2026-12-10 07:30" in Hải Phòng time, for tables and CSV. */
export const stamp = (at: Date) => `${localDate(at)} ${String(localParts(at).h).padStart(2, '0')}:${String(localParts(at).mi).padStart(2, '0')}`;

/** Previous / next links of a paged list, keeping its query. */
export function pager(t: Translate, base: string, query: Record<string, string | undefined>, page: number, total: number, size: number): Html {
  const pages = Math.max(1, Math.ceil(total / size));
  const href = (p: number) => {
    const params = new URLSearchParams(Object.entries({ ...query, page: p > 1 ? String(p) : undefined }).filter((e): e is [string, string] => Boolean(e[1])));
    const qs = params.toString();
    return qs ? `${base}?${qs}` : base;
  };
  return html`<nav class="pager" aria-label="${t('console.pageOf', { page, pages, total })}">
    ${page > 1 ? html`<a rel="prev" href="${href(page - 1)}">${t('console.prev')}</a>` : ''}
    <span>${t('console.pageOf', { page, pages, total })}</span>
    ${page < pages ? html`<a rel="next" href="${href(page + 1)}">${t('console.next')}</a>` : ''}
  </nav>`;
}

/** A positive page number from a query string (1 when absent or nonsense). */
export const pageOf = (v: string | undefined) => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1;
};

/** Options of a select, one marked selected. */
export const options = (list: readonly { value: string; label: string }[], selected: string | null | undefined) =>
  list.map((o) => html`<option value="${o.value}"${o.value === selected ? raw(' selected') : ''}>${o.label}</option>`);
