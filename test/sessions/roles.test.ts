import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import { findContact } from '../../src/domain/contacts.js';
import { Person } from '../../src/domain/person.js';
import { bootstrapAdmins } from '../../src/domain/staff.js';
import { isDenied, type Role } from '../../src/core/actor.js';
import { PERMISSIONS, type StaffAction } from '../../src/domain/authority.js';
import { createLogger } from '../../src/log.js';
import { testConfig, testFaq, type TestApp } from '../support/app.js';
import { ADMIN, grantRole, LE_CHAN, NGO_QUYEN, sql$, staffApp, buttonValue, who } from '../support/staff.js';

let app: TestApp;
beforeAll(async () => {
  app = await staffApp();
});
afterAll(() => app.close());

const audits = (action: string) => sql$<{ actor: string | null; target: string | null; details: Record<string, unknown> | null }>(
  app,
  sql`select c.platform_user_id as actor, a.target, a.details from audit_log a left join contacts c on c.id = a.actor_contact_id where a.action = ${action} order by a.id`,
);
/** The audit rows of an action written from now on (the other tests of this file write some too). */
const auditsFromNow = async (action: string) => {
  const before = (await audits(action)).length;
  return async () => (await audits(action)).slice(before);
};

describe('administrators from ADMIN_TELEGRAM_IDS', () => {
  it('are administrators from the first start, audited; starting again changes nothing; an id removed loses the role', async () => {
    const roles = () => sql$<{ uid: string; role: string; live: boolean }>(app, sql`select c.platform_user_id as uid, r.role, r.revoked_at is null as live from staff_roles r join contacts c on c.id = r.contact_id where r.source = 'env' order by r.id`);
    expect(await roles()).toEqual([{ uid: ADMIN, role: 'admin', live: true }]);
    await createApp({ config: testConfig({ ADMIN_TELEGRAM_IDS: `${ADMIN},9001` }), database: app.database, clock: app.clock, log: createLogger('silent'), faq: testFaq() });
    expect(await roles()).toEqual([{ uid: ADMIN, role: 'admin', live: true }, { uid: '9001', role: 'admin', live: true }]);
    await bootstrapAdmins(app.database.db, [ADMIN], app.clock.now());
    expect(await roles()).toEqual([{ uid: ADMIN, role: 'admin', live: true }, { uid: '9001', role: 'admin', live: false }]);
    expect((await audits('role.bootstrap')).length).toBe(2);
    expect((await audits('role.unbootstrap')).length).toBe(1);
    const menu = await app.say('/canbo', who(ADMIN));
    expect(menu[0]!.text).toContain('Quản trị viên');
    expect(buttonValue(menu, 'a:roles:invite')).toBeDefined();
  });
});

describe('invite codes', () => {
  it('an admin makes a single-use code for a role and wards; the person redeems it in chat; a second use is refused', async () => {
    const grants = await auditsFromNow('role.grant');
    const refusals = await auditsFromNow('invite.refused');
    const invites = await auditsFromNow('invite.create');
    const code = await grantRole(app, '7001', 'staff', [LE_CHAN, NGO_QUYEN]);
    const menu = await app.say('/canbo', who('7001'));
    expect(menu[0]!.text).toContain('Cán bộ trạm y tế · Phường Lê Chân, Phường Ngô Quyền');
    const again = await app.say(`/moi ${code}`, who('7002'));
    expect(again[0]!.text).toContain('không đúng, đã dùng hoặc đã hết hạn');
    expect(again.at(-1)!.text).toContain('gõ mã mời'); // a second chance
    expect((await app.say('/canbo', who('7002')))[0]!.text).toContain('chỉ dành cho cán bộ');
    const [grant] = await grants();
    expect(grant).toMatchObject({ actor: '7001', details: { role: 'staff', wardCodes: [LE_CHAN, NGO_QUYEN] } });
    expect((await refusals()).map((a) => a.actor)).toEqual(['7002']);
    expect((await invites()).map((a) => a.actor)).toEqual([ADMIN]);
  });

  it('a code expires after 7 days; typed in lower case with spaces it still works before then', async () => {
    await app.press('a:roles:invite', who(ADMIN));
    await app.press('f:roles:role:collaborator', who(ADMIN));
    await app.say('le chan', who(ADMIN));
    await app.press(`f:roles:wards:${LE_CHAN}`, who(ADMIN));
    const made = await app.press('f:roles:wards:done', who(ADMIN));
    const code = /Mã mời: ([A-Z0-9]{8})/.exec(made[0]!.text)![1]!;
    const other = await app.press('a:roles:invite', who(ADMIN));
    await app.press('f:roles:role:staff', who(ADMIN));
    await app.say('le chan', who(ADMIN));
    await app.press(`f:roles:wards:${LE_CHAN}`, who(ADMIN));
    const expiring = /Mã mời: ([A-Z0-9]{8})/.exec((await app.press('f:roles:wards:done', who(ADMIN)))[0]!.text)![1]!;
    expect(other.length).toBeGreaterThan(0);

    const ask = await app.say('/moi', who('7010'));
    expect(ask[0]!.text).toContain('gõ mã mời');
    const welcome = await app.say(`${code.slice(0, 4).toLowerCase()} ${code.slice(4).toLowerCase()}`, who('7010'));
    expect(welcome[0]!.text).toContain('Cộng tác viên dân số');

    app.clock.advance(7 * 24 * 3600_000 + 1000);
    const late = await app.say(`/moi ${expiring}`, who('7011'));
    expect(late[0]!.text).toContain('hết hạn');
    app.clock.advance(-(7 * 24 * 3600_000 + 1000));
  });

  it('an admin lists, changes and revokes roles; each is audited; someone else cannot', async () => {
    await grantRole(app, '7020', 'staff', [LE_CHAN]);
    await app.press('a:roles:list', who(ADMIN));
    const [row] = await sql$<{ id: number }>(app, sql`select r.id from staff_roles r join contacts c on c.id = r.contact_id where c.platform_user_id = '7020' and r.revoked_at is null`);
    await app.press(`f:roles:list:${row!.id}`, who(ADMIN));
    await app.press('f:roles:member:change', who(ADMIN));
    await app.press('f:roles:role:collaborator', who(ADMIN));
    await app.say('ngo quyen', who(ADMIN));
    await app.press(`f:roles:wards:${NGO_QUYEN}`, who(ADMIN));
    const changed = await app.press('f:roles:wards:done', who(ADMIN));
    expect(changed[0]!.text).toContain('Cộng tác viên dân số · Phường Ngô Quyền');
    expect((await app.say('/canbo', who('7020')))[0]!.text).toContain('Cộng tác viên dân số · Phường Ngô Quyền');
    const [change] = await audits('role.change');
    expect(change!.details).toMatchObject({ from: { role: 'staff', wardCodes: [LE_CHAN] }, to: { role: 'collaborator', wardCodes: [NGO_QUYEN] } });

    const [now] = await sql$<{ id: number }>(app, sql`select r.id from staff_roles r join contacts c on c.id = r.contact_id where c.platform_user_id = '7020' and r.revoked_at is null`);
    await app.press('a:roles:list', who(ADMIN));
    await app.press(`f:roles:list:${now!.id}`, who(ADMIN));
    const revoked = await app.press('f:roles:member:revoke', who(ADMIN));
    expect(revoked[0]!.text).toContain('Đã thu hồi');
    expect((await app.say('/canbo', who('7020')))[0]!.text).toContain('chỉ dành cho cán bộ');
    expect((await audits('role.revoke')).length).toBe(1);

    // A staff member cannot make invites or list roles: refused kindly (told what their role allows), audited.
    await grantRole(app, '7021', 'staff', [LE_CHAN]);
    const refused = await app.press('a:roles:invite', who('7021'));
    expect(refused[0]!.text).toBe(
      'Việc này không thuộc vai trò Cán bộ trạm y tế của bạn. Với vai trò này, bạn có thể tạo và sửa buổi khám, xem ai đăng ký, điểm danh và gửi tin tới người đăng ký ở xã/phường mình phụ trách. Cần thêm quyền thì bạn nhờ quản trị viên nhé.',
    );
    expect(refused[0]!.text).not.toContain('/moi');
    expect((await app.press('a:roles:list', who('7021')))[0]!.text).toContain('Với vai trò này, bạn có thể');
    const denied = (await audits('staff.denied')).filter((a) => a.actor === '7021');
    expect(denied.map((d) => d.details!.action)).toEqual(['roles.manage', 'roles.manage']);
  });

  it('someone with no role is refused at /canbo and the attempt is audited, without a contact being made for them', async () => {
    const since = await auditsFromNow('staff.denied');
    const r = await app.say('/canbo', who('6001'));
    expect(r[0]!.text).toContain('/moi');
    const mine = await since();
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ actor: null, details: { reason: 'no-role', channel: 'telegram' } });
    const [made] = await sql$<{ n: number }>(app, sql`select count(*)::int as n from contacts where platform_user_id = '6001'`);
    expect(made!.n).toBe(0);
    // And a session page by id, guessed: refused too.
    expect((await app.press('a:ses:1', who('6001')))[0]!.text).toContain('chỉ dành cho cán bộ');
    expect((await app.press('a:snew', who('6001')))[0]!.text).toContain('chỉ dành cho cán bộ');
    expect(await since()).toHaveLength(3);
  });

  it('a collaborator asked to create a session is told what a collaborator can do, not to ask for an invite', async () => {
    await grantRole(app, '7022', 'collaborator', [LE_CHAN]);
    const r = await app.press('a:snew', who('7022'));
    expect(r[0]!.text).toContain('vai trò Cộng tác viên dân số');
    expect(r[0]!.text).toContain('tạo buổi khám là việc của trạm y tế');
    expect(r[0]!.text).not.toContain('/moi');
  });
});

describe('authorisation matrix: each staff action by each role, inside and outside its ward', () => {
  const users: Record<Role | 'none', string> = { none: '5000', collaborator: '5001', staff: '5002', admin: '5003', counsellor: '5004' };

  beforeAll(async () => {
    await grantRole(app, users.collaborator, 'collaborator', [LE_CHAN]);
    await grantRole(app, users.staff, 'staff', [LE_CHAN]);
    await grantRole(app, users.admin, 'admin');
    await grantRole(app, users.counsellor, 'counsellor', [LE_CHAN]);
  });

  /** A Person as the engine builds one under the lock, for a domain-level call. */
  async function personOf(userId: string, db = app.database.db) {
    const contact = await findContact(db, 'telegram', userId);
    return new Person(db, { channel: 'telegram', userId, chatId: userId }, contact, app.clock.now(), 'vi');
  }

  const sessionInput = (wardCode: string) => ({
    programme: 'elderly' as const,
    wardCode,
    placeName: 'Trạm Y tế',
    placeAddress: '1 Lạch Tray',
    startsAt: new Date('2026-12-20T01:00:00Z'),
    durationMin: 120,
    capacity: 10,
    note: null,
    needsPhone: false,
  });

  /** A fresh session in the ward, with one booking; made by the administrator. */
  async function fixture(wardCode: string) {
    const admin = await personOf(ADMIN);
    const created = await admin.staff.createSession(sessionInput(wardCode));
    if (isDenied(created)) throw new Error('admin refused');
    const booker = await personOf('5100');
    const booked = await booker.bookings.book(created.session.id, null, null);
    if (booked.kind !== 'booked') throw new Error(booked.kind);
    return { sessionId: created.session.id, bookingId: booked.bookingId };
  }

  const run: Record<StaffAction, (p: Person, f: { sessionId: number; bookingId: number }, ward: string) => Promise<unknown>> = {
    'session.create': (p, _f, ward) => p.staff.createSession(sessionInput(ward)),
    'session.edit': (p, f) => p.staff.changeSession(f.sessionId, { placeName: 'Nhà văn hóa', placeAddress: '2 Lạch Tray' }),
    'session.cancel': (p, f) => p.staff.cancelSession(f.sessionId),
    'session.bookings': (p, f) => p.staff.bookings(f.sessionId),
    'session.attendance': (p, f) => p.staff.markAttendance(f.sessionId, f.bookingId, true),
    'roles.manage': (p) => p.staff.createInvite('collaborator', [LE_CHAN]),
    'broadcast.send': (p, _f, ward) => p.broadcasts.create({ audience: { programmes: ['elderly'], wardCodes: [ward], relatives: false }, text: 'Tin thử', campaign: null, at: null }),
    'broadcast.citywide': (p) => p.broadcasts.create({ audience: { programmes: ['elderly'], wardCodes: null, relatives: false }, text: 'Tin thử', campaign: null, at: null }),
    'console.signin': (p) => p.staff.consoleToken(),
    'reports.read': (p) => p.staff.indicators({ year: 2026, grains: ['month'], targets: null, wardCodes: [LE_CHAN, NGO_QUYEN] }),
    'denominators.edit': (p, _f, ward) => p.staff.setDenominators(ward, 2026, { births: 100 }),
    'audit.read': (p) => p.staff.auditLog({}),
    // Which conversations a counsellor may answer by ward: test/counsel/tickets.test.ts.
    'counsel.answer': (p) => p.counsel.list(),
  };
  /** Actions about no ward in particular: a role that has them has them everywhere. */
  const wardless: readonly StaffAction[] = ['roles.manage', 'console.signin', 'reports.read', 'audit.read', 'counsel.answer'];

  for (const role of ['none', 'collaborator', 'staff', 'admin', 'counsellor'] as const) {
    for (const action of Object.keys(run) as StaffAction[]) {
      for (const [where, ward] of [['inside', LE_CHAN], ['outside', NGO_QUYEN]] as const) {
        const permitted = role !== 'none' && PERMISSIONS[action].includes(role) && (role === 'admin' || where === 'inside' || wardless.includes(action));
        it(`${role} · ${action} · ${where} → ${permitted ? 'done' : 'refused'}`, async () => {
          const f = await fixture(ward);
          const before = (await audits('staff.denied')).length;
          const result = await app.database.db.transaction(async (tx) => run[action](await personOf(users[role], tx as never), f, ward));
          const refusals = (await audits('staff.denied')).slice(before);
          if (permitted) {
            expect(isDenied(result), JSON.stringify(result)).toBe(false);
            expect(refusals).toEqual([]);
          } else {
            expect(isDenied(result)).toBe(true);
            expect((result as { reason: string }).reason).toBe(role === 'none' ? 'no-role' : !PERMISSIONS[action].includes(role) ? 'role-lacks' : 'outside-ward');
            expect(refusals).toHaveLength(1);
            expect(refusals[0]!.details).toMatchObject({ action });
          }
        });
      }
    }
  }

  it('a refused action changes nothing: the session outside the ward keeps its place and its bookings', async () => {
    const f = await fixture(NGO_QUYEN);
    const staff = await personOf(users.staff);
    expect(isDenied(await staff.staff.cancelSession(f.sessionId))).toBe(true);
    const [s] = await sql$<{ status: string; booked: number }>(app, sql`select status, booked from sessions where id = ${f.sessionId}`);
    expect(s).toEqual({ status: 'scheduled', booked: 1 });
  });

  it('staff see only their wards’ sessions; a collaborator cannot create one', async () => {
    await fixture(LE_CHAN);
    await fixture(NGO_QUYEN);
    const list = await app.press('a:staff:sessions', who(users.staff));
    const wards = await sql$<{ id: number; ward_code: string }>(app, sql`select id, ward_code from sessions`);
    const shown = list[0]!.choices!.map((c) => Number(c.value.split(':')[2]));
    expect(shown.length).toBeGreaterThan(0);
    for (const id of shown) expect(wards.find((w) => w.id === id)!.ward_code).toBe(LE_CHAN);
    const collab = await app.say('/canbo', who(users.collaborator));
    expect(buttonValue(collab, 'a:snew')).toBeUndefined();
    expect((await app.press('a:snew', who(users.collaborator)))[0]!.text).toContain('tạo buổi khám là việc của trạm y tế');
  });
});

describe('creating a session in chat', () => {
  it('an administrator picks any ward by name; a past or nonsense date gets a kind second chance', async () => {
    await grantRole(app, '5200', 'admin');
    const me = who('5200');
    await app.press('a:snew', me);
    const ward = await app.press('f:session-new:programme:newborn', me);
    expect(ward.at(-1)!.text).toContain('Gõ tên');
    const picks = await app.say('ngo quyen', me);
    await app.press(picks.at(-1)!.choices![0]!.value, me);
    const badPlace = await app.say('Trạm Y tế', me);
    expect(badPlace[0]!.text).toContain('dấu phẩy');
    await app.say('Trạm Y tế phường Ngô Quyền, 5 Lê Lợi', me);
    const nonsense = await app.say('hôm nào rảnh', me); // "thứ hai tuần sau" is understood now (#19)
    expect(nonsense[0]!.text).toContain('chưa hiểu');
    const past = await app.say('20/11/2026 8h', me);
    expect(past[0]!.text).toContain('đã qua');
    const askTime = await app.say('20/12', me);
    expect(askTime.at(-1)!.text).toContain('Mấy giờ');
    const duration = await app.say('8 giờ', me);
    expect(duration.at(-1)!.text).toContain('kéo dài');
    await app.say('90 phút', me);
    await app.say('25 người', me);
    await app.press('f:session-new:note:none', me);
    const preview = await app.press('f:session-new:phone:no', me);
    expect(preview.at(-1)!.text).toContain('Chủ nhật 20/12 lúc 8:00, 90 phút');
    expect(preview.at(-1)!.text).toContain('Phường Ngô Quyền');
    const created = await app.press('f:session-new:confirm:yes', me);
    expect(created[0]!.text).toContain('Đã tạo buổi khám');
    const [s] = await sql$<{ starts_at: Date; ward_code: string; capacity: number; duration_min: number }>(app, sql`select starts_at, ward_code, capacity, duration_min from sessions order by id desc limit 1`);
    expect(new Date(s!.starts_at).toISOString()).toBe('2026-12-20T01:00:00.000Z');
    expect(s).toMatchObject({ ward_code: NGO_QUYEN, capacity: 25, duration_min: 90 });
    const [audit] = await sql$<{ n: number }>(app, sql`select count(*)::int as n from audit_log a join contacts c on c.id = a.actor_contact_id where c.platform_user_id = '5200' and a.action = 'session.create'`);
    expect(audit!.n).toBe(1);
  });
});
