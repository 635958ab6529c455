import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { suggestCampaigns, loadCampaigns } from '../../src/broadcasts/campaigns.js';
import { broadcastText } from '../../src/broadcasts/render.js';
import { translator } from '../../src/i18n/index.js';
import type { TestApp } from '../support/app.js';
import { ADMIN, LE_CHAN, NGO_QUYEN, grantRole, outboxRows, rendered, sql$, staffApp, buttonValue, who } from '../support/staff.js';
import { recordingDispatcher, recordingSink, seedSubscribers } from './support.js';

let app: TestApp;
const COLLAB = '7001';
const STAFF2 = '7002'; // a collaborator of Ngô Quyền
const local = (s: string) => new Date(`${s}+07:00`);
const last = <T>(a: T[]) => a.at(-1)!;

beforeAll(async () => {
  app = await staffApp(); // Monday 23/11/2026 10:00 local
  await grantRole(app, COLLAB, 'collaborator', [LE_CHAN]);
  await grantRole(app, STAFF2, 'collaborator', [NGO_QUYEN]);
  await seedSubscribers(app, { n: 3, prefix: 'lc-eld-', ward: LE_CHAN, programme: 'elderly' });
  await seedSubscribers(app, { n: 2, prefix: 'lc-pre-', ward: LE_CHAN, programme: 'prenatal' });
  await seedSubscribers(app, { n: 4, prefix: 'nq-eld-', ward: NGO_QUYEN, programme: 'elderly' });
});
afterAll(() => app.close());
beforeEach(async () => {
  app.settings.broadcastDailyCap = 100;
  app.clock.set(local('2026-11-23T10:00'));
  await sql$(app, sql`update broadcasts set status = 'done', reported_at = now() where reported_at is null`);
});

const audits = (action: string) => sql$<{ action: string; target: string; details: Record<string, unknown> }>(app, sql`select action, target, details from audit_log where action = ${action} order by id`);

/** Through the wizard up to the preview: elderly subscribers of the collaborator's ward. */
async function toPreview(userId: string, text: string, programmes = ['elderly']) {
  const me = who(userId);
  let replies = await app.say('/guitin', me);
  expect(last(replies).text, last(replies).text).toContain('Gửi tới ai?');
  for (const p of programmes) await app.press(`f:broadcast:audience:${p}`, me);
  replies = await app.press('f:broadcast:audience:done', me);
  expect(last(replies).text).toContain('người sẽ nhận');
  replies = await app.say(text, me);
  expect(last(replies).text).toContain('Gửi kèm một ảnh?');
  return app.press('f:broadcast:photo:none', me);
}

describe('who may broadcast to whom', () => {
  it('an ordinary user is refused, kindly, and the attempt is audited', async () => {
    const before = (await audits('staff.denied')).length;
    const replies = await app.say('/guitin', who('5555'));
    expect(replies[0]!.text).toContain('chỉ dành cho cán bộ');
    const after = await audits('staff.denied');
    expect(after.length).toBe(before + 1);
    expect(last(after).details).toMatchObject({ action: 'broadcast.send', reason: 'no-role' });
  });

  it('a collaborator reaches only the subscribers of their own ward', async () => {
    const replies = await app.say('/guitin', who(COLLAB));
    expect(last(replies).text).toContain('Phường Lê Chân');
    expect(buttonValue(replies, 'f:broadcast:scope:city')).toBeUndefined();
    await app.press('f:broadcast:audience:elderly', who(COLLAB));
    const counted = await app.press('f:broadcast:audience:done', who(COLLAB));
    expect(last(counted).text).toMatch(/^3 người sẽ nhận/);
    await app.say('/menu', who(COLLAB));
  });

  it('a collaborator of another ward reaches theirs, not Lê Chân', async () => {
    await app.say('/guitin', who(STAFF2));
    await app.press('f:broadcast:audience:elderly', who(STAFF2));
    const counted = await app.press('f:broadcast:audience:done', who(STAFF2));
    expect(last(counted).text).toMatch(/^4 người sẽ nhận/);
    await app.say('/menu', who(STAFF2));
  });

  it('an administrator may choose the whole city', async () => {
    const me = who(ADMIN);
    const replies = await app.say('/guitin', me);
    expect(buttonValue(replies, 'f:broadcast:scope:city')).toBeDefined();
    await app.press('f:broadcast:scope:city', me);
    await app.press('f:broadcast:audience:elderly', me);
    const counted = await app.press('f:broadcast:audience:done', me);
    expect(last(counted).text).toMatch(/^7 người sẽ nhận/);
    await app.say('/menu', me);
  });

  it('the staff menu has the broadcast button', async () => {
    const menu = await app.say('/canbo', who(COLLAB));
    expect(buttonValue(menu, 'a:bc')).toBe('a:bc');
  });
});

describe('preview, send, skip', () => {
  it('the preview is exactly what each recipient reads; blocked people are skipped and counted', async () => {
    // One of the three blocks the bot before the broadcast.
    await app.engine.handle({ channel: 'telegram', userId: 'lc-eld-3', chatId: 'lc-eld-3', kind: 'blocked' });
    const text = 'Ngày 1/10 là Ngày Quốc tế Người cao tuổi. Mời bác đi khám sức khỏe định kỳ tại trạm y tế phường.';
    const preview = await toPreview(COLLAB, text);
    const shown = last(preview);
    expect(shown.text).toContain('Xem trước (2 người sẽ nhận; 1 người');
    const expected = broadcastText(translator(app.i18n, 'vi'), text);
    expect(shown.text.endsWith(`\n\n${expected}`)).toBe(true);
    expect(expected.endsWith('Gửi "dừng" để ngừng nhận tin.')).toBe(true);

    const sent = await app.press('f:broadcast:preview:now', who(COLLAB));
    expect(sent[0]!.text).toContain('tới 2 người (1 người được bỏ qua)');
    const id = Number(/#(\d+)/.exec(sent[0]!.text)![1]);
    const rows = await outboxRows(app, `bc:${id}:%`);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.payload).toEqual({ key: 'broadcast.message', params: { bc: id } }); // the text is stored once
    expect(rows[0]!.priority).toBe(7);

    const { got, dispatcher } = recordingDispatcher(app);
    await dispatcher.drain();
    const mine = got.filter((g) => g.key.startsWith(`bc:${id}:`));
    expect(mine.map((g) => g.text)).toEqual([expected, expected]);
    expect(mine.map((g) => g.chatId).sort()).toEqual(['lc-eld-1', 'lc-eld-2']);
    const [created] = await audits('broadcast.create').then((a) => a.filter((x) => x.target === `broadcast:${id}`));
    expect(created!.details).toMatchObject({ recipients: 2, skipped: 1, audience: { programmes: ['elderly'], wardCodes: [LE_CHAN], relatives: false } });
    await app.engine.handle({ channel: 'telegram', userId: 'lc-eld-3', chatId: 'lc-eld-3', kind: 'unblocked' });
  });

  it('someone who stops after the enqueue is skipped at send time and counted', async () => {
    await toPreview(COLLAB, 'Tin thử nghiệm thứ hai cho người cao tuổi phường Lê Chân.');
    const sent = await app.press('f:broadcast:preview:now', who(COLLAB));
    const id = Number(/#(\d+)/.exec(sent[0]!.text)![1]);
    await sql$(app, sql`update contacts set opted_out_at = now() where platform_user_id = 'lc-eld-2'`);
    const { got, dispatcher } = recordingDispatcher(app);
    await dispatcher.drain();
    expect(got.filter((g) => g.key.startsWith(`bc:${id}:`)).map((g) => g.chatId).sort()).toEqual(['lc-eld-1', 'lc-eld-3']);
    await recordingSink(app).progress.tick(app.clock.now());
    const [report] = await outboxRows(app, `bcr:${id}`);
    expect(report!.payload).toMatchObject({ key: 'broadcast.report', params: { n: 3, sent: 2, skipped: 1, failed: 0, blocked: 0 } });
    expect(rendered(app, report!).text).toBe(`Đã gửi xong tin #${id}: 2/3 người đã nhận; lỗi 0, chặn bot 0, bỏ qua 1.`);
    const r = await app.press(`a:bco:p-${id}`, who(COLLAB)); // too late to pause: it is all out
    expect(r[0]!.text).toContain('không tìm thấy');
    await sql$(app, sql`update contacts set opted_out_at = null where platform_user_id = 'lc-eld-2'`);
  });

  it('a message longer than the audience’s channels allow is refused (Zalo: 2,000 with the footer)', async () => {
    await seedSubscribers(app, { n: 1, prefix: 'lc-zalo-', ward: LE_CHAN, programme: 'newborn', channel: 'zalo' });
    const me = who(COLLAB);
    await app.say('/guitin', me);
    await app.press('f:broadcast:audience:newborn', me);
    const prompt = await app.press('f:broadcast:audience:done', me);
    const max = Number(/tối đa (\d+) ký tự/.exec(last(prompt).text)![1]);
    const footer = Math.max(...['vi', 'en'].map((l) => broadcastText(translator(app.i18n, l), '').length));
    expect(max).toBe(2000 - footer);
    const tooLong = await app.say('a'.repeat(max + 1), me);
    expect(tooLong[0]!.text).toContain('quá giới hạn');
    await app.say('b'.repeat(max), me);
    const ok = await app.press('f:broadcast:photo:none', me);
    expect(last(ok).text).toContain('Xem trước');
    await app.press('f:broadcast:preview:cancel', me);
    // Telegram-only audiences may write longer than the engine's usual 1,000 characters.
    await app.say('/guitin', me);
    await app.press('f:broadcast:audience:prenatal', me);
    const tg = await app.press('f:broadcast:audience:done', me);
    expect(Number(/tối đa (\d+) ký tự/.exec(last(tg).text)![1])).toBe(4096 - footer);
    await app.say('c'.repeat(3000), me);
    expect(last(await app.press('f:broadcast:photo:none', me)).text).toContain('Xem trước');
    await app.press('f:broadcast:preview:cancel', me);
  });
});

describe('scheduling', () => {
  it('a time in the quiet hours is refused with the next allowed time; a good one is scheduled', async () => {
    await toPreview(COLLAB, 'Tin hẹn giờ cho người cao tuổi phường Lê Chân.');
    await app.press('f:broadcast:preview:later', who(COLLAB));
    const refused = await app.say('25/11 22h', who(COLLAB));
    expect(refused[0]!.text).toContain('Sớm nhất là 7:00 ngày 26/11');
    const ok = await app.say('26/11 8h', who(COLLAB));
    expect(ok[0]!.text).toContain('lúc 8:00 ngày 26/11');
    const id = Number(/#(\d+)/.exec(ok[0]!.text)![1]);
    const rows = await outboxRows(app, `bc:${id}:%`);
    expect(rows.every((r) => r.due_at.getTime() === local('2026-11-26T08:00').getTime())).toBe(true);
    await app.press(`a:bco:x-${id}`, who(COLLAB));
    await app.press('f:broadcast-op:confirm:yes', who(COLLAB));
  });

  it('in the quiet hours "send now" becomes "send at 7:00"', async () => {
    app.clock.set(local('2026-11-23T22:30'));
    const preview = await toPreview(COLLAB, 'Tin gửi buổi tối cho người cao tuổi.');
    expect(buttonValue(preview, 'f:broadcast:preview:now')).toBeUndefined();
    const next = last(preview).choices!.find((c) => c.value === 'f:broadcast:preview:next')!;
    expect(next.label).toBe('Gửi lúc 7:00 ngày 24/11');
    const sent = await app.press(next.value, who(COLLAB));
    expect(sent[0]!.text).toContain('lúc 7:00 ngày 24/11');
  });
});

describe('the daily cap', () => {
  it('a collaborator may start only so many broadcasts a day; the refusal is audited; an administrator is not capped', async () => {
    app.settings.broadcastDailyCap = 1;
    app.clock.set(local('2026-11-30T10:00'));
    await toPreview(STAFF2, 'Tin đầu tiên trong ngày cho phường Ngô Quyền.');
    await app.press('f:broadcast:preview:now', who(STAFF2));
    const refused = await app.say('/guitin', who(STAFF2));
    expect(refused[0]!.text).toContain('đủ số tin cho phép trong hôm nay');
    expect(last(await audits('staff.denied')).details).toMatchObject({ reason: 'cap', cap: 1 });
    const admin = await app.say('/guitin', who(ADMIN));
    expect(buttonValue(admin, 'f:broadcast:scope:city')).toBeDefined();
    await app.say('/menu', who(ADMIN));
    app.clock.set(local('2026-12-01T10:00')); // a new day
    expect(last(await app.say('/guitin', who(STAFF2))).text).toContain('Gửi tới ai?');
    await app.say('/menu', who(STAFF2));
  });
});

describe('the campaign calendar', () => {
  it('has a Vietnamese template with programmes and a source for each awareness day of the plan', () => {
    const list = loadCampaigns();
    const days = list.map((c) => `${c.day ?? '-'}/${c.month}`).sort();
    expect(days).toEqual(['-/10', '-/12', '1/10', '11/10', '11/7', '25/11', '26/12', '26/9', '6/6', '7/4', '8/5'].sort());
    for (const c of list) {
      expect(c.source).toContain('212/KH-UBND');
      expect(Buffer.byteLength(`a:bc:${c.id}`)).toBeLessThanOrEqual(64);
    }
  });

  it('suggests a template to collaborators a few days before, once, and the button opens the wizard on it', async () => {
    const now = local('2027-05-03T08:00'); // 5 days before 8/5
    app.clock.set(now);
    const n = await app.database.db.transaction((tx) => suggestCampaigns(tx, now));
    expect(n).toBe(2); // two collaborators
    expect(await app.database.db.transaction((tx) => suggestCampaigns(tx, now))).toBe(0);
    const rows = await outboxRows(app, 'camp:%');
    expect(rows[0]!.dedupe_key).toMatch(/^camp:thalassemia:2027:\d+$/);
    expect(rows[0]!.payload.choices).toEqual([{ key: 'campaign.use', value: 'a:bc:thalassemia' }]);
    const opened = await app.press('a:bc:thalassemia', who(COLLAB));
    expect(last(opened).choices!.filter((c) => c.label.startsWith('✓ ')).map((c) => c.value)).toEqual(['f:broadcast:audience:premarital', 'f:broadcast:audience:prenatal', 'f:broadcast:audience:campaigns']);
    const text = await app.press('f:broadcast:audience:done', who(COLLAB));
    expect(last(text).text).toContain('Ngày 8/5 là Ngày Thalassemia Thế giới');
    await app.press('f:broadcast:text:keep', who(COLLAB));
    const preview = await app.press('f:broadcast:photo:none', who(COLLAB));
    expect(last(preview).text).toContain('Xem trước');
    await app.press('f:broadcast:preview:cancel', who(COLLAB));
  });
});
