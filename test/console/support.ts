import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { TestApp } from '../support/app.js';
import { sql$, who } from '../support/staff.js';

/** The sign-in link in a /web reply. */
export function linkIn(text: string): string {
  const m = /(https?:\/\/\S+\/staff\/login\?token=[A-Za-z0-9_-]+)/.exec(text);
  expect(m, text).not.toBeNull();
  return m![1]!;
}

/** Asks for a link in chat, as the person would. */
export async function webLink(app: TestApp, userId: string): Promise<string> {
  const replies = await app.say('/web', who(userId));
  return linkIn(replies[0]!.text);
}

export interface Browserless {
  cookie: string | null;
  csrf: string | null;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** A form post as our pages send it (Origin ours, the session's CSRF token unless `csrf: null`). */
  post(path: string, form?: Record<string, string | string[]>, o?: { csrf?: string | null; origin?: string | null; accept?: string }): Promise<Response>;
  /** GET and the text, expecting `status`. */
  page(path: string, status?: number): Promise<string>;
}

const ORIGIN = 'http://localhost';

/** A client of the console through the app's router (no socket): keeps the cookie, reads the CSRF token from pages. */
export function client(app: TestApp): Browserless {
  const c: Browserless = {
    cookie: null,
    csrf: null,
    async get(path, headers = {}) {
      const res = await app.http.request(`${ORIGIN}${path}`, { headers: { ...(c.cookie ? { cookie: c.cookie } : {}), ...headers } });
      remember(res);
      return res;
    },
    async post(path, form = {}, o = {}) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
      const csrf = o.csrf === undefined ? c.csrf : o.csrf;
      if (csrf) body.set('_csrf', csrf);
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...(c.cookie ? { cookie: c.cookie } : {}) };
      if (o.origin !== null) headers.origin = o.origin ?? ORIGIN;
      if (o.accept) headers.accept = o.accept;
      const res = await app.http.request(`${ORIGIN}${path}`, { method: 'POST', body, headers });
      remember(res);
      return res;
    },
    async page(path, status = 200) {
      const res = await c.get(path);
      const text = await res.text();
      expect(res.status, `${path}: ${text.slice(0, 500)}`).toBe(status);
      const m = /name="_csrf" value="([^"]+)"/.exec(text);
      if (m) c.csrf = m[1]!;
      return text;
    },
  };
  function remember(res: Response) {
    const set = res.headers.get('set-cookie');
    if (!set) return;
    const m = /hp_staff=([^;]*)/.exec(set);
    if (m) c.cookie = m[1] ? `hp_staff=${m[1]}` : null;
  }
  return c;
}

/** Signs in through a /web link obtained in chat: the link's page, then its form. */
export async function signIn(app: TestApp, userId: string): Promise<Browserless> {
  const link = new URL(await webLink(app, userId));
  const c = client(app);
  const confirm = await c.get(`${link.pathname}${link.search}`);
  expect(confirm.status).toBe(200);
  const res = await c.post('/staff/login', { token: link.searchParams.get('token')! }, { csrf: null });
  expect(res.status, await res.clone().text()).toBe(303);
  expect(res.headers.get('location')).toBe('/staff');
  await c.page('/staff');
  return c;
}

export const audits = (app: TestApp, action: string) =>
  sql$<{ actor: string | null; target: string | null; details: Record<string, unknown> | null }>(
    app,
    sql`select c.platform_user_id as actor, a.target, a.details from audit_log a left join contacts c on c.id = a.actor_contact_id where a.action = ${action} order by a.id`,
  );

export const tallyRows = (app: TestApp, metric?: string) =>
  sql$<{ day: string; ward_code: string; programme: string; metric: string; count: number }>(
    app,
    sql`select to_char(day, 'YYYY-MM-DD') as day, ward_code, programme, metric, count::int as count from tallies ${metric ? sql`where metric = ${metric}` : sql``} order by day, ward_code, programme, metric`,
  );

/** The sum of a metric's tallies (optionally in one ward). */
export async function tallied(app: TestApp, metric: string, ward?: string): Promise<number> {
  const [r] = await sql$<{ n: number }>(app, sql`select coalesce(sum(count), 0)::int as n from tallies where metric = ${metric} ${ward ? sql`and ward_code = ${ward}` : sql``}`);
  return Number(r?.n ?? 0);
}

/**
 * Someone of `ward` asks for a counsellor in chat and writes `text`: a ticket
 * whose person has a name and a chat id the counsellor pages must never show.
 * Returns the ticket's id and tag (#T…).
 */
export async function askCounsellor(app: TestApp, userId: string, ward: string | null, text: string, name = 'Nguyễn Thị Lan'): Promise<{ id: number; tag: string; contactId: number }> {
  await sql$(app, sql`insert into contacts (channel, platform_user_id, chat_id, display_name, ward_code) values ('telegram', ${userId}, ${`chat-${userId}`}, ${name}, ${ward})`);
  await app.press('a:counsel:srh.contraception', who(userId));
  await app.say(text, who(userId));
  const [t] = await sql$<{ id: number; pseudonym: string; contact_id: number }>(
    app,
    sql`select t.id, t.pseudonym, t.contact_id from tickets t join contacts c on c.id = t.contact_id where c.platform_user_id = ${userId} order by t.id desc limit 1`,
  );
  expect(t, `no ticket for ${userId}`).toBeDefined();
  return { id: Number(t!.id), tag: `#T${t!.pseudonym}`, contactId: Number(t!.contact_id) };
}
