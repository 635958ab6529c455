import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { contraceptionPayload, contraceptionSlots, restartAnchor } from '../../src/domain/contraception.js';
import { repairJourneys, runJourneysJob } from '../../src/domain/journeys-jobs.js';
import { loadFaqBundle } from '../../src/faq/bundle.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { singleProcessLock } from '../../src/outbox/leader.js';
import { i18nRender } from '../../src/outbox/render.js';
import type { ClaimedMessage, Sender } from '../../src/outbox/types.js';
import { testApp, type TestApp } from '../support/app.js';
import { outboxRows, pending, rendered, sql$, who, type OutboxRow } from '../support/staff.js';

/**
 * Contraception reminders (#16, programme familyplanning): the method and its
 * last date become reminders at the right time, discreet by default.
 */
const local = (s: string) => new Date(`${s}+07:00`);
const texts = (replies: readonly { text: string }[]) => replies.map((r) => r.text).join('\n');
const LE_CHAN = '11383';

/** What a discreet reminder must never say, in either language: the method, or what it is for. */
const GIVEAWAY = /tránh thai|tranh thai|thuốc|tiêm|vòng|que cấy|vỉ|bao cao su|contracept|pill|inject|IUD|implant|coil|condom|pack/i;

let app: TestApp;
beforeAll(async () => {
  // The real FAQ: the minors' answer (srh.minors) is content.
  app = await testApp({ faq: loadFaqBundle() }); // Monday 23/11/2026 10:00 local
  await sql$(app, sql`insert into contacts (channel, platform_user_id, chat_id, ward_code) values ('telegram', 'c-ward', 'c-ward', ${LE_CHAN})`);
});
afterAll(() => app.close());

/** Goes through the flow: 18 or older, the method (and its pack or years), the last date, the ward, consent. */
async function join(userId: string, method: 'injectable' | 'pill' | 'iud' | 'implant', last: string, o: { pack?: 21 | 28; years?: number } = {}) {
  const me = who(userId);
  expect(texts(await app.press('a:jc', me))).toContain('đủ 18 tuổi');
  await app.press('f:journey-contraception:age:adult', me);
  let r = await app.press(`f:journey-contraception:method:${method}`, me);
  if (method === 'pill') r = await app.press(`f:journey-contraception:pack:${o.pack ?? 21}`, me);
  if (method === 'iud' || method === 'implant') r = await app.press(`f:journey-contraception:years:${o.years ?? 0}`, me);
  r = await app.say(last, me);
  if (texts(r).includes('xã/phường nào')) {
    await app.say('le chan', me);
    r = await app.press(`f:journey-contraception:ward:${LE_CHAN}`, me);
  }
  expect(texts(r)).toContain('kín đáo');
  r = await app.press('f:journey-contraception:notice:yes', me);
  expect(texts(r)).toContain('Đã lưu');
  const [j] = await sql$<{ id: number; anchor_at: Date; plan: Record<string, unknown>; version: number }>(
    app,
    sql`select j.id, j.anchor_at, j.plan, j.version from journeys j join contacts c on c.id = j.contact_id where c.platform_user_id = ${userId} and j.kind = 'contraception' order by j.id desc limit 1`,
  );
  return { id: j!.id, replies: r, journey: j! };
}

const planned = async (id: number) => (await pending(app, `j:${id}:%`)).map((r) => [r.dedupe_key.replace(`j:${id}:`, ''), r.due_at.toISOString()]);

/** A dispatcher on a travelling clock that records which of journey `id`'s windows were sent. */
function journeyDispatcher(id: number, at: Date) {
  const clock = new ManualClock(at);
  const sent: string[] = [];
  const sender: Sender = {
    async send(m) {
      if (m.dedupeKey.startsWith(`j:${id}:`)) sent.push(m.dedupeKey.replace(`j:${id}:`, ''));
      return { kind: 'ok' };
    },
  };
  const d = new Dispatcher({
    db: app.database.db,
    channel: 'telegram',
    sender,
    clock,
    leader: singleProcessLock(),
    limits: { perSecond: 25, perChatPerSecond: 1, burst: 25 },
    sleep: async (ms) => clock.advance(ms),
  });
  return { clock, sent, d };
}

function assertDiscreet(row: OutboxRow) {
  for (const locale of ['vi', 'en']) {
    const shown = i18nRender(app.i18n)({ payload: row.payload } as ClaimedMessage, locale);
    expect(shown.text, `${row.dedupe_key} ${locale}`).not.toMatch(GIVEAWAY);
    for (const c of shown.choices ?? []) expect(c.label, `${row.dedupe_key} ${locale}`).not.toMatch(GIVEAWAY);
  }
}

describe('the 3-month injection', () => {
  it('day 77 and day 84 at 09:00; discreet; "Đã tiêm" restarts the cycle from that day (travelling clock)', async () => {
    const { id } = await join('inj1', 'injectable', '20/11/2026');
    expect(await planned(id)).toEqual([
      ['inj:v1:d77', local('2027-02-05T09:00').toISOString()],
      ['inj:v1:d84', local('2027-02-12T09:00').toISOString()],
    ]);
    const [d77] = await pending(app, `j:${id}:inj:v1:d77`);
    assertDiscreet(d77!);
    expect(rendered(app, d77!).text).toContain('Đến hẹn chăm sóc sức khỏe của bạn');
    expect(rendered(app, d77!).choices!.map((c) => c.label)).toEqual(['Xem chi tiết', 'Đã làm', 'Nhắc lại sau 3 ngày', 'Dừng nhắc']);

    // The dispatcher on a travelling clock.
    const { clock, sent, d } = journeyDispatcher(id, local('2027-02-05T08:59'));
    await d.drain();
    expect(sent).toEqual([]);
    clock.set(local('2027-02-05T09:00'));
    await d.drain();
    expect(sent).toEqual(['inj:v1:d77']);

    // "Xem chi tiết": the details in chat, the method named.
    app.clock.set(local('2027-02-05T09:10'));
    try {
      const details = await app.press(`a:jdt:${id}:inj`, who('inj1'));
      expect(texts(details)).toContain('tiêm nhắc thuốc tránh thai 3 tháng');
      expect(texts(details)).toContain('mũi trước ngày 20/11/2026');
      expect(texts(details)).toContain('trước ngày 19/2/2027'); // 13 weeks
      // "Đã tiêm" a day later: day 84 of the old cycle goes, the new cycle starts that day.
      app.clock.set(local('2027-02-06T15:00'));
      const done = await app.press(`a:jd:${id}:inj`, who('inj1'));
      expect(texts(done)).toContain('Đã ghi nhận');
    } finally {
      app.clock.set(local('2026-11-23T10:00'));
    }
    expect(await planned(id)).toEqual([
      ['inj:v2:d77', local('2027-04-24T09:00').toISOString()],
      ['inj:v2:d84', local('2027-05-01T09:00').toISOString()],
    ]);
    clock.set(local('2027-02-12T09:00'));
    await d.drain();
    expect(sent).toEqual(['inj:v1:d77']); // day 84 of the old cycle never went
  });

  it('not marked done: day 84 comes too', async () => {
    const { id } = await join('inj2', 'injectable', '1/11/2026');
    const { clock, sent, d } = journeyDispatcher(id, local('2027-01-17T09:00'));
    await d.drain();
    clock.set(local('2027-01-24T09:00'));
    await d.drain();
    expect(sent).toEqual(['inj:v1:d77', 'inj:v1:d84']);
  });

  it('told late, inside the 13 weeks: tomorrow morning; after them: nothing planned, and advice', async () => {
    const late = await join('inj3', 'injectable', '26/8/2026'); // day 89 today: the window closes in two days
    expect(await planned(late.id)).toEqual([['inj:v1:late', local('2026-11-24T09:00').toISOString()]]);
    const closed = await join('inj4', 'injectable', '1/8/2026');
    expect(await planned(closed.id)).toEqual([]);
    expect(texts(closed.replies)).toContain('quá 13 tuần');
  });
});

describe('the pill', () => {
  it('a 21-pill pack: reminded on its day 21, a new pack every 28 days (the next one queued ahead)', async () => {
    const { id } = await join('pill1', 'pill', '10/11/2026', { pack: 21 });
    expect(await planned(id)).toEqual([
      ['pack:v1:c0', local('2026-11-30T09:00').toISOString()],
      ['pack:v1:c1', local('2026-12-28T09:00').toISOString()],
    ]);
    const rows = await pending(app, `j:${id}:%`);
    for (const r of rows) assertDiscreet(r);
  });

  it('a continuous 28-pill pack: on its day 28', async () => {
    const { id } = await join('pill2', 'pill', '10/11/2026', { pack: 28 });
    expect((await planned(id))[0]).toEqual(['pack:v1:c0', local('2026-12-07T09:00').toISOString()]);
  });

  it('the daily job keeps the next two queued as packs pass; the doctor finds nothing missing', async () => {
    const { id } = await join('pill3', 'pill', '10/11/2026', { pack: 21 });
    // The morning before a discreet reminder: nothing about it to refresh (it names no session).
    const eve = await app.database.db.transaction((tx) => runJourneysJob(tx, local('2026-11-29T08:30')));
    expect(eve.refreshed).toBe(0);
    const day = local('2026-12-01T08:30'); // the first reminder (30/11) is past
    await sql$(app, sql`update outbox set status = 'sent' where dedupe_key = ${`j:${id}:pack:v1:c0`}`);
    await app.database.db.transaction((tx) => runJourneysJob(tx, day));
    expect(await planned(id)).toEqual([
      ['pack:v1:c1', local('2026-12-28T09:00').toISOString()],
      ['pack:v1:c2', local('2027-01-25T09:00').toISOString()],
    ]);
    const repair = await app.database.db.transaction((tx) => repairJourneys(tx, day));
    expect(repair.missing.filter((k) => k.startsWith(`j:${id}:`))).toEqual([]);
  });

  it('"Đã làm" on the last pill: the new pack starts on its day, not today', () => {
    const anchor = local('2026-11-10T00:00');
    expect(restartAnchor(anchor, { method: 'pill', packDays: 21 }, 'pack', local('2026-11-30T09:05')).toISOString()).toBe(
      local('2026-12-08T00:00').toISOString(),
    );
    // Pressed a week into the new cycle: it started that day.
    expect(restartAnchor(anchor, { method: 'pill', packDays: 21 }, 'pack', local('2026-12-15T09:05')).toISOString()).toBe(
      local('2026-12-15T00:00').toISOString(),
    );
  });
});

describe('devices', () => {
  it('an IUD: a check at one month, then yearly, its replacement when its years are up', () => {
    const anchor = local('2026-11-01T00:00');
    const at = (now: string) => contraceptionSlots(anchor, { method: 'iud', years: 5 }, local(now), {}).map((s) => [s.win, s.dueAt.toISOString()]);
    expect(at('2026-11-23T10:00')).toEqual([
      ['iudm1', local('2026-12-01T09:00').toISOString()],
      ['iudy1', local('2027-11-01T09:00').toISOString()],
    ]);
    expect(at('2030-12-01T10:00')).toEqual([['iudrep', local('2031-11-01T09:00').toISOString()]]);
    // Years not known: yearly checks, no replacement date.
    const unknown = contraceptionSlots(anchor, { method: 'iud', years: 0 }, local('2029-12-01T10:00'), {});
    expect(unknown.map((s) => s.win)).toEqual(['iudy4', 'iudy5']);
  });

  it('an implant: its replacement by its years; discreet; "Đã làm" on the replacement restarts from that day', async () => {
    const { id } = await join('imp1', 'implant', '15/3/2024', { years: 3 });
    expect(await planned(id)).toEqual([['imprep:v1:open', local('2027-03-15T09:00').toISOString()]]);
    assertDiscreet((await pending(app, `j:${id}:%`))[0]!);
    app.clock.set(local('2027-03-20T10:00'));
    try {
      await app.press(`a:jd:${id}:imprep`, who('imp1'));
    } finally {
      app.clock.set(local('2026-11-23T10:00'));
    }
    expect(await planned(id)).toEqual([['imprep:v2:open', local('2030-03-20T09:00').toISOString()]]);
  });

  it('an IUD through the flow, typed as month and year', async () => {
    const { id } = await join('iud1', 'iud', '3/2024', { years: 10 });
    expect((await planned(id))[0]).toEqual(['iudy3:v1:open', local('2027-03-01T09:00').toISOString()]);
  });
});

describe('discretion', () => {
  it('every reminder of every method, and a snoozed one, says nothing of what it is for, in either language', () => {
    const now = local('2026-11-23T10:00');
    const plans = [
      { method: 'injectable' },
      { method: 'pill', packDays: 21 },
      { method: 'pill', packDays: 28 },
      { method: 'iud', years: 5 },
      { method: 'iud', years: 0 },
      { method: 'implant', years: 3 },
      { method: 'implant', years: 0 },
    ];
    for (const plan of plans) {
      const anchor = local('2026-11-20T00:00');
      const slots = [
        ...contraceptionSlots(anchor, plan, now, {}),
        ...contraceptionSlots(anchor, plan, local('2031-11-01T00:00'), {}),
        { win: plan.method === 'injectable' ? 'inj' : 'pack', slot: 'z20270101', dueAt: local('2027-01-04T09:00') },
      ];
      for (const s of slots) {
        const payload = contraceptionPayload({ id: 7, anchorAt: anchor, plan }, s);
        assertDiscreet({ dedupe_key: `${plan.method}:${s.win}`, payload } as unknown as OutboxRow);
      }
    }
  });

  it('the person can turn it off: pending reminders are queued again naming it, with where to go; and back on', async () => {
    const { id } = await join('disc1', 'injectable', '20/11/2026');
    const manage = await app.press(`a:jm:${id}`, who('disc1'));
    expect(manage[0]!.choices!.map((c) => c.label)).toContain('Ghi rõ nội dung tin nhắc');
    expect(texts(await app.press(`a:jdi:${id}-0`, who('disc1')))).toContain('ghi rõ nội dung');
    const [open] = await pending(app, `j:${id}:%`);
    expect(open!.dedupe_key).toBe(`j:${id}:inj:v2:d77`);
    const shown = rendered(app, open!);
    expect(shown.text).toContain('tiêm nhắc thuốc tránh thai 3 tháng');
    expect(shown.text).toContain('Trạm Y tế Phường Lê Chân');
    expect(shown.choices!.map((c) => c.label)).toEqual(['Đã tiêm', 'Nhắc lại sau 3 ngày', 'Dừng nhắc']);
    await app.press(`a:jdi:${id}-1`, who('disc1'));
    assertDiscreet((await pending(app, `j:${id}:%`))[0]!);
  });

  it('"Nhắc lại sau 3 ngày" and "Dừng nhắc" as in the pregnancy journey', async () => {
    const { id } = await join('snz1', 'pill', '10/11/2026');
    const r = await app.press(`a:jz:${id}:pack`, who('snz1'));
    expect(texts(r)).toContain('26/11/2026');
    const snoozed = (await pending(app, `j:${id}:pack:v1:z%`))[0]!;
    expect(snoozed.due_at.toISOString()).toBe(local('2026-11-26T09:00').toISOString());
    assertDiscreet(snoozed);
    await app.press(`a:jst:${id}`, who('snz1'));
    expect(await planned(id)).toEqual([]);
  });

  it('/hanhtrinh names it only as a health reminder', async () => {
    await join('hub1', 'injectable', '20/11/2026');
    const hub = await app.say('/hanhtrinh', who('hub1'));
    expect(texts(hub)).toContain('Nhắc hẹn chăm sóc sức khỏe');
    expect(texts(hub)).not.toMatch(/tiêm|tránh thai 3/);
  });
});

describe('under 18', () => {
  it("gets the minors' answer (confidential, where to go); nothing is kept and no guardian is asked about", async () => {
    const me = who('teen1');
    await app.press('a:jc', me);
    const r = await app.press('f:journey-contraception:age:minor', me);
    expect(texts(r)).toContain('không hỏi gì về bố mẹ hay người giám hộ');
    expect(texts(r)).toContain('nhân viên y tế phải giữ bí mật');
    expect(texts(r)).toContain('dịch vụ thân thiện với vị thành niên');
    // The flow is over: nothing more is asked.
    const next = await app.say('Nguyễn Văn A, 0912345678', me);
    expect(texts(next)).not.toContain('đủ 18');
    const [c] = await sql$<{ n: number }>(
      app,
      sql`select count(*)::int as n from journeys j join contacts c on c.id = j.contact_id where c.platform_user_id = 'teen1'`,
    );
    expect(c!.n).toBe(0);
    const [consents] = await sql$<{ n: number }>(
      app,
      sql`select count(*)::int as n from consents x join contacts c on c.id = x.contact_id where c.platform_user_id = 'teen1'`,
    );
    expect(consents!.n).toBe(0);
  });
});

describe('the family planning programme', () => {
  it('has its menu page with its FAQ and the reminders; sessions and subscriptions take it', async () => {
    const page = await app.press('a:prog:familyplanning', who('fp1'));
    expect(page[0]!.text).toContain('Kế hoạch hóa gia đình');
    const values = page[0]!.choices!.map((c) => c.value);
    expect(values).toEqual(['a:jc', 'a:sub:familyplanning', 'a:faq:srh.contraception', 'a:faq:srh.emergency-contraception', 'a:faq:srh.minors', 'a:menu']);
    const rows = await outboxRows(app, 'nothing:%');
    expect(rows).toEqual([]);
  });
});
