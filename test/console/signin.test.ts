import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmins } from '../../src/domain/staff.js';
import { testApp, type TestApp } from '../support/app.js';
import { ADMIN, grantRole, LE_CHAN, NGO_QUYEN, sql$, staffApp, who } from '../support/staff.js';
import { audits, client, linkIn, signIn, webLink } from './support.js';

let app: TestApp;
beforeAll(async () => {
  app = await staffApp();
  await grantRole(app, '7001', 'staff', [LE_CHAN]);
  await grantRole(app, '7002', 'collaborator', [LE_CHAN]);
});
afterAll(() => app.close());

const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;
const MIN = 60_000;

describe('/web: a single-use sign-in link in chat', () => {
  it('staff, collaborators and administrators get one (by /web or by the words), valid 10 minutes, on http://localhost:PORT by default', async () => {
    // Only the links asked for here: other tests ask for links too (the administrator's among them).
    const before = (await audits(app, 'console.link')).length;
    for (const id of ['7001', '7002', ADMIN]) {
      const link = await webLink(app, id);
      expect(link).toMatch(/^http:\/\/localhost:3000\/staff\/login\?token=[A-Za-z0-9_-]{43}$/);
    }
    const words = await app.say('trang quan ly', who('7001'));
    expect(words[0]!.text).toContain('hết hạn sau 10 phút');
    expect(linkIn(words[0]!.text)).toContain('/staff/login?token=');
    expect((await app.say('Trang quản lý', who('7001')))[0]!.text).toContain('/staff/login?token=');
    expect((await audits(app, 'console.link')).slice(before).map((a) => a.actor)).toEqual(['7001', '7002', ADMIN, '7001', '7001']);
  });

  it('anyone else is refused in chat, and the attempt audited (by channel: asking makes no contact)', async () => {
    const before = (await audits(app, 'staff.denied')).length;
    const r = await app.say('/web', who('6001'));
    expect(r[0]!.text).toContain('chỉ dành cho cán bộ y tế, cộng tác viên và cán bộ tư vấn');
    expect(r[0]!.text).not.toContain('token=');
    const denied = (await audits(app, 'staff.denied')).slice(before);
    expect(denied.map((d) => [d.actor, d.details])).toEqual([[null, { action: 'console.signin', reason: 'no-role', channel: 'telegram' }]]);
  });

  it('keeps only the token’s sha256: the token itself is nowhere in the database', async () => {
    const token = tokenOf(await webLink(app, '7001'));
    const hash = createHash('sha256').update(token).digest('hex');
    expect(await sql$(app, sql`select 1 from console_tokens where hash = ${hash}`)).toHaveLength(1);
    const [dump] = await sql$<{ n: number }>(
      app,
      sql`select (select count(*) from console_tokens where hash like ${`%${token}%`}) + (select count(*) from audit_log where coalesce(details::text, '') || coalesce(target, '') like ${`%${token}%`}) as n`,
    );
    expect(Number(dump!.n)).toBe(0);
  });

  it('with PUBLIC_URL the link is there, and the cookie is Secure when it is https', async () => {
    const other = await testApp({ env: { PUBLIC_URL: 'https://quanly.example.vn' } });
    try {
      await bootstrapAdmins(other.database.db, [ADMIN], other.clock.now());
      const link = await webLink(other, ADMIN);
      expect(link).toMatch(/^https:\/\/quanly\.example\.vn\/staff\/login\?token=/);
      const c = client(other);
      const res = await c.post('/staff/login', { token: tokenOf(link) }, { csrf: null, origin: 'https://quanly.example.vn' });
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
    } finally {
      await other.close();
    }
  });
});

describe('GET /staff/login?token=… and its form', () => {
  it('the page spends nothing (a link preview signs nobody in); its form opens a session once; the link again is refused', async () => {
    const link = new URL(await webLink(app, '7001'));
    const c = client(app);
    for (let i = 0; i < 2; i++) {
      const page = await c.get(`${link.pathname}${link.search}`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<form method="post" action="/staff/login"');
      expect(html).toContain('data-autosubmit');
    }
    const res = await c.post('/staff/login', { token: tokenOf(link.href) }, { csrf: null });
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^hp_staff=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/staff; HttpOnly; SameSite=Strict$/);
    expect(await c.page('/staff')).toContain('Cán bộ trạm y tế · Phường Lê Chân');

    const again = client(app);
    expect((await again.get(`${link.pathname}${link.search}`)).status).toBe(403);
    const reused = await again.post('/staff/login', { token: tokenOf(link.href) }, { csrf: null });
    expect(reused.status).toBe(403);
    expect(await reused.text()).toContain('đã dùng hoặc đã hết hạn');
    expect(reused.headers.get('set-cookie')).toBeNull();
    const refused = await audits(app, 'console.signin.refused');
    expect(refused.slice(-2).map((r) => r.details!.reason)).toEqual(['used', 'used']);
    expect((await audits(app, 'console.signin')).at(-1)).toMatchObject({ actor: '7001', details: { role: 'staff' } });
  });

  it('a link older than 10 minutes is refused', async () => {
    const link = await webLink(app, '7002');
    app.clock.advance(10 * MIN + 1000);
    try {
      const res = await client(app).post('/staff/login', { token: tokenOf(link) }, { csrf: null });
      expect(res.status).toBe(403);
      expect((await audits(app, 'console.signin.refused')).at(-1)!.details).toMatchObject({ reason: 'expired' });
    } finally {
      app.clock.advance(-(10 * MIN + 1000));
    }
  });

  it('a link whose person lost the role before opening it is refused', async () => {
    await grantRole(app, '7030', 'collaborator', [NGO_QUYEN]);
    const link = await webLink(app, '7030');
    await sql$(app, sql`update staff_roles set revoked_at = now() where contact_id = (select id from contacts where platform_user_id = '7030') and revoked_at is null`);
    const res = await client(app).post('/staff/login', { token: tokenOf(link) }, { csrf: null });
    expect(res.status).toBe(403);
    expect((await audits(app, 'console.signin.refused')).at(-1)).toMatchObject({ actor: '7030', details: { reason: 'no-role' } });
  });
});

describe('the session', () => {
  it('every page without one is 403 with how to get a link; every answer carries the CSP (nothing from another host)', async () => {
    for (const path of ['/staff', '/staff/sessions', '/staff/indicators', '/staff/indicators.csv?year=2026', '/staff/roles', '/staff/audit', '/staff/nothing']) {
      const res = await client(app).get(path);
      expect(res.status, path).toBe(403);
      expect(await res.text()).toContain('/web');
    }
    const res = await client(app).get('/staff/login?token=x');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'; script-src 'self'; style-src 'self'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('revoking the role ends the session at the next request (audited); a changed role too', async () => {
    await grantRole(app, '7040', 'staff', [LE_CHAN]);
    const c = await signIn(app, '7040');
    const admin = await signIn(app, ADMIN);
    const [row] = await sql$<{ id: number }>(app, sql`select r.id from staff_roles r join contacts c on c.id = r.contact_id where c.platform_user_id = '7040' and r.revoked_at is null`);
    expect(await admin.page('/staff/roles')).toContain(`data-role="${row!.id}"`);
    expect((await admin.post(`/staff/roles/${row!.id}/revoke`)).status).toBe(303);
    const after = await c.get('/staff/sessions');
    expect(after.status).toBe(403);
    expect(await after.text()).toContain('thu hồi');
    expect((await audits(app, 'console.session.end')).at(-1)).toMatchObject({ actor: '7040', details: { reason: 'role-revoked' } });
    // Granted again: the old cookie stays dead (it belonged to the role that was revoked).
    await grantRole(app, '7040', 'staff', [LE_CHAN]);
    expect((await c.get('/staff')).status).toBe(403);

    // A collaborator of this test's own (7002 stays a collaborator for the others), made staff by the administrator.
    await grantRole(app, '7041', 'collaborator', [LE_CHAN]);
    const d = await signIn(app, '7041');
    await app.press('a:roles:list', who(ADMIN));
    const [live] = await sql$<{ id: number }>(app, sql`select r.id from staff_roles r join contacts c on c.id = r.contact_id where c.platform_user_id = '7041' and r.revoked_at is null`);
    await app.press(`f:roles:list:${live!.id}`, who(ADMIN));
    await app.press('f:roles:member:change', who(ADMIN));
    await app.press('f:roles:role:staff', who(ADMIN));
    await app.say('le chan', who(ADMIN));
    await app.press(`f:roles:wards:${LE_CHAN}`, who(ADMIN));
    await app.press('f:roles:wards:done', who(ADMIN));
    expect((await d.get('/staff')).status).toBe(403);
    expect((await audits(app, 'console.session.end')).at(-1)).toMatchObject({ actor: '7041', details: { reason: 'role-changed' } });
  });

  it('lasts 12 hours', async () => {
    const c = await signIn(app, '7001');
    app.clock.advance(12 * 60 * MIN - MIN);
    try {
      expect((await c.get('/staff')).status).toBe(200);
      app.clock.advance(2 * MIN);
      expect((await c.get('/staff')).status).toBe(403);
    } finally {
      app.clock.advance(-(12 * 60 * MIN + MIN));
    }
  });

  it('signing out ends it at once (audited)', async () => {
    const c = await signIn(app, '7001');
    const cookie = c.cookie;
    const out = await c.post('/staff/logout');
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/hp_staff=;/);
    c.cookie = cookie;
    expect((await c.get('/staff')).status).toBe(403);
    expect((await audits(app, 'console.signout')).at(-1)!.actor).toBe('7001');
  });
});

describe('CSRF', () => {
  it('a form without the session’s token is refused (403, audited) and changes nothing', async () => {
    const c = await signIn(app, ADMIN);
    const before = await sql$(app, sql`select count(*)::int as n from invite_codes`);
    const res = await c.post('/staff/invites', { role: 'admin' }, { csrf: null });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Biểu mẫu đã cũ');
    const wrong = await c.post('/staff/invites', { role: 'admin' }, { csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    expect(await sql$(app, sql`select count(*)::int as n from invite_codes`)).toEqual(before);
    expect((await audits(app, 'console.csrf.refused')).slice(-2).map((a) => a.target)).toEqual(['/staff/invites', '/staff/invites']);
  });

  it('a form posted from another site is refused by its Origin, token or not', async () => {
    const c = await signIn(app, ADMIN);
    const res = await c.post('/staff/invites', { role: 'admin' }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    const login = await client(app).post('/staff/login', { token: tokenOf(await webLink(app, ADMIN)) }, { csrf: null, origin: 'https://evil.example' });
    expect(login.status).toBe(403);
    expect(login.headers.get('set-cookie')).toBeNull();
    // The same token still works from our own page (the refused post did not spend it).
    const ok = await client(app).post('/staff/login', { token: tokenOf(await webLink(app, ADMIN)) }, { csrf: null });
    expect(ok.status).toBe(303);
  });
});

describe('guessing tokens', () => {
  it('10 refused sign-ins from an address in 15 minutes, then 429 even for a good link; after the window it works again', async () => {
    const fresh = await staffApp();
    try {
      const c = client(fresh);
      for (let i = 0; i < 10; i++) {
        const res = await c.post('/staff/login', { token: `${'A'.repeat(42)}${i}` }, { csrf: null });
        expect(res.status).toBe(403);
      }
      const good = tokenOf(await webLink(fresh, ADMIN));
      expect((await c.get(`/staff/login?token=${good}`)).status).toBe(429);
      expect((await c.post('/staff/login', { token: good }, { csrf: null })).status).toBe(429);
      expect(await audits(fresh, 'console.signin.refused')).toHaveLength(10);
      fresh.clock.advance(16 * MIN);
      expect((await c.post('/staff/login', { token: tokenOf(await webLink(fresh, ADMIN)) }, { csrf: null })).status).toBe(303);
    } finally {
      await fresh.close();
    }
  });
});
