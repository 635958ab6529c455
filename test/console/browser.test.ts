import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/paths.js';
import { type Listening, listen } from '../../src/http/server.js';
import type { TestApp } from '../support/app.js';
import { bookInChat, createSessionInChat, grantRole, LE_CHAN, sql$, staffApp } from '../support/staff.js';
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

let browser: Browser;
/** This test's app, its server and where it listens: each test has its own, so no test sees another's sessions, bookings or figures. */
let app: TestApp;
let server: Listening;
let base: string;
const STAFF = '7501';
const COUNSELLOR = '7502';
/** What the browser said about the Content-Security-Policy on this test's pages. */
const cspErrors: string[] = [];
/** This test's browser contexts (each `phone()` is one), closed after it. */
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  mkdirSync(OUTPUT, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  cspErrors.length = 0;
  app = await staffApp();
  await grantRole(app, STAFF, 'staff', [LE_CHAN]);
  await app.database.db.execute(sql`update contacts set display_name = 'Chị Thu (trạm y tế)' where platform_user_id = ${STAFF}`);
  server = await listen(app.http, 0, '127.0.0.1');
  base = `http://127.0.0.1:${server.port}`;
});

afterEach(async () => {
  // Every page this test opened broke no rule of the Content-Security-Policy.
  const broken = [...cspErrors];
  for (const c of contexts.splice(0)) await c.close().catch(() => {});
  await server?.close();
  await app?.close();
  expect(broken).toEqual([]);
});

async function phone(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 412, height: 915 }, locale: 'vi-VN', acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
  });
  return page;
}

/** The /web link from chat, pointed at this test's server (the bot's own PORT is not listening here). */
const linkFor = async (userId: string) => (await webLink(app, userId)).replace('http://localhost:3000', base);

/** A phone signed in through the person's /web link, on the console's home. */
async function signedIn(userId: string): Promise<Page> {
  const page = await phone();
  await page.goto(await linkFor(userId));
  await page.waitForURL(`${base}/staff`);
  return page;
}

/** A Lê Chân session for the elderly on 25/11 (this month, so in the indicators), booked in chat by two people. */
async function bookedSession(): Promise<number> {
  const id = await createSessionInChat(app, STAFF, { programme: 'elderly', when: '25/11 7h30', capacity: 20 });
  for (const u of ['7601', '7602']) await bookInChat(app, u, id);
  return id;
}

/** On the session's bookings page, one tap on the `nth` row's "came", waiting for the count to say `attended`. */
async function tapCame(page: Page, sessionId: number, nth: number, attended: number): Promise<void> {
  await page.goto(`${base}/staff/sessions/${sessionId}/bookings`);
  await page.waitForSelector('html[data-enhanced="true"]');
  await page.locator('tr[data-booking]').nth(nth).locator('button.came').click();
  await page.locator('[data-count="attended"]', { hasText: new RegExp(`^${attended}$`) }).waitFor();
}

/** The ward's elderly denominator for 2026, entered in the form. */
async function denominator(page: Page, value: number): Promise<void> {
  await page.goto(`${base}/staff/denominators?year=2026`);
  await page.fill(`input[form="fw${LE_CHAN}"][name="elderly"]`, String(value));
  await Promise.all([page.waitForURL(/ok=saved/), page.click(`#fw${LE_CHAN} button[type=submit]`)]);
}

const indicatorsOfLeChan = () => `${base}/staff/indicators?year=2026&grain=month&programme=elderly&ward=${LE_CHAN}`;

describe('the staff console in Chromium', () => {
  it('signs in through a /web link obtained in chat (the page posts itself), and the cookie is HttpOnly', async () => {
    const page = await phone();
    await page.goto(await linkFor(STAFF));
    await page.waitForURL(`${base}/staff`);
    expect(await page.locator('h1').textContent()).toContain('Xin chào, Chị Thu');
    expect(await page.evaluate('document.cookie')).toBe('');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'hp_staff')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/staff' });
  });

  it('creates a session in the form; people book it in chat; the page lists them', async () => {
    const page = await signedIn(STAFF);
    await page.goto(`${base}/staff/sessions/new`);
    await page.selectOption('#f-programme', 'elderly');
    await page.fill('#f-placeName', 'Trạm Y tế phường Lê Chân');
    await page.fill('#f-placeAddress', '12 Hai Bà Trưng');
    await page.fill('#f-date', '2026-11-25');
    await page.fill('#f-time', '07:30');
    await page.fill('#f-capacity', '20');
    await Promise.all([page.waitForURL(/\/staff\/sessions\/\d+\?ok=created/), page.click('button[type=submit].primary')]);
    const sessionId = Number(/\/staff\/sessions\/(\d+)/.exec(page.url())![1]);
    expect(await page.textContent('.notice')).toContain(`Đã tạo buổi khám #${sessionId}`);
    for (const u of ['7601', '7602']) await bookInChat(app, u, sessionId);
    await page.click(`a[href="/staff/sessions/${sessionId}/bookings"]`);
    await page.waitForURL(`${base}/staff/sessions/${sessionId}/bookings`);
    await page.waitForSelector('html[data-enhanced="true"]');
    expect(await page.locator('tr[data-booking]').count()).toBe(2);
    expect(await page.textContent('[data-count="total"]')).toBe('2');
  });

  it('marks attendance with one tap: saved at once, the counts follow without a reload', async () => {
    const page = await signedIn(STAFF);
    const sessionId = await bookedSession();
    await page.goto(`${base}/staff/sessions/${sessionId}/bookings`);
    await page.waitForSelector('html[data-enhanced="true"]');
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
    // From where one tap leaves it (the test above): two booked this month, one of them came.
    const page = await signedIn(STAFF);
    const sessionId = await bookedSession();
    await tapCame(page, sessionId, 0, 1);
    await page.goto(`${base}/staff/denominators?year=2026`);
    await page.fill(`input[form="fw${LE_CHAN}"][name="elderly"]`, '4');
    await Promise.all([page.waitForURL(/ok=saved/), page.click(`#fw${LE_CHAN} button[type=submit]`)]);

    const indicators = indicatorsOfLeChan();
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
    // From where the indicators' test leaves it: both came, against a denominator of 4; their page open.
    const page = await signedIn(STAFF);
    const sessionId = await bookedSession();
    await tapCame(page, sessionId, 0, 1);
    await tapCame(page, sessionId, 1, 2);
    await denominator(page, 4);
    await page.goto(indicatorsOfLeChan());
    await page.waitForSelector('canvas[data-rendered="true"]');
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

  it('broke no rule of the Content-Security-Policy on any page', async () => {
    // Every kind of page the tests above open: home, the session's form and page, the bookings with
    // their script, denominators, the indicators and their chart, a counsellor's list and conversation.
    const page = await signedIn(STAFF);
    const sessionId = await bookedSession();
    await page.goto(`${base}/staff/sessions/new`);
    await page.goto(`${base}/staff/sessions/${sessionId}`);
    await tapCame(page, sessionId, 0, 1);
    await denominator(page, 4);
    await page.goto(indicatorsOfLeChan());
    await page.waitForSelector('canvas[data-rendered="true"]');
    await grantRole(app, COUNSELLOR, 'counsellor', [LE_CHAN]);
    const ticket = await askCounsellor(app, '7651', LE_CHAN, 'Em hỏi về cấy que tránh thai ạ');
    const p = await signedIn(COUNSELLOR);
    await p.goto(`${base}/staff/counsel`);
    await p.goto(`${base}/staff/counsel/${ticket.id}`);
    expect(cspErrors).toEqual([]);
  });
});
