import type { Hono } from 'hono';
import { Denied, isDenied } from '../../core/actor.js';
import type { ConsoleEnv } from '../auth.js';
import { csvHeaders, toCsv } from '../csv.js';
import { csrfField, html, num, stamp } from '../html.js';
import type { ConsoleDeps } from '../index.js';
import { backTo, denied, idParam, noticeOf, render } from '../respond.js';

const OPS = ['pause', 'resume', 'cancel'] as const;
type Op = (typeof OPS)[number];
/** Which operations a broadcast's status allows (the desk checks again). */
const ALLOWED: Record<string, readonly Op[]> = { scheduled: ['pause', 'cancel'], sending: ['pause', 'cancel'], paused: ['resume', 'cancel'], cancelled: [], done: [] };

/** Broadcasts: the list with live progress, and pause / resume / cancel through the BroadcastDesk (composing stays in chat). */
export function broadcastPages(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const audienceText = (t: (k: string) => string, a: { programmes: string[]; wardCodes: string[] | null; relatives: boolean }) => {
    const who = [...a.programmes.map((p) => t(`console.programme.${p}`)), ...(a.relatives ? [t('console.broadcasts.relatives')] : [])].join(', ');
    const where = a.wardCodes === null ? t('console.broadcasts.cityWide') : a.wardCodes.map((c) => deps.wards.get(c)?.name ?? c).join(', ');
    return `${who} · ${where}`;
  };

  app.get('/broadcasts', async (c) => {
    const s = c.get('staff');
    const t = s.t;
    const list = await s.person.broadcasts.list(50);
    if (isDenied(list)) return denied(c, s, list);
    const body = html`<h1>${t('console.broadcasts.title')}</h1>
      <p class="muted">${t('console.broadcasts.intro')}</p>
      <p class="actions"><a class="button" href="/staff/broadcasts.csv">${t('console.csv')}</a></p>
      ${
        list.length === 0
          ? html`<p>${t('console.broadcasts.none')}</p>`
          : html`<div class="table-wrap"><table>
            <thead><tr><th>#</th><th>${t('console.broadcasts.created')}</th><th>${t('console.broadcasts.audience')}</th><th>${t('console.broadcasts.text')}</th><th>${t('console.broadcasts.status')}</th><th>${t('console.broadcasts.progress')}</th><th></th></tr></thead>
            <tbody>${list.map(({ broadcast: b, progress: p }) => {
              const done = p.sent + p.failed + p.blocked;
              return html`<tr data-broadcast="${b.id}">
                <td>${b.id}</td>
                <td>${stamp(b.createdAt)}</td>
                <td>${audienceText(t, b.audience)}</td>
                <td>${b.text.length > 120 ? `${b.text.slice(0, 120)}…` : b.text}</td>
                <td>${t(`console.broadcasts.statuses.${b.status}`)}</td>
                <td><progress max="${Math.max(1, p.recipients)}" value="${done}">${num(s.locale, done)}</progress><br><span class="muted">${t('console.broadcasts.line', { sent: num(s.locale, p.sent), recipients: num(s.locale, p.recipients), failed: num(s.locale, p.failed), blocked: num(s.locale, p.blocked), skipped: num(s.locale, p.skipped), waiting: num(s.locale, p.waiting) })}</span></td>
                <td>${(ALLOWED[b.status] ?? []).map(
                  (op) => html`<form method="post" action="/staff/broadcasts/${b.id}/${op}" class="inline">${csrfField(s.csrf)}<button type="submit"${op === 'cancel' ? html` class="danger"` : ''}>${t(`console.broadcasts.${op}`)}</button></form> `,
                )}</td>
              </tr>`;
            })}</tbody></table></div>`
      }`;
    return render(c, t('console.broadcasts.title'), body, { notice: noticeOf(c, { paused: 'console.broadcasts.paused', resumed: 'console.broadcasts.resumed', cancelled: 'console.broadcasts.cancelled' }) });
  });

  app.get('/broadcasts.csv', async (c) => {
    const s = c.get('staff');
    const list = await s.person.broadcasts.list(1000);
    if (isDenied(list)) return denied(c, s, list);
    await s.person.audit('console.export', 'broadcasts', { rows: list.length });
    const rows = list.map(({ broadcast: b, progress: p }) => [
      b.id,
      stamp(b.createdAt),
      b.status,
      b.audience.programmes.join(' '),
      b.audience.wardCodes === null ? 'city' : b.audience.wardCodes.join(' '),
      b.audience.relatives ? 1 : 0,
      p.recipients,
      p.sent,
      p.failed,
      p.blocked,
      p.skipped,
      p.waiting,
      p.cancelled,
    ]);
    return c.body(
      toCsv(['broadcast_id', 'created_at', 'status', 'programmes', 'wards', 'relatives', 'recipients', 'sent', 'failed', 'blocked', 'skipped', 'waiting', 'cancelled'], rows),
      200,
      csvHeaders('broadcasts.csv'),
    );
  });

  app.post('/broadcasts/:id{[0-9]+}/:op{pause|resume|cancel}', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'));
    const op = c.req.param('op') as Op;
    if (id === null) return denied(c, s, new Denied('not-found'));
    // The same desk as the chat's buttons: only its author or an administrator, audited.
    const r = await s.person.broadcasts[op](id);
    if (isDenied(r)) return denied(c, s, r);
    return backTo(c, '/staff/broadcasts', { ok: op === 'pause' ? 'paused' : op === 'resume' ? 'resumed' : 'cancelled' });
  });
}
