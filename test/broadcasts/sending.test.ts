import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { BroadcastProgress, DEFAULT_PROGRESS_INTERVAL_MS } from '../../src/broadcasts/progress.js';
import { countAudience, enqueueBroadcast, getBroadcast } from '../../src/broadcasts/store.js';
import { claimBatch } from '../../src/outbox/store.js';
import type { TestApp } from '../support/app.js';
import { LE_CHAN, grantRole, outboxRows, rendered, sql$, staffApp, who } from '../support/staff.js';
import { recordingDispatcher, recordingSink, seedSubscribers, type Delivery } from './support.js';

let app: TestApp;
const COLLAB = '7101';
const N = 60;

beforeAll(async () => {
  app = await staffApp();
  app.settings.broadcastDailyCap = 100; // this file sends more than the default 3 a day
  await grantRole(app, COLLAB, 'collaborator', [LE_CHAN]);
  await seedSubscribers(app, { n: N, prefix: 'nb-', ward: LE_CHAN, programme: 'newborn' });
});
afterAll(() => app.close());
beforeEach(() => app.clock.set(new Date('2026-11-24T02:00:00Z'))); // 09:00 local

/** The collaborator sends a broadcast to the ward's newborn subscribers now; returns its id. */
async function broadcastNow(text: string): Promise<number> {
  const me = who(COLLAB);
  await app.say('/guitin', me);
  await app.press('f:broadcast:audience:newborn', me);
  await app.press('f:broadcast:audience:done', me);
  await app.say(text, me);
  await app.press('f:broadcast:photo:none', me);
  const sent = await app.press('f:broadcast:preview:now', me);
  return Number(/#(\d+)/.exec(sent[0]!.text)![1]);
}

const mine = (got: Delivery[], id: number) => got.filter((g) => g.key.startsWith(`bc:${id}:`));
const unique = (got: Delivery[]) => new Set(got.map((g) => g.chatId)).size;

describe('progress in the collaborator’s chat', () => {
  it('one status message, edited no more often than the interval even with two replicas ticking, then a report', async () => {
    const id = await broadcastNow('Sàng lọc sơ sinh giúp phát hiện sớm bệnh bẩm sinh. Mời bạn hỏi trạm y tế phường.');
    const { got, dispatcher } = recordingDispatcher(app, { perSecond: 5, batchSize: 5 });
    const { calls: all, sink, progress } = recordingSink(app);
    const replica = new BroadcastProgress({ db: app.database.db, i18n: app.i18n, sinks: { telegram: sink } });
    for (let i = 0; i < 400; i++) {
      await dispatcher.runBatch();
      await progress.tick(app.clock.now());
      await replica.tick(app.clock.now());
      app.clock.advance(100);
      if ((await getBroadcast(app.database.db, id))!.reportedAt) break;
    }
    // This broadcast's status message: the ticks also report broadcasts earlier tests left unreported.
    const calls = all.filter((c) => c.text.includes(`#${id}:`));
    expect(mine(got, id)).toHaveLength(N);
    expect(calls[0]!.kind).toBe('post');
    expect(calls[0]!.chatId).toBe(COLLAB);
    expect(calls[0]!.text).toMatch(new RegExp(`^Đang gửi tin #${id}: \\d+/${N} \\(đã gửi \\d+, lỗi 0, chặn bot 0, bỏ qua 0\\)$`));
    expect(calls[0]!.choices.map((c) => c.value)).toEqual([`a:bco:p-${id}`, `a:bco:x-${id}`]);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(DEFAULT_PROGRESS_INTERVAL_MS);
    // Telegram's one message per second per chat, with room to spare.
    const spanS = (calls.at(-1)!.at - calls[0]!.at) / 1000;
    expect(calls.length - 1).toBeLessThanOrEqual(spanS / 3 + 1);
    expect(calls.at(-1)!.text).toBe(`Đã gửi xong tin #${id}: ${N}/${N} người đã nhận; lỗi 0, chặn bot 0, bỏ qua 0.`);
    const b = (await getBroadcast(app.database.db, id))!;
    expect(b.status).toBe('done');
    const report = await outboxRows(app, `bcr:${id}`);
    expect(report).toHaveLength(1);
    expect(rendered(app, report[0]!).text).toBe(calls.at(-1)!.text);
    expect(await progress.tick(app.clock.now())).toBe(0); // reported once
  });
});

describe('pause, resume, cancel mid-send', () => {
  it('pause stops what is pending, resume sends the rest, nobody twice', async () => {
    const id = await broadcastNow('Tin thứ hai về sàng lọc sơ sinh cho phường Lê Chân.');
    const { got, dispatcher } = recordingDispatcher(app, { batchSize: 10 });
    await dispatcher.runBatch();
    expect(mine(got, id)).toHaveLength(10);
    const paused = await app.press(`a:bco:p-${id}`, who(COLLAB));
    expect(paused[0]!.text).toBe(`Đã tạm dừng tin #${id} (10/${N} đã gửi; ${N - 10} tin chờ).`);
    await dispatcher.drain();
    expect(mine(got, id)).toHaveLength(10);
    const { calls, progress } = recordingSink(app);
    await progress.tick(app.clock.now());
    expect(calls.at(-1)!.text).toContain(`Đã tạm dừng tin #${id}: 10/${N}`);
    const resumed = await app.press(`a:bco:r-${id}`, who(COLLAB));
    expect(resumed[0]!.text).toContain(`${N - 10} tin còn lại`);
    await dispatcher.drain();
    expect(mine(got, id)).toHaveLength(N);
    expect(unique(mine(got, id))).toBe(N);
    const audit = await sql$<{ action: string }>(app, sql`select action from audit_log where target = ${`broadcast:${id}`} order by id`);
    expect(audit.map((a) => a.action)).toEqual(['broadcast.create', 'broadcast.pause', 'broadcast.resume']);
  });

  it('cancel (after a confirmation) drops the rest and reports what went out', async () => {
    const id = await broadcastNow('Tin thứ ba về sàng lọc sơ sinh cho phường Lê Chân.');
    const { got, dispatcher } = recordingDispatcher(app, { batchSize: 10 });
    await dispatcher.runBatch();
    const ask = await app.press(`a:bco:x-${id}`, who(COLLAB));
    expect(ask.at(-1)!.text).toContain(`Hủy hẳn tin #${id}?`);
    const done = await app.press('f:broadcast-op:confirm:yes', who(COLLAB));
    expect(done[0]!.text).toBe(`Đã hủy tin #${id}: 10/${N} người đã nhận, ${N - 10} tin không gửi nữa.`);
    await dispatcher.drain();
    expect(mine(got, id)).toHaveLength(10);
    const { progress } = recordingSink(app);
    await progress.tick(app.clock.now());
    const [report] = await outboxRows(app, `bcr:${id}`);
    expect(rendered(app, report!).text).toBe(`Tin #${id} đã hủy: 10/${N} người đã nhận trước khi hủy; lỗi 0, chặn bot 0, bỏ qua 0, không gửi ${N - 10}.`);
    expect((await getBroadcast(app.database.db, id))!.status).toBe('cancelled');
    const audit = await sql$<{ action: string }>(app, sql`select action from audit_log where target = ${`broadcast:${id}`} order by id`);
    expect(audit.map((a) => a.action)).toEqual(['broadcast.create', 'broadcast.cancel']);
  });

  it('someone else’s broadcast cannot be paused by another collaborator', async () => {
    const id = await broadcastNow('Tin thứ tư về sàng lọc sơ sinh cho phường Lê Chân.');
    await grantRole(app, '7102', 'collaborator', [LE_CHAN]);
    const r = await app.press(`a:bco:p-${id}`, who('7102'));
    expect(r[0]!.text).toContain('chỉ dành cho cán bộ');
    await app.press(`a:bco:x-${id}`, who(COLLAB));
    await app.press('f:broadcast-op:confirm:yes', who(COLLAB));
  });
});

describe('a restart mid-send', () => {
  it('resumes where it stopped: rows claimed by a dead dispatcher go out after the lease, nobody twice; enqueueing again adds nobody', async () => {
    const id = await broadcastNow('Tin thứ năm về sàng lọc sơ sinh cho phường Lê Chân.');
    const first = recordingDispatcher(app, { batchSize: 10 });
    await first.dispatcher.runBatch(); // 10 sent
    // The process dies holding a claimed batch it never sent.
    const held = await claimBatch(app.database.db, { channel: 'telegram', now: app.clock.now(), limit: 10, maxPriority: 9 });
    expect(held).toHaveLength(10);
    // A retried enqueue of the same broadcast changes nothing.
    const b = (await getBroadcast(app.database.db, id))!;
    expect((await enqueueBroadcast(app.database.db, b)).enqueued).toBe(0);
    app.clock.advance(61_000); // past the lease
    const second = recordingDispatcher(app, { batchSize: 10 });
    await second.dispatcher.drain();
    const all = [...mine(first.got, id), ...mine(second.got, id)];
    expect(all).toHaveLength(N);
    expect(unique(all)).toBe(N);
    const { progress } = recordingSink(app);
    await progress.tick(app.clock.now());
    expect((await getBroadcast(app.database.db, id))!.status).toBe('done');
  });
});

describe('who an audience counts', () => {
  it('a person subscribed for herself and for her mother is one person: counted once, as she is sent once', async () => {
    const ward = '11737'; // a ward of its own in this file
    await seedSubscribers(app, { n: 3, prefix: 'aud-once-', ward, programme: 'elderly' });
    const [first] = await sql$<{ id: number }>(app, sql`select id from contacts where platform_user_id = 'aud-once-1'`);
    const [mother] = await sql$<{ id: number }>(
      app,
      sql`insert into dependents (contact_id, name, birth_year, relationship, ward_code, created_at) values (${first!.id}, 'Lan', 1950, 'mother', ${ward}, now()) returning id`,
    );
    await sql$(app, sql`insert into subscriptions (contact_id, programme, ward_code, dependent_id) values (${first!.id}, 'elderly', ${ward}, ${mother!.id})`);
    const elderly = { programmes: ['elderly'], wardCodes: [ward], relatives: false };
    expect((await countAudience(app.database.db, elderly)).total).toBe(3);
    expect((await countAudience(app.database.db, { programmes: [], wardCodes: [ward], relatives: true })).total).toBe(1);
    expect((await countAudience(app.database.db, { ...elderly, relatives: true })).total).toBe(3);
  });
});
