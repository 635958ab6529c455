import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/paths.js';
import { type Listening, listen } from '../../src/http/server.js';
import type { TestApp } from '../support/app.js';
import { bookInChat, grantRole, LE_CHAN, sql$, staffApp } from '../support/staff.js';
import { askCounsellor, webLink } from './support.js';

/**
 * The console in a real browser: Debian's Chromium (CHROMIUM_PATH, else
 * /usr/bin/chromium; `.ci/run` installs it), driven by playwright-core. No
 * browser is ever downloaded. Without Chromium these tests fail, saying why.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Where the tests leave what they saw (the indicators page's screenshot). */
const OUTPUT = join(projectRoot, 'test-results', 'console');

let app: TestApp;
let server: Listening;
let browser: Browser;
let base: string;
const STAFF = '7501';
const COUNSELLOR = '7502';
const cspErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH`);
  app = await staffApp();
  await grantRole(app, STAFF, 'staff', [LE_CHAN]);
  await app.database.db.execute(sql`update contacts set display_name = 'Chị Thu (trạm y tế)' where platform_user_id = ${STAFF}`);
  server = await listen(app.http, 0, '127.0.0.1');
  base = `http://127.0.0.1:${server.port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  mkdirSync(OUTPUT, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await app?.close();
});

async function phone(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 412, height: 915 }, locale: 'vi-VN', acceptDownloads: true });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
  });
  return page;
}

/** The /web link from chat, pointed at this test's server (the bot's own PORT is not listening here). */
const linkFor = async (userId: string) => (await webLink(app, userId)).replace('http://localhost:3000', base);

describe('the staff console in Chromium', () => {
  let page: Page;
  let sessionId: number;

  it('signs in through a /web link obtained in chat (the page posts itself), and the cookie is HttpOnly', async () => {
    page = await phone();
    await page.goto(await linkFor(STAFF));
    await page.waitForURL(`${base}/staff`);
    expect(await page.locator('h1').textContent()).toContain('Xin chào, Chị Thu');
    expect(await page.evaluate('document.cookie')).toBe('');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'hp_staff')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/staff' });
  });

  it('creates a session in the form; people book it in chat; the page lists them', async () => {
    await page.goto(`${base}/staff/sessions/new`);
    await page.selectOption('#f-programme', 'elderly');
    await page.fill('#f-placeName', 'Trạm Y tế phường Lê Chân');
    await page.fill('#f-placeAddress', '12 Hai Bà Trưng');
    await page.fill('#f-date', '2026-11-25');
    await page.fill('#f-time', '07:30');
    await page.fill('#f-capacity', '20');
    await Promise.all([page.waitForURL(/\/staff\/sessions\/\d+\?ok=created/), page.click('button[type=submit].primary')]);
    sessionId = Number(/\/staff\/sessions\/(\d+)/.exec(page.url())![1]);
    expect(await page.textContent('.notice')).toContain(`Đã tạo buổi khám #${sessionId}`);
    for (const u of ['7601', '7602']) await bookInChat(app, u, sessionId);
    await page.click(`a[href="/staff/sessions/${sessionId}/bookings"]`);
    await page.waitForURL(`${base}/staff/sessions/${sessionId}/bookings`);
    await page.waitForSelector('html[data-enhanced="true"]');
    expect(await page.locator('tr[data-booking]').count()).toBe(2);
    expect(await page.textContent('[data-count="total"]')).toBe('2');
  });

  it('marks attendance with one tap: saved at once, the counts follow without a reload', async () => {
    const url = page.url();
    const first = page.locator('tr[data-booking]').first();
    await first.locator('button.came').click();
    await page.locator('[data-count="attended"]', { hasText: /^1$/ }).waitFor();
    expect(page.url()).toBe(url);
    expect(await first.getAttribute('data-status')).toBe('attended');
    expect(await first.locator('button.came').getAttribute('aria-pressed')).toBe('true');
    const [row] = await sql$<{ n: number }>(app, sql`select count(*)::int as n from bookings where session_id = ${sessionId} and status = 'attended'`);
    expect(row!.n).toBe(1);
  });

  it('enters the ward’s denominator, then sees the indicator and its chart; another tap moves both', async () => {
    await page.goto(`${base}/staff/denominators?year=2026`);
    await page.fill(`input[form="fw${LE_CHAN}"][name="elderly"]`, '4');
    await Promise.all([page.waitForURL(/ok=saved/), page.click(`#fw${LE_CHAN} button[type=submit]`)]);

    const indicators = `${base}/staff/indicators?year=2026&grain=month&programme=elderly&ward=${LE_CHAN}`;
    await page.goto(indicators);
    await page.waitForSelector('canvas[data-rendered="true"]');
    const cell = (col: string) => page.textContent(`tr[data-period="2026-11"] td[data-col="${col}"]`);
    expect(await cell('attended')).toBe('1');
    expect(await cell('coverage')).toBe('25,0%');
    const points = () => page.evaluate<(number | null)[]>("Chart.getChart('chart').data.datasets.map((d) => d.data.at(-1))");
    expect(await points()).toEqual([25, 76]);

    await page.goto(`${base}/staff/sessions/${sessionId}/bookings`);
    await page.waitForSelector('html[data-enhanced="true"]');
    await page.locator('tr[data-booking]').nth(1).locator('button.came').click();
    await page.locator('[data-count="attended"]', { hasText: /^2$/ }).waitFor();
    await page.goto(indicators);
    await page.waitForSelector('canvas[data-rendered="true"]');
    expect(await cell('coverage')).toBe('50,0%');
    expect(await points()).toEqual([50, 76]);

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(OUTPUT, 'indicators.png'), fullPage: true });
    expect(readFileSync(join(OUTPUT, 'indicators.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('downloads the indicators CSV: a BOM, the header, the ward’s row', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href^="/staff/indicators.csv"]')]);
    const bytes = readFileSync((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).split('\r\n');
    expect(lines[0]).toMatch(/^period,grain,ward_code,ward_name,programme,subscribers_new,/);
    expect(lines).toContain(`2026-11,month,${LE_CHAN},Phường Lê Chân,elderly,0,0,0,0,2,2,0,0,0,0,0,0,2,4,50,76`);
    expect(download.suggestedFilename()).toBe('indicators-2026-month.csv');
  });

  it('a counsellor answers from a phone: takes the conversation, replies, and the reply waits in the outbox for the person', async () => {
    await grantRole(app, COUNSELLOR, 'counsellor', [LE_CHAN]);
    const ticket = await askCounsellor(app, '7651', LE_CHAN, 'Em hỏi về cấy que tránh thai ạ');
    const p = await phone();
    await p.goto(await linkFor(COUNSELLOR));
    await p.waitForURL(`${base}/staff`);
    await p.click('a[href="/staff/counsel"]');
    await p.click(`a[href="/staff/counsel/${ticket.id}"]`);
    expect(await p.textContent('#transcript')).toContain('Em hỏi về cấy que tránh thai ạ');
    await Promise.all([p.waitForURL(/ok=claimed/), p.click('button[type=submit].primary')]);
    await p.fill('#r-text', 'Chào bạn, que cấy dùng được 3 năm.');
    await Promise.all([p.waitForURL(/ok=sent/), p.click('#reply button[type=submit]')]);
    expect(await p.textContent('.notice')).toContain('Đã gửi tới người hỏi.');
    expect(await p.textContent('#transcript')).toContain('que cấy dùng được 3 năm');
    expect(await p.content()).not.toContain('Nguyễn Thị Lan');
    const [row] = await sql$<{ n: number }>(app, sql`select count(*)::int as n from outbox where dedupe_key like ${`tk:${ticket.id}:m%:${ticket.contactId}`} and status = 'pending'`);
    expect(row!.n).toBe(1);
    await p.context().close();
  });

  it('broke no rule of the Content-Security-Policy on any page', () => {
    expect(cspErrors).toEqual([]);
  });
});
