import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { formatReport, runDoctor } from '../../src/domain/doctor.js';
import { runJourneysJob } from '../../src/domain/journeys-jobs.js';
import { runOncePerCluster } from '../../src/outbox/scheduler.js';
import type { TestApp } from '../support/app.js';
import { createSessionInChat, grantRole, pending, rendered, sql$, staffApp, buttonValue, who } from '../support/staff.js';

let app: TestApp;
const STAFF = '8201';
const local = (s: string) => new Date(`${s}+07:00`);
const texts = (replies: { text: string }[]) => replies.map((r) => r.text).join('\n');

beforeAll(async () => {
  app = await staffApp(); // Monday 23/11/2026 10:00 local
  await grantRole(app, STAFF, 'staff');
});
afterAll(() => app.close());

const journeyOf = async (userId: string, kind: string) => {
  const [j] = await sql$<{ id: number; status: string; end_reason: string | null }>(
    app,
    sql`select j.id, j.status, j.end_reason from journeys j join contacts c on c.id = j.contact_id
        where c.platform_user_id = ${userId} and j.kind = ${kind} order by j.id desc limit 1`,
  );
  return j;
};

async function wardAndConsent(userId: string, flow: string, replies: { text: string }[]) {
  if (texts(replies).includes('xã/phường nào')) {
    await app.say('le chan', who(userId));
    replies = await app.press(`f:${flow}:ward:11383`, who(userId));
  }
  if (texts(replies).includes('đồng ý nhận nhắc')) replies = await app.press(`f:${flow}:notice:yes`, who(userId));
  return replies;
}

describe('newborn', () => {
  it('a parent starts directly with a birth time: heel prick at 24 h (out of quiet hours), "was it done?", results', async () => {
    const me = who('n1');
    await app.press('a:jnb', me);
    const ask = await app.say('hôm nay 2h', me); // born 23/11 02:00, 8 hours old
    const done = await wardAndConsent('n1', 'journey-newborn', ask);
    expect(texts(done)).toContain('Bé đang 8 giờ tuổi');
    expect(texts(done)).toContain('24–72 giờ tuổi, tốt nhất lúc 48 giờ (khoảng 2:00 25/11/2026)');
    expect(texts(done)).toContain('trước khi về');
    expect(texts(done)).toContain('thính lực');
    const j = (await journeyOf('n1', 'newborn'))!;
    const rows = await pending(app, `j:${j.id}:%`);
    expect(rows.map((r) => [r.dedupe_key.split(':')[2], r.due_at.toISOString()])).toEqual([
      ['heel', local('2026-11-24T07:00').toISOString()], // 24 h = 02:00, moved out of quiet hours
      ['check', local('2026-11-27T09:00').toISOString()],
      ['result', local('2026-12-07T09:00').toISOString()],
    ]);
    const check = rendered(app, rows[1]!);
    expect(check.text).toContain('lấy máu gót chân');
    expect(check.choices!.map((c) => c.label)).toEqual(['Đã làm', 'Chưa làm', 'Dừng nhắc']);
    const r = await app.press(`a:jd:${j.id}:check`, me);
    expect(texts(r)).toContain('cần làm thêm xét nghiệm');
    expect((await pending(app, `j:${j.id}:%`)).map((x) => x.dedupe_key.split(':')[2])).toEqual(['result']);
    expect(texts(await app.press(`a:jx:${j.id}`, me))).toContain('sớm nhất có thể');
  });

  it('asks the time when only a date was typed; refuses a birth in the future', async () => {
    const me = who('n2');
    await app.press('a:jnb', me);
    expect(texts(await app.say('mai 8h', me))).toContain('chưa hiểu');
    const time = await app.say('22/11', me);
    expect(texts(time)).toContain('lúc mấy giờ');
    const done = await wardAndConsent('n2', 'journey-newborn', await app.say('23h', me));
    expect(texts(done)).toContain('Bé đang 11 giờ tuổi');
  });

  it('near the due date the pregnancy asks "Bé đã chào đời chưa?"; the answer ends the pregnancy and starts the newborn journey without a second consent', async () => {
    const me = who('n3');
    await app.press('a:jp', me);
    await app.press('f:journey-pregnancy:how:week', me);
    await app.say('39', me);
    await wardAndConsent('n3', 'journey-pregnancy', await app.press('f:journey-pregnancy:confirm:yes', me));
    const preg = (await journeyOf('n3', 'pregnancy'))!;
    const born = (await pending(app, `j:${preg.id}:born:%`))[0]!;
    const q = rendered(app, born);
    expect(q.text).toContain('Bé đã chào đời chưa?');
    expect(q.choices!.map((c) => c.label)).toEqual(['Bé đã chào đời', 'Chưa', 'Dừng nhắc']);
    expect(texts(await app.press(`a:jny:${preg.id}`, me))).toContain('hỏi lại');
    await app.press(q.choices![0]!.value, me);
    const done = await app.say('hôm qua 20h30', me);
    expect(texts(done)).toContain('Bé đang 13 giờ tuổi');
    expect((await journeyOf('n3', 'pregnancy'))!.end_reason).toBe('born');
    expect(await pending(app, `j:${preg.id}:%`)).toEqual([]);
    const nb = (await journeyOf('n3', 'newborn'))!;
    expect((await pending(app, `j:${nb.id}:%`)).length).toBe(3);
  });

  it('a loss after the birth stops the newborn messages too', async () => {
    const me = who('n4');
    await app.press('a:jnb', me);
    await wardAndConsent('n4', 'journey-newborn', await app.say('hôm nay 1h', me));
    const nb = (await journeyOf('n4', 'newborn'))!;
    const r = await app.say('bé không qua khỏi', me);
    expect(texts(r)).toContain('Mình rất tiếc');
    expect(await pending(app, `j:${nb.id}:%`)).toEqual([]);
  });
});

describe('before the wedding', () => {
  it('with a month: suggests 3–6 months before, reminds now (inside the window) and 3 months before, with the ward’s pre-marital sessions', async () => {
    const sid = await createSessionInChat(app, STAFF, { programme: 'premarital', when: '28/11/2026 8h' });
    const me = who('w1');
    await app.press('a:jpm', me);
    const plan = await app.say('tháng 5/2027', me);
    expect(texts(plan)).toContain('Cưới tháng 5/2027: nên khám sức khỏe tiền hôn nhân trong khoảng 11/2026 – 2/2027');
    const done = await wardAndConsent('w1', 'journey-premarital', plan);
    expect(texts(done)).toContain('Đã lưu');
    const j = (await journeyOf('w1', 'premarital'))!;
    const rows = await pending(app, `j:${j.id}:%`);
    expect(rows.map((r) => [r.dedupe_key.split(':')[4], r.due_at.toISOString()])).toEqual([
      ['open', local('2026-11-24T09:00').toISOString()],
      ['late', local('2027-02-01T09:00').toISOString()],
    ]);
    const msg = rendered(app, rows[0]!);
    expect(msg.text).toContain('Còn khoảng 6 tháng nữa là đến ngày cưới');
    expect(msg.text).toContain('sàng lọc thalassemia');
    expect(msg.text).toContain('28/11 8:00');
    expect(msg.choices!.map((c) => c.value)).toContain(`a:book:${sid}`);
    // Both partners: the other one joins on their own and is reminded too.
    await app.press('a:jpm', who('w2'));
    await wardAndConsent('w2', 'journey-premarital', await app.say('5/2027', who('w2')));
    expect((await pending(app, `j:${(await journeyOf('w2', 'premarital'))!.id}:%`)).length).toBe(2);
    // Marked done: nothing more.
    await app.press(`a:jd:${j.id}:pm`, me);
    expect(await pending(app, `j:${j.id}:%`)).toEqual([]);
  });

  it('without a date: what the checkup includes and the ward’s sessions, nothing kept', async () => {
    await createSessionInChat(app, STAFF, { programme: 'premarital', when: '30/11/2026 8h' });
    const me = who('w3');
    await app.press('a:jpm', me);
    const info = await app.press('f:journey-premarital:month:none', me);
    expect(texts(info)).toContain('QĐ 25/QĐ-BYT');
    await app.say('le chan', me);
    const list = await app.press('f:journey-premarital:ward:11383', me);
    expect(texts(list)).toContain('Buổi khám tiền hôn nhân sắp tới ở Phường Lê Chân');
    expect(await journeyOf('w3', 'premarital')).toBeUndefined();
  });
});

describe('the yearly checkup of an elderly person', () => {
  async function subscribeElderly(userId: string, ward = { typed: 'le chan', code: '11383' }) {
    await app.press('a:sub:elderly', who(userId));
    await app.press('f:subscribe:who:self', who(userId));
    await app.say(ward.typed, who(userId));
    await app.press(`f:subscribe:ward:${ward.code}`, who(userId));
    await app.press('f:subscribe:notice:yes', who(userId));
  }

  it('reminds once a year without a checkup in 12 months, again in October, never twice; a relative is named', async () => {
    // In a ward without elderly sessions (the staff member here makes them in Lê Chân): the reminder offers none to book.
    await subscribeElderly('e1', { typed: 'ngo quyen', code: '11329' });
    const run = (at: string) => app.database.db.transaction((tx) => runJourneysJob(tx, local(at)));
    const first = await run('2026-11-24T08:30');
    const j = (await journeyOf('e1', 'elderly'))!;
    expect(first.reminded).toContain(`j:${j.id}:checkup:v1:y2026`);
    const row = (await pending(app, `j:${j.id}:%`))[0]!;
    expect(rendered(app, row).text).toContain('người từ 60 tuổi nên khám ít nhất mỗi năm một lần');
    expect(rendered(app, row).choices!.map((c) => c.label)).toEqual(['Đã làm', 'Nhắc lại sau 3 ngày', 'Dừng nhắc']);
    expect((await run('2026-11-25T08:30')).reminded.filter((k) => k.startsWith(`j:${j.id}:`))).toEqual([]);
    expect((await run('2027-02-01T08:30')).reminded).toContain(`j:${j.id}:checkup:v1:y2027`);
    expect((await run('2027-10-05T08:30')).reminded).toContain(`j:${j.id}:checkup:v1:o2027`);
    expect((await run('2027-10-20T08:30')).reminded.filter((k) => k.startsWith(`j:${j.id}:`))).toEqual([]);
  });

  it('an attended checkup in the last 12 months (or "Đã làm") means no reminder; a dependent gets their own', async () => {
    await subscribeElderly('e2');
    const sid = await createSessionInChat(app, STAFF, { programme: 'elderly', when: '1/12/2026 8h' });
    const me = who('e2');
    await app.press(`a:book:${sid}`, me);
    await app.press('f:book:who:new', me);
    await app.say('Mẹ Hoa 1952', me);
    await app.press('f:book:depRel:mother', me);
    await app.press('f:book:depWard:11383', me);
    await app.press('f:book:depNotice:yes', me);
    await sql$(app, sql`update bookings set status = 'attended' where session_id = ${sid}`);
    const r = await app.database.db.transaction((tx) => runJourneysJob(tx, local('2026-12-02T08:30')));
    // A relative with dependents: the reminders are the dependents' (one journey, for the mother).
    const [mother, ...others] = await sql$<{ id: number; dependent_id: number | null }>(
      app,
      sql`select j.id, j.dependent_id from journeys j join contacts c on c.id = j.contact_id where c.platform_user_id = 'e2' order by j.id`,
    );
    expect(others).toEqual([]);
    expect(mother!.dependent_id).not.toBeNull();
    expect(r.reminded.some((k) => k.startsWith(`j:${mother!.id}:`))).toBe(false); // attended
    // A year on, the mother is due again, by name.
    const later = await app.database.db.transaction((tx) => runJourneysJob(tx, local('2027-12-05T08:30')));
    expect(later.reminded).toContain(`j:${mother!.id}:checkup:v1:y2027`);
    expect(rendered(app, (await pending(app, `j:${mother!.id}:%`))[0]!).text).toContain('cho mẹ Hoa'); // "Mẹ Hoa" typed: the name is Hoa, named with who she is (#19)
    await app.press(`a:jd:${mother!.id}:checkup`, me);
    expect(await pending(app, `j:${mother!.id}:%`)).toEqual([]);
  });

  it('is a cluster job: one fire runs once across replicas', async () => {
    const at = local('2026-11-26T08:30');
    const a = await runOncePerCluster(app.database.db, 'journeys.daily', '2026-11-26T01:30', at, (tx) => runJourneysJob(tx, at));
    const b = await runOncePerCluster(app.database.db, 'journeys.daily', '2026-11-26T01:30', at, (tx) => runJourneysJob(tx, at));
    expect(a.ran).toBe(true);
    expect(b).toEqual({ ran: false, reason: 'done' });
  });

  it('"Dừng nhắc" → stop this journey: the yearly job never brings it back', async () => {
    await subscribeElderly('e3');
    await app.database.db.transaction((tx) => runJourneysJob(tx, local('2026-11-24T08:30')));
    const j = (await journeyOf('e3', 'elderly'))!;
    await app.press(`a:jst:${j.id}`, who('e3'));
    const r = await app.database.db.transaction((tx) => runJourneysJob(tx, local('2027-11-24T08:30')));
    expect(r.reminded.some((k) => k.startsWith(`j:${j.id}:`))).toBe(false);
    expect(await sql$(app, sql`select j.id from journeys j join contacts c on c.id = j.contact_id where c.platform_user_id = 'e3' and j.status = 'active'`)).toEqual([]);
  });
});

describe('the doctor repairs journeys', () => {
  it('re-queues a missing planned reminder, cancels one left for a paused journey, and a second run finds nothing', async () => {
    const me = who('d1');
    await app.press('a:jp', me);
    await app.press('f:journey-pregnancy:how:week', me);
    await app.say('8', me);
    await wardAndConsent('d1', 'journey-pregnancy', await app.press('f:journey-pregnancy:confirm:yes', me));
    const j = (await journeyOf('d1', 'pregnancy'))!;
    await runDoctor(app.database.db, app.clock.now()); // whatever earlier tests left
    await app.database.db.execute(sql`delete from outbox where dedupe_key = ${`j:${j.id}:nt:v1:open`}`);
    const report = await runDoctor(app.database.db, app.clock.now());
    expect(report.journeys!.missing).toEqual([`j:${j.id}:nt:v1:open`]);
    expect(formatReport(report)).toContain(`queued missing journey reminder j:${j.id}:nt:v1:open`);
    expect((await pending(app, `j:${j.id}:nt:v1:open`)).length).toBe(1);

    await app.database.db.execute(sql`update journeys set status = 'paused' where id = ${j.id}`);
    const orphans = await runDoctor(app.database.db, app.clock.now());
    expect(orphans.journeys!.orphaned.length).toBeGreaterThan(5);
    expect(await pending(app, `j:${j.id}:%`)).toEqual([]);
    const again = await runDoctor(app.database.db, app.clock.now());
    expect([...again.journeys!.missing, ...again.journeys!.orphaned]).toEqual([]);
  });
});

describe('sessions created after a reminder was planned', () => {
  it('the daily job puts the ward’s new sessions into reminders due within a day', async () => {
    const me = who('r1');
    await app.press('a:jp', me);
    await app.press('f:journey-pregnancy:how:week', me);
    await app.say('9', me); // 9w0d: thalassemia reminder at 10w0d, 30/11 09:00
    await wardAndConsent('r1', 'journey-pregnancy', await app.press('f:journey-pregnancy:confirm:yes', me));
    const j = (await journeyOf('r1', 'pregnancy'))!;
    const before = (await pending(app, `j:${j.id}:thal:v1:open`))[0]!;
    expect(before.due_at.toISOString()).toBe(local('2026-11-30T09:00').toISOString());
    expect(rendered(app, before).text).not.toContain('Buổi khám sắp tới');
    const sid = await createSessionInChat(app, STAFF, { programme: 'prenatal', when: '3/12/2026 8h' });
    const r = await app.database.db.transaction((tx) => runJourneysJob(tx, local('2026-11-30T08:30')));
    expect(r.refreshed).toBeGreaterThanOrEqual(1);
    const after = (await pending(app, `j:${j.id}:thal:v1:open`))[0]!;
    expect(after.due_at.toISOString()).toBe(before.due_at.toISOString());
    expect(rendered(app, after).text).toContain('Buổi khám sắp tới ở Phường Lê Chân:\n• 3/12 8:00');
    expect(rendered(app, after).choices!.map((c) => c.value)).toEqual([`a:jd:${j.id}:thal`, `a:jz:${j.id}:thal`, `a:book:${sid}`, `a:js:${j.id}`]);
  });
});

describe('/hanhtrinh', () => {
  it('offers the journeys and lists the live ones with a way to manage them', async () => {
    const hub = await app.say('/hanhtrinh', who('h1'));
    expect(hub[0]!.choices!.map((c) => c.value)).toEqual(['a:jp', 'a:jnb', 'a:jpm', 'a:jc']);
    const words = await app.say('tôi đang mang thai', who('h1'));
    expect(buttonValue(words, 'a:jp')).toBe('a:jp');
  });
});
