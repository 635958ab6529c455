import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDenied } from '../../src/core/actor.js';
import { findContact } from '../../src/domain/contacts.js';
import { Person } from '../../src/domain/person.js';
import type { TestApp } from '../support/app.js';
import { ADMIN, bookInChat, createSessionInChat, grantRole, LE_CHAN, NGO_QUYEN, type OutboxRow, outboxRows, sql$, staffApp, who } from '../support/staff.js';
import { audits, type Browserless, signIn } from './support.js';

const STAFF = '7201';
const COLLAB = '7202';
type Users = Record<'admin' | 'staff' | 'collaborator', Browserless>;

/** A Lê Chân session created in chat by the staff member and booked in chat by `people`: its id and its bookings' ids. */
async function bookedSession(a: TestApp, people: string[], when = '10/12 7h30'): Promise<{ id: number; bookings: number[] }> {
  const id = await createSessionInChat(a, STAFF, { when, needsPhone: false });
  for (const u of people) await bookInChat(a, u, id);
  const rows = await sql$<{ id: number }>(a, sql`select id from bookings where session_id = ${id} order by id`);
  expect(rows, `bookings of session ${id}`).toHaveLength(people.length);
  return { id, bookings: rows.map((r) => Number(r.id)) };
}

/** Only the outbox rows about these bookings (`appt:<booking>:…`), not other tests'. */
const about = (list: OutboxRow[], bookings: number[]) => list.filter((r) => bookings.some((b) => r.dedupe_key.startsWith(`appt:${b}:`)));

interface Fixture {
  app: TestApp;
  /** Lê Chân, 10/12, booked by 7301–7303. */
  sessionId: number;
  otherWardSession: number;
  broadcastId: number;
  users: Users;
}

/** An app with a staff member and a collaborator of Lê Chân, a booked session in Lê Chân and one in Ngô Quyền, a broadcast, and the three signed in. */
async function fixture(): Promise<Fixture> {
  const app = await staffApp();
  await grantRole(app, STAFF, 'staff', [LE_CHAN]);
  await grantRole(app, COLLAB, 'collaborator', [LE_CHAN]);
  const { id: sessionId } = await bookedSession(app, ['7301', '7302', '7303']);
  const otherWardSession = await createSessionInChat(app, ADMIN, { when: '11/12 7h30', ward: NGO_QUYEN });
  const b = await app.database.db.transaction(async (tx) => {
    const contact = await findContact(tx, 'telegram', ADMIN);
    const p = new Person(tx, { channel: 'telegram', userId: ADMIN, chatId: ADMIN }, contact, app.clock.now(), 'vi');
    return p.broadcasts.create({ audience: { programmes: ['elderly'], wardCodes: [LE_CHAN], relatives: false }, text: 'Khám sức khỏe miễn phí cho người cao tuổi', campaign: null, at: new Date('2026-11-24T02:00:00Z') });
  });
  if (isDenied(b)) throw new Error('broadcast refused');
  const users: Users = { admin: await signIn(app, ADMIN), staff: await signIn(app, STAFF), collaborator: await signIn(app, COLLAB) };
  return { app, sessionId, otherWardSession, broadcastId: b.id, users };
}

/**
 * The file's shared app. Its session (`sessionId`) is only read (the pages of each role); a test
 * that changes a session, its bookings or the city's figures makes its own (or an app of its own).
 */
let app: TestApp;
let sessionId: number;
let otherWardSession: number;
let broadcastId: number;
let users: Users;

beforeAll(async () => {
  ({ app, sessionId, otherWardSession, broadcastId, users } = await fixture());
});
afterAll(() => app.close());

describe('every page, for each role', () => {
  const pages = (): [string, Record<'admin' | 'staff' | 'collaborator', number>, string][] => [
    ['/staff', { admin: 200, staff: 200, collaborator: 200 }, 'Buổi khám sắp tới'],
    ['/staff/sessions', { admin: 200, staff: 200, collaborator: 200 }, 'Sắp tới'],
    ['/staff/sessions?when=past', { admin: 200, staff: 200, collaborator: 200 }, 'Đã qua'],
    ['/staff/sessions/new', { admin: 200, staff: 200, collaborator: 403 }, 'Tạo và gửi lời mời'],
    [`/staff/sessions/${sessionId}`, { admin: 200, staff: 200, collaborator: 200 }, `Buổi khám #${sessionId}`],
    [`/staff/sessions/${sessionId}/cancel`, { admin: 200, staff: 200, collaborator: 403 }, 'Hủy buổi khám'],
    [`/staff/sessions/${sessionId}/bookings`, { admin: 200, staff: 200, collaborator: 200 }, 'Đăng ký · buổi khám'],
    [`/staff/sessions/${sessionId}/bookings?print=1`, { admin: 200, staff: 200, collaborator: 200 }, 'Danh sách đăng ký buổi khám'],
    [`/staff/sessions/${otherWardSession}`, { admin: 200, staff: 403, collaborator: 403 }, 'Phường Ngô Quyền'],
    ['/staff/indicators', { admin: 200, staff: 200, collaborator: 200 }, 'Chỉ tiêu thành phố năm 2026: 76%'],
    ['/staff/indicators?programme=premarital&grain=quarter&ward=city', { admin: 200, staff: 200, collaborator: 200 }, 'Quý 4/2026'],
    ['/staff/denominators', { admin: 200, staff: 200, collaborator: 200 }, 'Mẫu số năm 2026'],
    ['/staff/broadcasts', { admin: 200, staff: 200, collaborator: 200 }, 'Tin nhắn truyền thông'],
    ['/staff/roles', { admin: 200, staff: 403, collaborator: 403 }, 'Cán bộ và mã mời'],
    ['/staff/audit', { admin: 200, staff: 403, collaborator: 403 }, 'Nhật ký hoạt động'],
    ['/staff/no-such-page', { admin: 404, staff: 404, collaborator: 404 }, 'Không tìm thấy'],
  ];

  for (const role of ['admin', 'staff', 'collaborator'] as const) {
    it(`${role}: each page answers as the role allows, in Vietnamese, with the navigation its role has`, async () => {
      for (const [path, status, text] of pages()) {
        const html = await users[role].page(path, status[role]);
        if (status[role] === 200) expect(html, path).toContain(text);
        expect(html).toContain('<html lang="vi">');
        expect(html).not.toMatch(/<script>(?!<\/script>)|style="|on(click|submit|load)=/);
        if (role !== 'admin') expect(html).not.toContain('href="/staff/audit"');
      }
      const home = await users[role].page('/staff');
      expect(home.includes('href="/staff/roles"')).toBe(role === 'admin');
      expect(home.includes('href="/staff/sessions/new"')).toBe(role !== 'collaborator');
    });
  }

  it('CSV downloads for every table: UTF-8 with a BOM, stable headers, refused where the page is', async () => {
    const csv = async (c: Browserless, path: string) => {
      const res = await c.get(path);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), bytes, text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes) };
    };
    // The indicators below are the whole city's: on an app of this test's own, no other test's bookings,
    // attendance or denominators are in them, and its session's bookings are the three it was made with.
    const { app, users, sessionId, otherWardSession } = await fixture();
    try {
      const bookings = await csv(users.collaborator, `/staff/sessions/${sessionId}/bookings.csv`);
      expect(bookings.status).toBe(200);
      expect(bookings.type).toBe('text/csv; charset=utf-8');
      expect(bookings.disposition).toBe(`attachment; filename="session-${sessionId}-bookings.csv"`);
      expect([...bookings.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(bookings.text.split('\r\n')[0]).toBe('\uFEFFkind,id,name,birth_year,booked_by,phone,status,created_at');
      expect(bookings.text.split('\r\n').filter(Boolean)).toHaveLength(4);
      const nov = await createSessionInChat(app, STAFF, { when: '28/11 7h30' });
      await bookInChat(app, '7305', nov);
      const indicators = await csv(users.staff, '/staff/indicators.csv?year=2026&grain=quarter');
      const lines = indicators.text.split('\r\n').filter(Boolean);
      expect(lines[0]).toBe(
        '\uFEFFperiod,grain,ward_code,ward_name,programme,subscribers_new,subscribers_active,subscribers_stopped,invitations_sent,bookings,attended,no_show,walk_ins,milestones_done,reminders_delivered,reminders_failed,broadcast_reach,examined,denominator,coverage_pct,target_pct',
      );
      // One row per ward × programme × quarter, and the city's: 114 wards (and none unknown) + city, 6 programmes (family planning too), 4 quarters.
      expect(lines).toHaveLength(1 + (114 + 1) * 6 * 4);
      // The staff member's own ward exactly; the city (other wards in it) with its small count hidden; the administrator sees it.
      expect(lines).toContain('2026-Q4,quarter,city,Toàn thành phố,elderly,0,0,0,0,<5,0,0,0,0,0,0,0,0,,,76');
      expect(lines).toContain(`2026-Q4,quarter,${LE_CHAN},Phường Lê Chân,elderly,0,0,0,0,1,0,0,0,0,0,0,0,0,,,76`);
      expect((await csv(users.admin, '/staff/indicators.csv?year=2026&grain=quarter')).text).toContain('\r\n2026-Q4,quarter,city,Toàn thành phố,elderly,0,0,0,0,1,0,');
      for (const path of ['/staff/sessions.csv', '/staff/broadcasts.csv', '/staff/audit.csv']) {
        const r = await csv(users.admin, path);
        expect(r.status, path).toBe(200);
        expect([...r.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      }
      expect((await csv(users.staff, '/staff/audit.csv')).status).toBe(403);
      expect((await csv(users.staff, `/staff/sessions/${otherWardSession}/bookings.csv`)).status).toBe(403);
      expect((await audits(app, 'console.export')).length).toBeGreaterThanOrEqual(5);
    } finally {
      await app.close();
    }
  });
});

describe('sessions from the console: the chat’s rules and notices', () => {
  it('a staff member creates a session; the same invitations go out; a past time or a missing place is said kindly', async () => {
    const c = users.staff;
    await c.page('/staff/sessions/new');
    const bad = await c.post('/staff/sessions', { programme: 'elderly', wardCode: LE_CHAN, placeName: 'T', placeAddress: '', date: '2026-11-01', time: '07:30', durationMin: '120', capacity: '30', note: '' });
    expect(bad.status).toBe(422);
    const text = await bad.text();
    expect(text).toContain('Thời gian này đã qua');
    expect(text).toContain('Tên địa điểm cần từ 3 đến 100 ký tự');
    const res = await c.post('/staff/sessions', {
      programme: 'elderly',
      wardCode: LE_CHAN,
      placeName: 'Trạm Y tế phường Lê Chân',
      placeAddress: '12 Hai Bà Trưng',
      date: '2026-12-18',
      time: '07:30',
      durationMin: '120',
      capacity: '40',
      note: 'Nhịn ăn sáng',
      needsPhone: '1',
    });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    const id = Number(/\/staff\/sessions\/(\d+)/.exec(location)![1]);
    const [s] = await sql$<{ starts_at: Date; capacity: number; needs_phone: boolean; ward_code: string }>(app, sql`select starts_at, capacity, needs_phone, ward_code from sessions where id = ${id}`);
    expect(new Date(s!.starts_at).toISOString()).toBe('2026-12-18T00:30:00.000Z');
    expect(s).toMatchObject({ capacity: 40, needs_phone: true, ward_code: LE_CHAN });
    expect(await c.page(location)).toContain(`Đã tạo buổi khám #${id}`);
    // Outside the staff member's ward: refused by the desk, audited.
    const outside = await c.post('/staff/sessions', { programme: 'elderly', wardCode: NGO_QUYEN, placeName: 'Trạm Y tế', placeAddress: '5 Lê Lợi', date: '2026-12-18', time: '07:30', durationMin: '120', capacity: '40', note: '' });
    expect(outside.status).toBe(403);
    expect((await audits(app, 'staff.denied')).at(-1)!.details).toMatchObject({ action: 'session.create', reason: 'outside-ward', wardCode: NGO_QUYEN });
  });

  it('changing the time tells the booked and re-plans their reminders; capacity below the booked is refused; cancelling tells them too', async () => {
    const c = users.staff;
    // A session of this test's own, its three people still booked (not marked, not moved by another test).
    const { id: sessionId, bookings } = await bookedSession(app, ['7311', '7312', '7313']);
    await c.page(`/staff/sessions/${sessionId}`);
    const low = await c.post(`/staff/sessions/${sessionId}`, { date: '2026-12-10', time: '07:30', placeName: 'Trạm Y tế phường Lê Chân', placeAddress: '12 Hai Bà Trưng', capacity: '2' });
    expect(low.status).toBe(422);
    expect(await low.text()).toContain('ít hơn số người đã đăng ký');
    const res = await c.post(`/staff/sessions/${sessionId}`, { date: '2026-12-11', time: '08:00', placeName: 'Trạm Y tế phường Lê Chân', placeAddress: '12 Hai Bà Trưng', capacity: '30' });
    expect(res.status).toBe(303);
    expect(await c.page(res.headers.get('location')!)).toContain('đã báo 3 người');
    const told = about(await outboxRows(app, `appt:%:changed`), bookings).filter((r) => r.status === 'pending');
    expect(told.length).toBeGreaterThanOrEqual(3);
    expect(about(await outboxRows(app, 'appt:%:v2:d-1'), bookings).length).toBe(3);

    const other = await bookedSession(app, ['7304'], '19/12 7h30');
    const cancel = await c.post(`/staff/sessions/${other.id}/cancel`);
    expect(cancel.status).toBe(303);
    expect(await c.page(cancel.headers.get('location')!)).toContain('Buổi khám này đã bị hủy');
    expect(about(await outboxRows(app, `appt:%:cancelled`), other.bookings).length).toBe(1);
  });
});

describe('bookings of any size', () => {
  it('paged by 50, searched by name (with or without diacritics) or phone, names shown escaped', async () => {
    const id = await createSessionInChat(app, STAFF, { when: '20/12 7h30', capacity: 200 });
    await sql$(
      app,
      sql`with c as (
            insert into contacts (channel, platform_user_id, chat_id, display_name)
            select 'telegram', 'bulk' || g, 'bulk' || g, case when g = 7 then 'Nguyễn Thị Hoà <script>alert(1)</script>' else 'Người ' || g end
            from generate_series(1, 120) g returning id, platform_user_id)
          insert into bookings (session_id, contact_id, phone, status, created_at)
          select ${id}, c.id, case when c.platform_user_id = 'bulk9' then '+84912345678' else null end, 'booked', now() from c`,
    );
    await sql$(app, sql`update sessions set booked = 120 where id = ${id}`);
    const c = users.collaborator;
    const first = await c.page(`/staff/sessions/${id}/bookings`);
    expect(first.match(/data-booking="/g)).toHaveLength(50);
    expect(first).toContain('Trang 1/3 · 120 mục');
    expect(first).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(first).not.toContain('<script>alert(1)');
    const third = await c.page(`/staff/sessions/${id}/bookings?page=3`);
    expect(third.match(/data-booking="/g)).toHaveLength(20);
    const byName = await c.page(`/staff/sessions/${id}/bookings?q=${encodeURIComponent('nguyen thi hoa')}`);
    expect(byName.match(/data-booking="/g)).toHaveLength(1);
    const byPhone = await c.page(`/staff/sessions/${id}/bookings?q=${encodeURIComponent('0912 345')}`);
    expect(byPhone.match(/data-booking="/g)).toHaveLength(1);
    expect(byPhone).toContain('0912 345 678');
    const none = await c.page(`/staff/sessions/${id}/bookings?q=khong+ai`);
    expect(none).toContain('Không có ai khớp');
    const print = await c.page(`/staff/sessions/${id}/bookings?print=1`);
    expect(print.match(/data-booking="/g)).toHaveLength(120);
    expect(print).not.toContain('data-attend');
  });

  it('attendance: one post per tap, saved at once; JSON with the live counts for the page’s script, a redirect without it; walk-ins counted', async () => {
    const c = users.collaborator;
    // A session of this test's own: three booked, nobody marked, no walk-in yet.
    const { id: sessionId } = await bookedSession(app, ['7321', '7322', '7323']);
    const page = await c.page(`/staff/sessions/${sessionId}/bookings`);
    const ids = [...page.matchAll(/data-booking="(\d+)"/g)].map((m) => m[1]!);
    const json = await c.post(`/staff/sessions/${sessionId}/attendance`, { booking: ids[0]!, attended: '1' }, { accept: 'application/json' });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ status: 'attended', label: 'Đã đến', counts: { booked: 2, attended: 1, noShow: 0, walkIns: 0, total: 3, cancelled: 0 } });
    const plain = await c.post(`/staff/sessions/${sessionId}/attendance`, { booking: ids[1]!, attended: '0', back: 'q=&page=1' });
    expect(plain.status).toBe(303);
    expect(plain.headers.get('location')).toBe(`/staff/sessions/${sessionId}/bookings?page=1#b${ids[1]}`);
    const walk = await c.post(`/staff/sessions/${sessionId}/walkins`, { name: 'Bà Phạm Thị Mai', birthYear: '1948' });
    expect(walk.status).toBe(303);
    const after = await c.page(`/staff/sessions/${sessionId}/bookings`);
    expect(after).toContain('Bà Phạm Thị Mai (1948)');
    expect(after).toContain('data-count="walkIns">1<');
    expect(after).toContain('data-count="attended">1<');
    expect(after).toContain('data-count="cancelled">0<');
    const badYear = await c.post(`/staff/sessions/${sessionId}/walkins`, { name: 'Ông Lê', birthYear: '1800' });
    expect(badYear.status).toBe(422);
    expect((await audits(app, 'session.attendance')).slice(-2).map((a) => a.actor)).toEqual([COLLAB, COLLAB]);
    expect((await audits(app, 'session.walkin')).at(-1)!.actor).toBe(COLLAB);
  });
});

describe('figures, denominators, broadcasts, staff, audit', () => {
  it('a station enters its ward’s denominators; coverage then shows against the target; a collaborator only reads them', async () => {
    const c = users.staff;
    await c.page('/staff/denominators?year=2026');
    const res = await c.post('/staff/denominators', { ward: LE_CHAN, year: '2026', marriages: '', births: '120', elderly: '1.000' });
    expect(res.status).toBe(303);
    const [row] = await sql$<{ value: number }>(app, sql`select value from ward_denominators where ward_code = ${LE_CHAN} and year = 2026 and kind = 'elderly'`);
    expect(row!.value).toBe(1000);
    expect((await audits(app, 'denominators.set')).at(-1)).toMatchObject({ actor: STAFF, details: { year: 2026, values: { births: 120, elderly: 1000, marriages: null } } });
    const page = await c.page(`/staff/indicators?year=2026&programme=elderly&ward=${LE_CHAN}`);
    expect(page).toContain('Tỷ lệ (lũy kế)');
    expect(page).toContain('data-chart="chart-data"');
    expect(page).toContain('"type":"line"');
    expect(page).toContain('<meter');
    expect(page).toContain('<script src="/staff/assets/chart.umd.js" defer></script>');
    const collab = await users.collaborator.page('/staff/denominators?year=2026');
    expect(collab).toContain('Bạn chỉ xem được');
    expect(collab).not.toContain('name="births"');
    expect((await users.collaborator.post('/staff/denominators', { ward: LE_CHAN, year: '2026', births: '1' })).status).toBe(403);
    expect((await c.post('/staff/denominators', { ward: NGO_QUYEN, year: '2026', births: '1' })).status).toBe(403);
  });

  it('broadcasts: their progress; pause, resume and cancel by the desk (author or administrator only)', async () => {
    const list = await users.admin.page('/staff/broadcasts');
    expect(list).toContain(`data-broadcast="${broadcastId}"`);
    expect(list).toContain('Khám sức khỏe miễn phí cho người cao tuổi');
    expect(list).toMatch(/Đã gửi 0\/\d+/);
    // The collaborator did not write it: it is not theirs to see or stop.
    expect(await users.collaborator.page('/staff/broadcasts')).not.toContain(`data-broadcast="${broadcastId}"`);
    expect((await users.collaborator.post(`/staff/broadcasts/${broadcastId}/cancel`)).status).toBe(403);
    for (const [op, status] of [['pause', 'paused'], ['resume', 'sending'], ['cancel', 'cancelled']] as const) {
      const res = await users.admin.post(`/staff/broadcasts/${broadcastId}/${op}`);
      expect(res.status, op).toBe(303);
      const [b] = await sql$<{ status: string }>(app, sql`select status from broadcasts where id = ${broadcastId}`);
      expect(b!.status).toBe(status);
    }
    expect((await audits(app, 'broadcast.cancel')).at(-1)!.actor).toBe(ADMIN);
  });

  it('an administrator makes an invite code, revokes a role, and reads the audit log filtered', async () => {
    const c = users.admin;
    await c.page('/staff/roles');
    const made = await c.post('/staff/invites', { role: 'collaborator', wards: [LE_CHAN, NGO_QUYEN] });
    expect(made.status).toBe(200);
    const code = /id="invite-code">([A-Z0-9]{8})</.exec(await made.text())![1]!;
    expect((await app.say(`/moi ${code}`, who('7401')))[0]!.text).toContain('Cộng tác viên dân số · Phường Lê Chân, Phường Ngô Quyền');
    const none = await c.post('/staff/invites', { role: 'staff' });
    expect(none.status).toBe(422);
    const [r] = await sql$<{ id: number }>(app, sql`select r.id from staff_roles r join contacts c on c.id = r.contact_id where c.platform_user_id = '7401' and r.revoked_at is null`);
    expect((await c.post(`/staff/roles/${r!.id}/revoke`)).status).toBe(303);
    expect((await app.say('/canbo', who('7401')))[0]!.text).toContain('chỉ dành cho cán bộ');
    const log = await c.page('/staff/audit?action=role.');
    expect(log).toContain('role.revoke');
    expect(log).not.toContain('>session.create<');
    // The filter box repeats what was typed: look at the table's cells, after making a row to find.
    const { id, bookings } = await bookedSession(app, ['7331']);
    expect((await c.post(`/staff/sessions/${id}/attendance`, { booking: String(bookings[0]), attended: '1' }, { accept: 'application/json' })).status).toBe(200);
    const bySomeone = await c.page(`/staff/audit?action=session.attendance`);
    expect(bySomeone).toContain('<td>session.attendance</td>');
    expect(bySomeone).toContain(`<td>booking:${bookings[0]}</td>`);
    expect(bySomeone).not.toContain('<td>role.revoke</td>');
  });
});
