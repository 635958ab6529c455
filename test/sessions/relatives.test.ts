import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { runJourneysJob } from '../../src/domain/journeys-jobs.js';
import type { OutboundMessage } from '../../src/core/messages.js';
import type { TestApp } from '../support/app.js';
import { ADMIN, LE_CHAN, NGO_QUYEN, bookInChat, createSessionInChat, grantRole, outboxRows, pending, rendered, sql$, staffApp, buttonValue, who } from '../support/staff.js';

let app: TestApp;
const STAFF = '8101';
const local = (s: string) => new Date(`${s}+07:00`);
const labels = (replies: OutboundMessage[]) => replies.at(-1)!.choices?.map((c) => c.label) ?? [];
const contactId = async (userId: string) => (await sql$<{ id: number }>(app, sql`select id from contacts where platform_user_id = ${userId}`))[0]!.id;
/** A person's invitations to a session, in the order of the relative's id (self first). */
const invitesOf = async (sessionId: number, userId: string) => {
  const id = Number(await contactId(userId));
  return (await outboxRows(app, `inv:${sessionId}:${id}%`))
    .filter((r) => Number(r.contact_id) === id) // not those of a person whose id merely starts with the same digits
    .sort((a, b) => Number(a.dedupe_key.split(':d')[1] ?? 0) - Number(b.dedupe_key.split(':d')[1] ?? 0));
};

beforeAll(async () => {
  app = await staffApp(); // Monday 23/11/2026 10:00 local
  await grantRole(app, STAFF, 'staff', [LE_CHAN, NGO_QUYEN]);
});
afterAll(() => app.close());

/** Through /nguoithan: adds a relative living in `ward`; returns their id. */
async function addRelative(userId: string, typed: string, relationship: string, ward: string): Promise<number> {
  const me = who(userId);
  const list = await app.say('/nguoithan', me);
  expect(buttonValue(list, 'f:relatives:list:new')).toBeDefined();
  await app.press('f:relatives:list:new', me);
  await app.say(typed, me);
  const wardQ = await app.press(`f:relatives:depRel:${relationship}`, me);
  // The question names the relative, and offers buttons only when it has some.
  // "Bố Nam 1950": the kinship word says the relationship; the name is Nam (#19).
  const name = typed.replace(/[,\s]*\d{4}$/, '').replace(/^(?:Bố|Mẹ) /, '');
  if (buttonValue(wardQ, `f:relatives:depWard:${ward}`)) expect(wardQ.at(-1)!.text).toBe(`${name} sống ở đâu? Chọn bên dưới, hoặc gõ tên xã, phường khác.`);
  else {
    expect(wardQ.at(-1)!.text).toMatch(new RegExp(`^${name} sống ở xã, phường hay đặc khu nào\\? Gõ`));
    expect(wardQ.at(-1)!.choices ?? []).toEqual([]);
    const picked = await app.say(app.wards.get(ward)!.short, me);
    expect(picked.at(-1)!.text).toContain(`${name} sống ở đâu?`);
  }
  const notice = await app.press(`f:relatives:depWard:${ward}`, me);
  if (buttonValue(notice, 'f:relatives:depNotice:yes')) {
    expect(notice.at(-1)!.text).toContain('thay cho người thân');
    const page = await app.press('f:relatives:depNotice:yes', me);
    expect(page[0]!.text).toContain('Đã lưu');
  }
  const [d] = await sql$<{ id: number }>(app, sql`select d.id from dependents d join contacts c on c.id = d.contact_id where c.platform_user_id = ${userId} order by d.id desc limit 1`);
  return d!.id;
}

/** From the relative's page (open in the flow), turns their checkup reminders on. */
async function remindFor(userId: string, id: number) {
  await app.press(`a:rel:${id}`, who(userId));
  return app.press('f:relatives:relative:sub', who(userId));
}

const subsOf = (userId: string) =>
  sql$<{ programme: string; dependent_id: number | null; ward_code: string | null; ended: boolean }>(
    app,
    sql`select s.programme, s.dependent_id, s.ward_code, s.ended_at is not null as ended from subscriptions s
        join contacts c on c.id = s.contact_id where c.platform_user_id = ${userId} order by s.programme, s.dependent_id nulls first`,
  );

describe('the relatives command and menu', () => {
  it('/nguoithan and the words for it open the list, also mid-flow; the main menu has it', async () => {
    const empty = await app.say('/nguoithan', who('rc1'));
    expect(empty.at(-1)!.text).toContain('chưa thêm người thân nào');
    expect(labels(empty)).toEqual(['Thêm người thân', 'Xong']);
    for (const words of ['người thân', 'nguoi than', 'Bố mẹ', 'quản lý người thân', 'đăng ký cho bố mẹ']) {
      await app.press('a:sub:prenatal', who('rc1')); // inside another flow
      const replies = await app.say(words, who('rc1'));
      expect(replies.at(-1)!.text, words).toContain('chưa thêm người thân nào');
    }
    const menu = await app.say('/menu', who('rc1'));
    expect(buttonValue(menu, 'a:rel')).toBe('a:rel');
    expect(menu[0]!.choices!.find((c) => c.value === 'a:rel')!.label).toBe('Người thân (bố mẹ, ông bà)');
    expect((await app.say('/help', who('rc1')))[0]!.text).toContain('/nguoithan');
  });
});

describe('a relative subscribed for a parent', () => {
  it('adds her with consent on her behalf, then subscribes her in HER ward: the relative gets her invitations, naming her', async () => {
    const me = who('r1');
    const mother = await addRelative('r1', 'Nguyễn Thị Hoa, 1952', 'mother', NGO_QUYEN);
    const consents = await sql$<{ purpose: string; on_behalf_of: string | null; granted: boolean }>(
      app,
      sql`select purpose, on_behalf_of, granted from consents k join contacts c on c.id = k.contact_id where c.platform_user_id = 'r1' order by k.id`,
    );
    expect(consents).toEqual([
      { purpose: 'reminders', on_behalf_of: null, granted: true },
      { purpose: 'dependent', on_behalf_of: `dependent:${mother}`, granted: true },
    ]);
    const page = await app.press(`a:rel:${mother}`, me);
    expect(page.at(-1)!.text).toContain('Nguyễn Thị Hoa (Mẹ, sinh năm 1952) · Phường Ngô Quyền');
    expect(page.at(-1)!.text).toContain('Chưa nhận nhắc lịch');
    expect(labels(page)).toEqual(['Nhận nhắc lịch khám', 'Đăng ký buổi khám', 'Xóa khỏi danh sách', 'Quay lại']);
    const on = await app.press('f:relatives:relative:sub', me);
    expect(on[0]!.text).toContain('nhắc lịch khám sức khỏe định kỳ cho mẹ Nguyễn Thị Hoa');
    expect(labels(on)[0]).toBe('Dừng nhắc lịch');
    expect(await subsOf('r1')).toEqual([{ programme: 'elderly', dependent_id: mother, ward_code: NGO_QUYEN, ended: false }]);
    // /lich lists the person's own subscriptions only; the relative has none of their own.
    expect((await app.say('/lich', me))[0]!.text).not.toContain('Bạn đang nhận tin');

    // A session in her ward (not the relative's) invites the relative, naming her, and its button books for her.
    const sid = await createSessionInChat(app, STAFF, { ward: NGO_QUYEN });
    const [invite, ...more] = await invitesOf(sid, 'r1'); // the other tests' people have relatives in her ward too
    expect(more).toEqual([]);
    expect(invite!.dedupe_key).toMatch(new RegExp(`^inv:${sid}:\\d+:d${mother}$`));
    const text = rendered(app, invite!);
    expect(text.text).toMatch(/^Buổi khám sức khỏe định kỳ người cao tuổi cho mẹ Nguyễn Thị Hoa: thứ Năm 10\/12 lúc 7:30/);
    expect(text.choices).toEqual([{ label: 'Đăng ký cho mẹ Nguyễn Thị Hoa', value: `a:book:${sid}-${mother}` }]);
    expect(rendered(app, invite!, 'en').text).toContain('for your mother Nguyễn Thị Hoa');
    const nobodyInMyWard = await createSessionInChat(app, STAFF, { ward: LE_CHAN });
    expect(await invitesOf(nobodyInMyWard, 'r1')).toEqual([]);

    // The button books for her at once: no "for whom?" question.
    const booked = await app.press(`a:book:${sid}-${mother}`, { ...me, displayName: 'Trần Văn Nam' });
    expect(booked.at(-1)!.text).toContain('Đã đăng ký cho mẹ Nguyễn Thị Hoa');
    expect(booked.some((m) => m.text.includes('cho ai'))).toBe(false);

    // The yearly checkup journey is hers.
    await app.database.db.transaction((tx) => runJourneysJob(tx, local('2026-11-24T08:30')));
    const journeys = await sql$<{ dependent_id: number | null; ward_code: string }>(
      app,
      sql`select j.dependent_id, j.ward_code from journeys j join contacts c on c.id = j.contact_id where c.platform_user_id = 'r1' and j.status = 'active'`,
    );
    expect(journeys).toEqual([{ dependent_id: mother, ward_code: NGO_QUYEN }]);
  });

  it('two parents in one ward: one invitation each, each naming one and booking for that one', async () => {
    const father = await addRelative('r2', 'Bố Nam 1950', 'father', LE_CHAN);
    const mother = await addRelative('r2', 'Mẹ Lan 1954', 'mother', LE_CHAN);
    await remindFor('r2', father);
    await remindFor('r2', mother);
    const sid = await createSessionInChat(app, STAFF, { ward: LE_CHAN, when: '11/12 8h' });
    const invites = await invitesOf(sid, 'r2');
    expect(invites.map((r) => r.dedupe_key.replace(/^inv:\d+:\d+:/, ''))).toEqual([`d${father}`, `d${mother}`]);
    expect(invites.map((r) => rendered(app, r).choices)).toEqual([
      [{ label: 'Đăng ký cho bố Nam', value: `a:book:${sid}-${father}` }],
      [{ label: 'Đăng ký cho mẹ Lan', value: `a:book:${sid}-${mother}` }],
    ]);
    expect(rendered(app, invites[0]!).text).toContain('cho bố Nam');
    expect(rendered(app, invites[0]!).text).not.toContain('Lan');
  });

  it('the subscribe flow asks for whom; a parent added there is subscribed in her ward, and offered by name next time', async () => {
    const me = who('r3');
    const whom = await app.press('a:sub:elderly', me);
    expect(whom.at(-1)!.text).toBe('Bạn muốn nhận nhắc lịch khám cho ai?');
    expect(labels(whom)).toEqual(['Cho tôi', 'Cho bố/mẹ/ông/bà']);
    await app.press('f:subscribe:who:new', me);
    await app.say('Mẹ Hoa 1952', me);
    await app.press('f:subscribe:depRel:mother', me);
    await app.say('ngo quyen', me);
    const notice = await app.press(`f:subscribe:depWard:${NGO_QUYEN}`, me);
    expect(notice.at(-1)!.text).toContain('thay cho người thân');
    const done = await app.press('f:subscribe:depNotice:yes', me);
    expect(done[0]!.text).toContain('nhắc lịch khám sức khỏe định kỳ cho mẹ Hoa');
    expect(done[0]!.text).toContain('Phường Ngô Quyền');
    const [dep] = await sql$<{ id: number }>(app, sql`select d.id from dependents d join contacts c on c.id = d.contact_id where c.platform_user_id = 'r3'`);
    expect(await subsOf('r3')).toEqual([{ programme: 'elderly', dependent_id: dep!.id, ward_code: NGO_QUYEN, ended: false }]);
    const again = await app.press('a:sub:elderly', me);
    expect(labels(again)).toEqual(['Cho tôi', 'Cho mẹ Hoa', 'Cho bố/mẹ/ông/bà']);
    // For themselves: the ward, the notice, as before.
    const ward = await app.press('f:subscribe:who:self', me);
    expect(ward.at(-1)!.text).toContain('xã, phường hay đặc khu');
  });

  it('turning a parent’s reminders off ends her subscription and her yearly journey; a new session no longer invites for her', async () => {
    const me = who('r4');
    const mother = await addRelative('r4', 'Đỗ Thị Mai, 1948', 'mother', NGO_QUYEN);
    await remindFor('r4', mother);
    await app.database.db.transaction((tx) => runJourneysJob(tx, local('2026-11-24T08:30')));
    const off = await app.press('f:relatives:relative:unsub', me);
    expect(off[0]!.text).toContain('Đã dừng nhắc lịch cho mẹ Đỗ Thị Mai');
    expect(await subsOf('r4')).toEqual([{ programme: 'elderly', dependent_id: mother, ward_code: NGO_QUYEN, ended: true }]);
    const [j] = await sql$<{ status: string; end_reason: string }>(app, sql`select status, end_reason from journeys where dependent_id = ${mother}`);
    expect(j).toEqual({ status: 'ended', end_reason: 'unsubscribed' });
    await app.database.db.transaction((tx) => runJourneysJob(tx, local('2026-11-25T08:30')));
    expect(await sql$(app, sql`select id from journeys where dependent_id = ${mother} and status = 'active'`)).toEqual([]);
    const sid = await createSessionInChat(app, STAFF, { ward: NGO_QUYEN, when: '12/12 8h' });
    expect((await outboxRows(app, `inv:${sid}:%`)).filter((r) => r.dedupe_key.endsWith(`:d${mother}`))).toEqual([]);
    // On again: the yearly journey comes back.
    await app.press('f:relatives:relative:sub', me);
    await app.database.db.transaction((tx) => runJourneysJob(tx, local('2026-11-26T08:30')));
    expect(await sql$(app, sql`select id from journeys where dependent_id = ${mother} and status = 'active'`)).toHaveLength(1);
  });

  it('books a parent from her page (handed to the booking flow) and cancels it there', async () => {
    const me = who('r5');
    const father = await addRelative('r5', 'Phạm Văn Tâm, 1949', 'father', LE_CHAN);
    const sid = await createSessionInChat(app, STAFF, { ward: LE_CHAN, when: '14/12 8h' });
    await app.press(`a:rel:${father}`, me);
    const pick = await app.press('f:relatives:relative:book', me);
    expect(pick.at(-1)!.text).toContain('đăng ký cho bố Phạm Văn Tâm');
    const button = pick.at(-1)!.choices!.find((c) => c.value === `a:book:${sid}-${father}`);
    expect(button?.label).toContain('14/12');
    const booked = await app.press(button!.value, me);
    expect(booked.at(-1)!.text).toContain('Đã đăng ký cho bố Phạm Văn Tâm');
    const [b] = await sql$<{ id: number }>(app, sql`select id from bookings where dependent_id = ${father} and status = 'booked'`);
    expect((await pending(app, `appt:${b!.id}:%`)).length).toBeGreaterThan(0);

    const page = await app.press(`a:rel:${father}`, me);
    expect(page.at(-1)!.text).toContain('Lịch hẹn sắp tới');
    const cancel = buttonValue(page, 'f:relatives:relative:c')!;
    expect(cancel).toBe(`f:relatives:relative:c${b!.id}`);
    const confirm = await app.press(cancel, me);
    expect(confirm.at(-1)!.text).toContain('hủy lịch này');
    const done = await app.press('f:relatives:cancel:yes', me);
    expect(done[0]!.text).toContain('Đã hủy lịch');
    expect(await pending(app, `appt:${b!.id}:%`)).toEqual([]);
    const [s] = await sql$<{ booked: number }>(app, sql`select booked from sessions where id = ${sid}`);
    expect(s!.booked).toBe(0);
  });
});

describe('removing a relative', () => {
  it('cancels her upcoming bookings (places back, reminders dropped), withdraws the messages about her, records the withdrawal, erases her', async () => {
    const me = who('rm1');
    const mother = await addRelative('rm1', 'Vũ Thị Hằng, 1945', 'mother', LE_CHAN);
    const other = await addRelative('rm1', 'Vũ Văn Hải, 1944', 'father', LE_CHAN);
    await remindFor('rm1', mother);
    await remindFor('rm1', other);
    await app.database.db.transaction((tx) => runJourneysJob(tx, local('2026-11-24T08:30')));
    const sid = await createSessionInChat(app, STAFF, { ward: LE_CHAN, when: '15/12 8h' });
    await app.press(`a:book:${sid}-${mother}`, me);
    const [b] = await sql$<{ id: number }>(app, sql`select id from bookings where dependent_id = ${mother}`);
    const [j] = await sql$<{ id: number }>(app, sql`select id from journeys where dependent_id = ${mother}`);
    // Queued, not sent yet: her booking's reminders, her yearly reminder, her invitation.
    expect((await pending(app, `appt:${b!.id}:%`)).length).toBeGreaterThan(0);
    expect((await pending(app, `j:${j!.id}:%`)).length).toBe(1);
    expect((await invitesOf(sid, 'rm1')).map((r) => r.status)).toEqual(['pending', 'pending']);

    await app.press(`a:rel:${mother}`, me);
    const confirm = await app.press('f:relatives:relative:remove', me);
    expect(confirm.at(-1)!.text).toContain('Xóa Vũ Thị Hằng khỏi danh sách?');
    const done = await app.press('f:relatives:remove:yes', me);
    expect(done[0]!.text).toContain('Đã xóa Vũ Thị Hằng');
    expect(done[0]!.text).toContain('1 lịch hẹn');
    expect(labels(done)).toEqual(['Vũ Văn Hải', 'Thêm người thân', 'Xong']);

    expect(await pending(app, `appt:${b!.id}:%`)).toEqual([]);
    expect(await pending(app, `j:${j!.id}:%`)).toEqual([]);
    const invites = await invitesOf(sid, 'rm1');
    expect(invites.map((r) => [r.dedupe_key.replace(/^inv:\d+:\d+:/, ''), r.status])).toEqual([
      [`d${mother}`, 'cancelled'],
      [`d${other}`, 'pending'],
    ]);
    const [s] = await sql$<{ booked: number }>(app, sql`select booked from sessions where id = ${sid}`);
    expect(s!.booked).toBe(0);
    expect(await sql$(app, sql`select id from dependents where id = ${mother}`)).toEqual([]);
    expect((await subsOf('rm1')).map((x) => x.dependent_id)).toEqual([other]);
    const [withdrawn] = await sql$<{ granted: boolean; purpose: string }>(app, sql`select granted, purpose from consents where on_behalf_of = ${`dependent:${mother}`} order by id desc limit 1`);
    expect(withdrawn).toEqual({ granted: false, purpose: 'dependent' });
    const [audit] = await sql$<{ details: { cancelledBookings: number } }>(app, sql`select details from audit_log where action = 'dependent.remove' and target = ${`dependent:${mother}`}`);
    expect(audit!.details).toEqual({ cancelledBookings: 1 });
    // The relative's own consent stands: booking for themselves asks no notice again.
    const self = await app.press(`a:book:${sid}-0`, me);
    expect(self.at(-1)!.text).toContain('Đã đăng ký buổi khám sức khỏe định kỳ người cao tuổi'); // not for the relative (#19 wording)
  });

  it('another person cannot see or remove someone else’s relative', async () => {
    const theirs = await addRelative('rm2', 'Lê Thị Thu, 1950', 'mother', LE_CHAN);
    const page = await app.press(`a:rel:${theirs}`, who('rm3'));
    expect(page[0]!.text).toContain('không thấy người thân này');
    expect(await sql$(app, sql`select id from dependents where id = ${theirs}`)).toHaveLength(1);
    // An invitation's button naming someone else's relative books nobody: it asks for whom.
    const sid = await createSessionInChat(app, STAFF, { ward: LE_CHAN, when: '18/12 8h' });
    const asked = await app.press(`a:book:${sid}-${theirs}`, who('rm3'));
    expect(asked.at(-1)!.text).toBe('Bạn đăng ký cho ai?');
    expect(labels(asked)).toEqual(['Cho tôi', 'Cho bố/mẹ/ông/bà']);
  });
});

describe('stop, resume and delete cover relatives', () => {
  it('"dừng" ends the relatives’ subscriptions too, /batlai brings them back, /xoa erases them', async () => {
    const me = who('sd1');
    const mother = await addRelative('sd1', 'Ngô Thị Nga, 1951', 'mother', NGO_QUYEN);
    await remindFor('sd1', mother);
    await app.say('dừng', me);
    await app.press('f:stop:confirm:yes', me);
    expect(await subsOf('sd1')).toEqual([{ programme: 'elderly', dependent_id: mother, ward_code: NGO_QUYEN, ended: true }]);
    const sid = await createSessionInChat(app, STAFF, { ward: NGO_QUYEN, when: '16/12 8h' });
    expect((await outboxRows(app, `inv:${sid}:%`)).filter((r) => r.dedupe_key.endsWith(`:d${mother}`))).toEqual([]);
    await app.say('/batlai', me);
    const back = await app.press('f:resume:notice:yes', me);
    expect(back[0]!.text).toContain('Đã bật lại');
    expect(await subsOf('sd1')).toEqual([{ programme: 'elderly', dependent_id: mother, ward_code: NGO_QUYEN, ended: false }]);

    await app.say('/xoa', me);
    await app.press('f:delete:confirm:yes', me);
    expect(await sql$(app, sql`select id from dependents where id = ${mother}`)).toEqual([]);
    expect(await sql$(app, sql`select id from subscriptions where dependent_id = ${mother}`)).toEqual([]);
  });

  it('after a stop, turning a parent’s reminders on asks the notice again, then messages come again', async () => {
    const me = who('sd2');
    const father = await addRelative('sd2', 'Hoàng Văn Lợi, 1947', 'father', LE_CHAN);
    await app.say('dừng', me);
    await app.press('f:stop:confirm:yes', me);
    await app.press(`a:rel:${father}`, me);
    const notice = await app.press('f:relatives:relative:sub', me);
    expect(notice.at(-1)!.text).toContain('thay cho người thân');
    const on = await app.press('f:relatives:relNotice:yes', me);
    expect(on[0]!.text).toContain('nhắc lịch khám sức khỏe định kỳ cho bố Hoàng Văn Lợi');
    const [c] = await sql$<{ opted_out: boolean }>(app, sql`select opted_out_at is not null as opted_out from contacts where platform_user_id = 'sd2'`);
    expect(c!.opted_out).toBe(false);
    expect((await subsOf('sd2')).filter((s) => !s.ended)).toEqual([{ programme: 'elderly', dependent_id: father, ward_code: LE_CHAN, ended: false }]);
  });
});

describe('names in staff lists', () => {
  it('the bookings list names a relative (birth year, who booked) and a person by their platform name; no name is kept for an anonymous question or a subscription', async () => {
    const sid = await createSessionInChat(app, STAFF, { ward: LE_CHAN, when: '17/12 8h' });
    const lan = { ...who('n1'), displayName: 'Nguyễn  Thị Lan ' };
    const hoa = await addRelative('n1', 'Trần Thị Hoa, 1950', 'mother', LE_CHAN);
    await app.press(`a:book:${sid}-${hoa}`, lan);
    await app.press(`a:book:${sid}-0`, lan);
    await bookInChat(app, 'n2', sid); // a person without a platform name (e.g. the terminal)
    await app.say('kham tien hon nhan co bat buoc ko', { ...who('n3'), displayName: 'Ẩn Danh' });
    await app.press('a:sub:prenatal', { ...who('n4'), displayName: 'Người Đăng Ký' });

    await app.press(`a:ses:${sid}`, who(STAFF));
    const list = await app.press('f:session:page:bookings', who(STAFF));
    expect(list[0]!.text).toMatch(/^3 người đăng ký:\n⬜ #\d+ Trần Thị Hoa \(1950\), người nhà: Nguyễn Thị Lan\n⬜ #\d+ Nguyễn Thị Lan\n⬜ #\d+ \(không tên\)$/);
    const names = await sql$<{ platform_user_id: string; display_name: string | null }>(
      app,
      sql`select platform_user_id, display_name from contacts where platform_user_id in ('n1', 'n3', 'n4') order by platform_user_id`,
    );
    expect(names).toEqual([
      { platform_user_id: 'n1', display_name: 'Nguyễn Thị Lan' },
      { platform_user_id: 'n4', display_name: null },
    ]);
  });

  it('the roles list names staff by their platform name, kept when they redeem and when it changes', async () => {
    const admin = who(ADMIN);
    await app.press('a:roles:invite', admin);
    await app.press('f:roles:role:collaborator', admin);
    await app.say('le chan', admin);
    await app.press(`f:roles:wards:${LE_CHAN}`, admin);
    const made = await app.press('f:roles:wards:done', admin);
    const code = /Mã mời: ([A-Z0-9]{8})/.exec(made[0]!.text)![1]!;
    await app.say(`/moi ${code}`, { ...who('n5'), displayName: 'Phạm Thu Hà' });
    let list = await app.press('a:roles:list', { ...admin, displayName: 'Quản Trị' });
    expect(labels(list)).toContain('Phạm Thu Hà · Cộng tác viên dân số · Phường Lê Chân');
    expect(labels(list).some((l) => l.startsWith('Quản Trị · Quản trị viên'))).toBe(true);
    await app.say('/canbo', { ...who('n5'), displayName: 'Phạm Thị Thu Hà' });
    list = await app.press('a:roles:list', admin);
    expect(labels(list)).toContain('Phạm Thị Thu Hà · Cộng tác viên dân số · Phường Lê Chân');
  });
});
