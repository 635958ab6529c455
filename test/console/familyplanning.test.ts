import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tally } from '../../src/domain/tallies.js';
import type { TestApp } from '../support/app.js';
import { ADMIN, grantRole, LE_CHAN, NGO_QUYEN, sql$, staffApp } from '../support/staff.js';
import { type Browserless, signIn } from './support.js';

/**
 * Family planning (#16) is a programme of the console too: its sessions, and
 * its indicators, where a contraception reminder's "Đã làm" counts as one
 * "reminder acted on", never by method, under the small-cell rule; the city
 * plan's target for it is a number of people, stated and never a coverage.
 */
let app: TestApp;
const STAFF_NQ = '7904'; // station staff of Ngô Quyền
const STAFF_LC = '7905'; // station staff of Lê Chân
const users = {} as Record<'staffNq' | 'staffLc' | 'admin', Browserless>;

beforeAll(async () => {
  app = await staffApp();
  await grantRole(app, STAFF_NQ, 'staff', [NGO_QUYEN]);
  await grantRole(app, STAFF_LC, 'staff', [LE_CHAN]);
  users.staffNq = await signIn(app, STAFF_NQ);
  users.staffLc = await signIn(app, STAFF_LC);
  users.admin = await signIn(app, ADMIN);
});
afterAll(() => app.close());

describe('family planning in the console', () => {
  it('a station creates a family-planning session from the form', async () => {
    const form = await users.staffLc.page('/staff/sessions/new');
    expect(form).toContain('<option value="familyplanning">Kế hoạch hóa gia đình</option>');
    const res = await users.staffLc.post('/staff/sessions', {
      programme: 'familyplanning',
      wardCode: LE_CHAN,
      placeName: 'Trạm Y tế phường Lê Chân',
      placeAddress: '12 Hai Bà Trưng',
      date: '2026-12-15',
      time: '07:30',
      durationMin: '240',
      capacity: '50',
      note: 'Đặt vòng, cấy que, tiêm thuốc tránh thai, bao cao su miễn phí',
    });
    expect(res.status).toBe(303);
    const id = Number(/\/staff\/sessions\/(\d+)/.exec(res.headers.get('location')!)![1]);
    const [s] = await sql$<{ programme: string }>(app, sql`select programme from sessions where id = ${id}`);
    expect(s!.programme).toBe('familyplanning');
    expect(await users.staffLc.page(`/staff/sessions/${id}`)).toContain('Kế hoạch hóa gia đình');
  });

  it('indicators: reminders acted on as one count (never by method), small counts hidden for other wards, the plan’s count stated with no target column', async () => {
    // What a contraception journey's "Đã làm" writes (journeys.ts): one milestone per reminder, by method, under familyplanning.
    await app.database.db.transaction((tx) =>
      tally(tx, [
        { day: '2026-11-20', wardCode: LE_CHAN, programme: 'familyplanning', metric: 'milestone.inj', delta: 1 },
        { day: '2026-11-21', wardCode: LE_CHAN, programme: 'familyplanning', metric: 'milestone.pack', delta: 2 },
        { day: '2026-11-21', wardCode: NGO_QUYEN, programme: 'familyplanning', metric: 'milestone.iudm1', delta: 1 },
      ]),
    );
    const url = `/staff/indicators?year=2026&grain=month&programme=familyplanning&ward=${LE_CHAN}`;
    // (Form tokens are random letters: left out before looking for a method's name.)
    const words = (page: string) => page.replace(/value="[A-Za-z0-9_-]{20,}"/g, '');
    const own = words(await users.staffLc.page(url));
    expect(own).toContain('<h2 id="heading">Kế hoạch hóa gia đình · Phường Lê Chân · 2026</h2>');
    expect(own).toContain('Nhắc hẹn đã làm');
    expect(own).toMatch(/data-period="2026-11"[\s\S]*?data-col="milestones">3</);
    expect(own).toContain('Chỉ tiêu thành phố năm 2026: 90.000 người — Tổng số người mới thực hiện biện pháp tránh thai hiện đại');
    expect(own).toContain('Trợ lý không đo được chỉ tiêu này');
    for (const absent of ['Tỷ lệ (lũy kế)', '<meter', 'Mẫu số</th>', 'inj', 'pack', 'iud', 'Tiêm', 'Vỉ thuốc']) expect(own, absent).not.toContain(absent);

    const other = await users.staffNq.page(url);
    expect(other).toMatch(/data-period="2026-11"[\s\S]*?data-col="milestones">&lt;5</);
    const byWard = other.slice(other.indexOf('id="by-ward"'));
    expect(byWard).toMatch(/Phường Lê Chân<\/td>(<td class="n">[^<]*<\/td>){5}<td class="n">&lt;5<\/td>/);
    expect(byWard).toMatch(/Phường Ngô Quyền<\/td>(<td class="n">[^<]*<\/td>){5}<td class="n">1<\/td>/);

    const csv = new TextDecoder().decode(new Uint8Array(await (await users.staffNq.get('/staff/indicators.csv?year=2026&grain=month')).arrayBuffer()));
    const row = csv.split('\r\n').find((l) => l.startsWith(`2026-11,month,${LE_CHAN},Phường Lê Chân,familyplanning,`))!;
    expect(row.split(',')[13]).toBe('<5');
    expect(csv).not.toMatch(/milestone\.|inj|iudm1/);
    // 2025 states the plan's count too (its own source line).
    expect(await users.admin.page('/staff/indicators?year=2025&programme=familyplanning&ward=city')).toContain('Chỉ tiêu thành phố năm 2025: 90.000 người');
  });
});
