import type { Hono } from 'hono';
import { Denied, isDenied, isRole, ROLES } from '../../core/actor.js';
import type { AuditFilter } from '../../domain/reports.js';
import type { ConsoleEnv, Staff } from '../auth.js';
import { csvHeaders, toCsv } from '../csv.js';
import { csrfField, html, options, pageOf, pager, stamp } from '../html.js';
import type { ConsoleDeps } from '../index.js';
import { backTo, denied, idParam, noticeOf, render } from '../respond.js';

/** For administrators: staff roles (list, revoke, invite codes) and the audit log. */
export function adminPages(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const wardList = (s: Staff, role: string, codes: string[]) => (role === 'admin' ? s.t('console.allWards') : codes.map((c) => deps.wards.get(c)?.name ?? c).join(', '));

  const rolesPage = async (s: Staff, invite: { code: string; role: string; wards: string[]; expiresAt: Date } | null) => {
    const t = s.t;
    const list = await s.person.staff.listRoles();
    if (isDenied(list)) return list;
    return html`<h1>${t('console.roles.title')}</h1>
      ${invite ? html`<p class="notice" role="status">${t('console.roles.inviteCreated', { code: invite.code, role: t(`roles.names.${invite.role}`), wards: wardList(s, invite.role, invite.wards), expires: stamp(invite.expiresAt) })}</p><p class="code" id="invite-code">${invite.code}</p>` : ''}
      <div class="table-wrap"><table>
        <thead><tr><th>${t('console.roles.name')}</th><th>${t('console.roles.role')}</th><th>${t('console.roles.wards')}</th><th>${t('console.roles.source')}</th><th></th></tr></thead>
        <tbody>${list.map(
          (r) => html`<tr data-role="${r.id}">
            <td>${r.name ?? `#${r.contactId}`}</td>
            <td>${t(`roles.names.${r.role}`)}</td>
            <td>${wardList(s, r.role, r.wardCodes)}</td>
            <td>${t(`console.roles.sources.${r.source}`)}</td>
            <td>${r.contactId === s.contact.id ? '' : html`<form method="post" action="/staff/roles/${r.id}/revoke" class="inline">${csrfField(s.csrf)}<button type="submit" class="danger">${t('console.roles.revoke')}</button></form>`}</td>
          </tr>`,
        )}</tbody></table></div>
      <h2>${t('console.roles.invite')}</h2>
      <form method="post" action="/staff/invites" class="card">
        ${csrfField(s.csrf)}
        <p class="muted">${t('console.roles.inviteHelp')}</p>
        <label for="i-role">${t('console.roles.role')}</label>
        <select id="i-role" name="role">${options(ROLES.map((r) => ({ value: r, label: t(`roles.names.${r}`) })), 'collaborator')}</select>
        <label for="i-wards">${t('console.roles.inviteWards')}</label>
        <select id="i-wards" name="wards" multiple size="8">${options(deps.wards.list.map((w) => ({ value: w.code, label: w.name })), null)}</select>
        <p><button type="submit" class="primary">${t('console.roles.inviteCreate')}</button></p>
      </form>`;
  };

  app.get('/roles', async (c) => {
    const s = c.get('staff');
    const body = await rolesPage(s, null);
    if (isDenied(body)) return denied(c, s, body);
    return render(c, s.t('console.roles.title'), body, { notice: noticeOf(c, { revoked: 'console.roles.revoked' }) });
  });

  app.post('/roles/:id{[0-9]+}/revoke', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'));
    if (id === null) return denied(c, s, new Denied('not-found'));
    const r = await s.person.staff.revokeRole(id);
    if (isDenied(r)) return denied(c, s, r);
    return backTo(c, '/staff/roles', { ok: 'revoked' });
  });

  app.post('/invites', async (c) => {
    const s = c.get('staff');
    const body = await c.req.parseBody({ all: true });
    const role = typeof body.role === 'string' ? body.role : '';
    const raw = body.wards;
    const wards = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((w): w is string => typeof w === 'string' && Boolean(deps.wards.get(w)));
    if (!isRole(role)) return denied(c, s, new Denied('not-found'));
    // The same desk as the chat's invite flow: administrators only, audited.
    const made = await s.person.staff.createInvite(role, wards);
    if (isDenied(made)) {
      if (made.reason !== 'wards') return denied(c, s, made);
      const page = await rolesPage(s, null);
      if (isDenied(page)) return denied(c, s, page);
      return render(c, s.t('console.roles.title'), page, { error: s.t('staff.denied.wards'), status: 422 });
    }
    const page = await rolesPage(s, { code: made.code, role, wards, expiresAt: made.expiresAt });
    if (isDenied(page)) return denied(c, s, page);
    return render(c, s.t('console.roles.title'), page);
  });

  const filterOf = (q: (k: string) => string | undefined): AuditFilter => {
    const day = (v: string | undefined) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined);
    const text = (v: string | undefined) => (v ? v.slice(0, 60).trim() || undefined : undefined);
    const f: AuditFilter = {};
    const action = text(q('action'));
    const actor = text(q('actor'));
    const from = day(q('from'));
    const to = day(q('to'));
    if (action) f.action = action;
    if (actor) f.actor = actor;
    if (from) f.from = from;
    if (to) f.to = to;
    return f;
  };

  app.get('/audit', async (c) => {
    const s = c.get('staff');
    const t = s.t;
    const f = filterOf((k) => c.req.query(k));
    const pageNo = pageOf(c.req.query('page'));
    const r = await s.person.staff.auditLog(f, (pageNo - 1) * 50, 50);
    if (isDenied(r)) return denied(c, s, r);
    const query = { action: f.action, actor: f.actor, from: f.from, to: f.to };
    const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => Boolean(e[1]))).toString();
    const body = html`<h1>${t('console.audit.title')}</h1>
      <form method="get" action="/staff/audit" class="filters card">
        <label>${t('console.audit.action')} <input name="action" value="${f.action ?? ''}" placeholder="session."></label>
        <label>${t('console.audit.actor')} <input name="actor" value="${f.actor ?? ''}"></label>
        <label>${t('console.audit.from')} <input type="date" name="from" value="${f.from ?? ''}"></label>
        <label>${t('console.audit.to')} <input type="date" name="to" value="${f.to ?? ''}"></label>
        <button type="submit">${t('console.audit.filter')}</button>
      </form>
      <p class="actions"><a class="button" href="/staff/audit.csv${qs ? `?${qs}` : ''}">${t('console.csv')}</a></p>
      <div class="table-wrap"><table id="audit">
        <thead><tr><th>${t('console.audit.at')}</th><th>${t('console.audit.actor')}</th><th>${t('console.audit.action')}</th><th>${t('console.audit.target')}</th><th>${t('console.audit.details')}</th></tr></thead>
        <tbody>${r.list.map(
          (a) => html`<tr>
            <td>${stamp(a.at)}</td>
            <td>${a.actorId === null ? t('console.audit.system') : `${a.actorName ?? ''} #${a.actorId}`}</td>
            <td>${a.action}</td>
            <td>${a.target ?? ''}</td>
            <td>${a.details ? html`<pre class="details">${JSON.stringify(a.details)}</pre>` : ''}</td>
          </tr>`,
        )}</tbody></table></div>
      ${pager(t, '/staff/audit', query, pageNo, r.total, 50)}`;
    return render(c, t('console.audit.title'), body);
  });

  app.get('/audit.csv', async (c) => {
    const s = c.get('staff');
    const f = filterOf((k) => c.req.query(k));
    const r = await s.person.staff.auditLog(f, 0, 10_000);
    if (isDenied(r)) return denied(c, s, r);
    await s.person.audit('console.export', 'audit', { filter: f, rows: r.list.length });
    const rows = r.list.map((a) => [a.id, stamp(a.at), a.actorId, a.actorName ?? '', a.action, a.target ?? '', a.details ? JSON.stringify(a.details) : '']);
    return c.body(toCsv(['id', 'at', 'actor_id', 'actor_name', 'action', 'target', 'details'], rows), 200, csvHeaders('audit-log.csv'));
  });
}
