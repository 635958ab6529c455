import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createI18n, translate, translator } from '../src/i18n/index.js';
import { VI_ELDER } from '../src/i18n/voice.js';
import { BroadcastTexts } from '../src/broadcasts/render.js';
import { claimBatch } from '../src/outbox/store.js';
import { i18nRender } from '../src/outbox/render.js';
import { seedSubscribers } from './broadcasts/support.js';
import type { TestApp } from './support/app.js';
import { buttonValue, grantRole, LE_CHAN, outboxRows, rendered, sql$, staffApp, who } from './support/staff.js';

// What people type is shown as typed, never read as i18next syntax (#14):
// a "$t(…)" in a value used to stop i18next expanding the template's own.
const EVIL = 'Mang $t(weekdays.4) và {{place}} theo';
const visible = (s: string) => s.replace(/\u2060/g, '');

let app: TestApp;
const STAFF = '7401';
const COLLAB = '7402';

beforeAll(async () => {
  app = await staffApp();
  app.settings.broadcastDailyCap = 100;
  await grantRole(app, STAFF, 'staff', [LE_CHAN]);
  await grantRole(app, COLLAB, 'collaborator', [LE_CHAN]);
  await seedSubscribers(app, { n: 2, prefix: 'interp-', ward: LE_CHAN, programme: 'elderly' });
});
afterAll(() => app.close());

/** A staff member announces an elderly checkup whose note is `note`; returns the preview and the session id. */
async function announce(note: string) {
  const me = who(STAFF);
  await app.say('/canbo', me);
  await app.press('a:snew', me);
  let replies = await app.press('f:session-new:programme:elderly', me);
  if (buttonValue(replies, `f:session-new:ward:${LE_CHAN}`)) replies = await app.press(`f:session-new:ward:${LE_CHAN}`, me);
  await app.say('Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng', me);
  await app.say('10/12 7h30', me);
  await app.press('f:session-new:duration:120', me);
  await app.say('30', me);
  await app.say(note, me);
  const preview = await app.press('f:session-new:phone:no', me);
  const done = await app.press('f:session-new:confirm:yes', me);
  const id = Number(buttonValue(done, 'a:ses:')?.split(':')[2]);
  return { preview: preview.at(-1)!.text, id };
}

describe('values are text, never templates', () => {
  it('a session note with $t(…) and {{…}}: the preview and every invitation read as written, with the template’s own words', async () => {
    const { preview, id } = await announce(EVIL);
    expect(id).toBeGreaterThan(0);
    expect(preview).not.toMatch(/\$t\((programmes|weekdays)\./);
    expect(visible(preview)).toContain(EVIL);
    const invitations = (await outboxRows(app, 'inv:%')).filter((r) => JSON.stringify(r.payload).includes('weekdays.4'));
    expect(invitations.length).toBeGreaterThan(0);
    for (const row of invitations) {
      const text = rendered(app, row).text;
      expect(text).toContain('khám sức khỏe định kỳ người cao tuổi'); // $t(programmes.elderly.checkup), expanded
      expect(text).not.toMatch(/\$t\((programmes|weekdays)\./);
      expect(visible(text)).toContain(EVIL);
    }
  });

  it('a broadcast text with $t(…) and {{…}} reaches people exactly as the collaborator wrote it', async () => {
    const me = who(COLLAB);
    await app.say('/guitin', me);
    await app.press('f:broadcast:audience:elderly', me);
    await app.press('f:broadcast:audience:done', me);
    const text = 'Khám miễn phí $t(weekdays.4) cho {{who}}: $t(programmes.elderly.checkup)';
    await app.say(text, me);
    const preview = await app.press('f:broadcast:photo:none', me);
    const sent = await app.press('f:broadcast:preview:now', me);
    const bid = Number(/#(\d+)/.exec(sent[0]!.text)![1]);
    expect(preview.map((r) => visible(r.text)).join('\n')).toContain(text);
    const rows = await outboxRows(app, `bc:${bid}:%`);
    expect(rows.length).toBe(2);
    const [stored] = await sql$<{ body: string }>(app, sql`select text as body from broadcasts where id = ${bid}`);
    expect(stored!.body).toBe(text);
    const texts = new BroadcastTexts(app.database.db, app.i18n, app.settings);
    await texts.load([bid]);
    const render = texts.render(i18nRender(app.i18n));
    const claimed = await claimBatch(app.database.db, { channel: 'telegram', now: app.clock.now(), limit: 50, maxPriority: 9 });
    const mine = claimed.filter((m) => m.dedupeKey.startsWith(`bc:${bid}:`));
    expect(mine).toHaveLength(2);
    for (const m of mine) expect(visible(render(m, 'vi').text)).toContain(text);
  });

  // Every kind of typed value that meets a template with its own $t(…): a relative's name (who), a
  // platform display name (by), a place, in both languages.
  const session = { programme: 'elderly', weekday: 4, date: '10/12', time: '7:30', free: 3, note: '' };
  const cases: [string, Record<string, unknown>][] = [
    ['invites.session_dep', { ...session, place: 'Trạm', who: 'Lan $t(weekdays.1) {{date}}' }],
    ['invites.session', { ...session, place: 'Nhà văn hóa $t(weekdays.1)' }],
    ['booking.confirmed_dep', { ...session, place: 'Trạm', who: 'Hoa $t(weekdays.2)' }],
    ['session.line', { ...session, id: 1, booked: 0, capacity: 5, place: 'Phòng $t(weekdays.1)' }],
    ['journeys.msg.elderly.checkup_dep', { name: 'Lan $t(weekdays.1)', who: 'Lan $t(weekdays.1)', ward: 'Lê Chân', year: 2026 }],
  ];
  for (const locale of ['vi', 'en'] as const) {
    for (const [key, params] of cases) {
      it(`${locale}: ${key} shows a typed "$t(…)" as typed and still expands its own`, () => {
        const t = translate(createI18n(), locale);
        const out = t(key, params);
        expect(out).not.toMatch(/\$t\((programmes|weekdays)\.\{?/);
        for (const v of Object.values(params)) if (typeof v === 'string' && v.includes('$t(')) expect(visible(out)).toContain(v);
        expect(out).not.toMatch(/Monday|Tuesday|thứ Hai|thứ Ba/); // weekdays.1 typed in a value is not expanded
      });
    }
  }
});

describe('the translator remembers texts it has written', () => {
  it('each call reads with its own values, past the memory’s size, and the elder voice never leaks into the plain one', () => {
    const i18n = createI18n();
    const t = translate(i18n, 'vi');
    // More distinct values than the translator keeps: every one still reads its own.
    for (let i = 0; i < 2_500; i++) expect(t('booking.forDependent', { who: `Lan ${i}` })).toBe(`Cho Lan ${i}`);
    expect(t('booking.forDependent', { who: 'Lan 7' })).toBe('Cho Lan 7');
    const plain = translate(i18n, 'vi')('subscribe.forRelative', { name: 'Lan', ward: 'Lê Chân' });
    const elder = translate(i18n, VI_ELDER)('subscribe.forRelative', { name: 'Lan', ward: 'Lê Chân' });
    expect(plain).toContain('báo bạn');
    expect(elder).toContain('báo bác');
    expect(translate(i18n, 'vi')('subscribe.forRelative', { name: 'Lan', ward: 'Lê Chân' })).toBe(plain);
    // A value that is not plain (an object) is written afresh each time, never remembered wrongly.
    const tf = translator(i18n, 'vi') as unknown as (k: string, o: unknown) => string;
    expect(tf('booking.forDependent', { who: 'A', extra: { x: 1 } })).toBe('Cho A');
    expect(tf('booking.forDependent', { who: 'B', extra: { x: 1 } })).toBe('Cho B');
  });
});

describe('a relative is named with who they are to the reader', () => {
  it('"cho mẹ Lan", never "cho mẹ Mẹ Hoa"; a relative of another kind by name alone; in English "your mother Lan"', () => {
    const i18n = createI18n();
    const vi = translate(i18n, 'vi');
    expect(vi('booking.forDependent', { who: 'Lan', rel: 'mother' })).toBe('Cho mẹ Lan');
    expect(vi('booking.forDependent', { who: 'Tâm', rel: 'grandfather' })).toBe('Cho ông Tâm');
    expect(vi('booking.forDependent', { who: 'Mẹ Hoa', rel: 'mother' })).toBe('Cho Mẹ Hoa');
    expect(vi('booking.forDependent', { who: 'me Hoa', rel: 'mother' })).toBe('Cho me Hoa');
    expect(vi('booking.forDependent', { who: 'Hạnh', rel: 'other' })).toBe('Cho Hạnh');
    // A row written before the relationship was kept: the name alone.
    expect(vi('booking.forDependent', { who: 'Lan' })).toBe('Cho Lan');
    expect(translate(i18n, 'en')('booking.forDependent', { who: 'Lan', rel: 'mother' })).toBe('For your mother Lan');
    // The elder voice keeps the kinship word.
    expect(translate(i18n, VI_ELDER)('booking.forDependent', { who: 'Lan', rel: 'mother' })).toBe('Cho mẹ Lan');
  });
});
