import type { Context } from 'hono';
import type { Denied } from '../core/actor.js';
import type { ConsoleEnv, Staff } from './auth.js';
import { type Html, html, page } from './html.js';

export type Ctx = Context<ConsoleEnv>;

/** A refused or missing thing, said kindly: 403 for a role or ward, 404 for what is not there, 409 otherwise. */
export function denied(c: Ctx, s: Staff, d: Denied) {
  const status = d.reason === 'no-role' || d.reason === 'role-lacks' || d.reason === 'outside-ward' ? 403 : d.reason === 'not-found' ? 404 : 409;
  const key = d.reason === 'no-role' || d.reason === 'role-lacks' ? 'console.errors.forbidden' : d.reason === 'outside-ward' ? 'console.errors.outsideWard' : d.reason === 'not-found' ? 'console.errors.notFound' : `staff.denied.${d.reason}`;
  return c.html(page(s.page, { title: s.t('console.title'), body: html`<h1>${s.t('console.title')}</h1>`, error: s.t(key) }), status);
}

/** A full page for the reader. */
export const render = (c: Ctx, title: string, body: Html, o: { notice?: string | null; error?: string | null; status?: 200 | 404 | 409 | 422; scripts?: string[] } = {}) =>
  c.html(page(c.get('staff').page, { title, body, notice: o.notice ?? null, error: o.error ?? null, ...(o.scripts ? { scripts: o.scripts } : {}) }), o.status ?? 200);

/** A field of a posted form, as text ('' when absent or a file). */
export const field = (body: Record<string, unknown>, key: string): string => {
  const v = body[key];
  return typeof v === 'string' ? v : '';
};

/** A whole number typed in a form, or null when empty; NaN when it is not one. */
export function intField(body: Record<string, unknown>, key: string): number | null {
  const v = field(body, key).replace(/[\s.,]/g, '');
  if (v === '') return null;
  return /^\d{1,9}$/.test(v) ? Number(v) : Number.NaN;
}

/** An id in a path, or null. */
export const idParam = (v: string | undefined): number | null => (v && /^[1-9]\d{0,9}$/.test(v) && Number(v) <= 2_147_483_647 ? Number(v) : null);

/** After a POST: back to a page (303), with a notice code the page turns into words. */
export const backTo = (c: Ctx, path: string, notice?: Record<string, string | number>) => {
  const qs = notice ? new URLSearchParams(Object.entries(notice).map(([k, v]): [string, string] => [k, String(v)])).toString() : '';
  return c.redirect(qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path, 303);
};

/** The notice a redirect asked for, from a fixed list (never free text from the URL). */
export function noticeOf(c: Ctx, known: Record<string, string>): string | null {
  const s = c.get('staff');
  const ok = c.req.query('ok');
  if (!ok || !(ok in known)) return null;
  const n = Number(c.req.query('n') ?? 0);
  const number = (k: string) => (/^\d{1,9}$/.test(c.req.query(k) ?? '') ? Number(c.req.query(k)) : '');
  return s.t(known[ok]!, { n: Number.isFinite(n) ? n : 0, id: number('id'), capacity: number('capacity') });
}

/** Whether the reader wants JSON (console.js's fetch) rather than a page. */
export const wantsJson = (c: Ctx) => (c.req.header('accept') ?? '').includes('application/json');
