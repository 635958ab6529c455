import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createApp } from '../src/app.js';
import { rows } from '../src/db/client.js';
import { NOTICE_VERSION } from '../src/domain/consent.js';
import { createLogger } from '../src/log.js';
import { testApp, testConfig, testFaq, type TestApp } from './support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp();
});
afterAll(() => app.close());

const q = <T>(query: ReturnType<typeof sql>) => rows<T>(app.database.db, query);
const person = (id: string) => ({ userId: id, chatId: id });

async function subscribe(id: string, programme = 'elderly') {
  const who = person(id);
  await app.press(`a:sub:${programme}`, who);
  if (programme === 'elderly') await app.press('f:subscribe:who:self', who);
  const picks = await app.say('le chan', who);
  const code = picks.at(-1)!.choices![0]!.value;
  await app.press(code, who);
  return app.press('f:subscribe:notice:yes', who);
}

const subsOf = (id: string) =>
  q<{ programme: string; ended: boolean }>(
    sql`select s.programme, s.ended_at is not null as ended from subscriptions s join contacts c on c.id = s.contact_id where c.platform_user_id = ${id} order by s.programme`,
  );

describe('subscribe', () => {
  it('records the opt-in with the notice version only after explicit consent', async () => {
    const done = await subscribe('s1');
    expect(done[0]!.text).toContain('Đã xong');
    expect(done[0]!.text).toContain('Phường Lê Chân');
    expect(await subsOf('s1')).toEqual([
      { programme: 'campaigns', ended: false },
      { programme: 'elderly', ended: false },
    ]);
    const consents = await q<{ notice_version: string; granted: boolean }>(
      sql`select notice_version, granted from consents join contacts c on c.id = contact_id where c.platform_user_id = 's1'`,
    );
    expect(consents).toEqual([{ notice_version: NOTICE_VERSION, granted: true }]);
  });

  it('silence is not consent: typing something else asks again and keeps nothing', async () => {
    const who = person('s2');
    await app.press('a:sub:prenatal', who);
    await app.say('thuy nguyen', who);
    const notice = await app.say('1', who); // the first (only) match
    expect(notice.at(-1)!.text).toContain('Trước khi lưu');
    const again = await app.say('ừm để xem', who);
    expect(again[0]!.text).toContain('chọn rõ');
    expect(again.at(-1)!.text).toContain('Trước khi lưu');
    expect(await subsOf('s2')).toEqual([]);
  });

  it('"Không đồng ý" records the refusal and subscribes nothing', async () => {
    const who = person('s3');
    await app.press('a:sub:newborn', who);
    await app.say('cat hai', who);
    await app.say('1', who);
    const declined = await app.say('không đồng ý', who);
    expect(declined[0]!.text).toContain('Không sao');
    expect(await subsOf('s3')).toEqual([]);
  });

  it('lets several programmes be chosen, with ticks, then Xong', async () => {
    const who = person('s4');
    const chooser = await app.press('a:sub', who);
    expect(chooser.at(-1)!.choices!.map((c) => c.value)).toContain('f:subscribe:programmes:done');
    const ticked = await app.press('f:subscribe:programmes:premarital', who);
    expect(ticked.at(-1)!.choices![0]!.label).toBe('✅ Khám tiền hôn nhân');
    const none = await app.press('f:subscribe:programmes:premarital', who); // untick
    expect(none.at(-1)!.choices![0]!.label).toBe('Khám tiền hôn nhân');
    const empty = await app.say('xong', who);
    expect(empty[0]!.text).toContain('chưa chọn');
    await app.say('2', who); // prenatal, by number
    const ward = await app.say('xong', who);
    expect(ward.at(-1)!.text).toContain('Mang thai & sàng lọc');
  });

  it('the words for it start it from anywhere, typed without diacritics too, as does /dangky', async () => {
    const who = person('s6');
    await app.say('co bau ngoai y muon thi lam sao', who); // an FAQ answer with its own numbered buttons
    for (const typed of ['nhan nhac lich', 'Nhận tin', '/dangky']) {
      const replies = await app.say(typed, who);
      expect(replies.at(-1)!.text).toContain('Bạn muốn nhận tin và nhắc lịch về chương trình nào?');
      expect(replies.at(-1)!.choices!.map((c) => c.value)).toContain('f:subscribe:programmes:elderly');
    }
  });

  it('an unknown ward gets a second chance', async () => {
    const who = person('s5');
    await app.press('a:sub:elderly', who);
    await app.press('f:subscribe:who:self', who);
    const replies = await app.say('zzzz', who);
    expect(replies[0]!.text).toContain('chưa tìm thấy');
    const retry = await app.say('lê chân', who);
    expect(retry.at(-1)!.choices![0]!.label).toBe('Phường Lê Chân');
  });
});

describe('stop, resume, delete', () => {
  it('stop outranks a flow mid-way and ends every subscription at once', async () => {
    await subscribe('st1');
    const who = person('st1');
    await app.press('a:sub:prenatal', who); // mid-way through another subscription
    const confirm = await app.say('dừng', who);
    expect(confirm[0]!.text).toContain('dừng nhận mọi tin nhắn');
    const done = await app.press(confirm[0]!.choices![0]!.value, who);
    expect(done[0]!.text).toContain('Đã dừng');
    expect((await subsOf('st1')).every((s) => s.ended)).toBe(true);
    const [c] = await q<{ opted_out: boolean }>(sql`select opted_out_at is not null as opted_out from contacts where platform_user_id = 'st1'`);
    expect(c!.opted_out).toBe(true);
  });

  it('/huy and "hủy", "huỷ", "stop" all stop; "đúng" does not', async () => {
    await subscribe('st2');
    for (const word of ['/huy', 'hủy', 'huỷ', 'stop', 'Dừng!', 'dung']) {
      const replies = await app.say(word, person('st2'));
      expect(replies[0]!.text, word).toContain('dừng nhận mọi tin nhắn');
    }
    const replies = await app.say('đúng', person('st2'));
    expect(replies[0]!.text).not.toContain('dừng nhận mọi tin nhắn');
  });

  it('a person who stopped and writes again is not re-subscribed silently; /batlai needs fresh consent', async () => {
    await subscribe('st3');
    const who = person('st3');
    await app.say('dừng', who);
    await app.press('f:stop:confirm:yes', who);
    await app.say('/menu', who);
    await app.say('kham tien hon nhan co bat buoc ko', who);
    expect((await subsOf('st3')).every((s) => s.ended)).toBe(true);
    const notice = await app.say('/batlai', who);
    expect(notice.at(-1)!.text).toContain('Trước khi lưu');
    const resumed = await app.say('đồng ý', who);
    expect(resumed[0]!.text).toContain('Đã bật lại');
    expect((await subsOf('st3')).every((s) => !s.ended)).toBe(true);
  });

  it('delete leaves no personal row, only an anonymous count', async () => {
    await subscribe('del1');
    const who = person('del1');
    const confirm = await app.say('/xoa', who);
    expect(confirm.at(-1)!.text).toContain('không hoàn tác');
    const done = await app.say('1', who);
    expect(done[0]!.text).toContain('Đã xóa');
    const left = await q<{ n: number }>(sql`
      select (select count(*) from contacts where platform_user_id = 'del1')
           + (select count(*) from consents where contact_id not in (select id from contacts))
           + (select count(*) from subscriptions where contact_id not in (select id from contacts))
           + (select count(*) from conversation_state where contact_id not in (select id from contacts)) as n`);
    expect(Number(left[0]!.n)).toBe(0);
    const [erased] = await q<{ n: number }>(sql`select sum(count)::int as n from anonymous_counts where metric = 'contacts.erased'`);
    expect(erased!.n).toBeGreaterThanOrEqual(1);
  });
});

describe('state in Postgres', () => {
  it('a restart mid-flow resumes where the person was', async () => {
    const who = person('r1');
    await app.press('a:sub:elderly', who);
    await app.press('f:subscribe:who:self', who);
    await app.say('le chan', who);
    // A new process: a new engine on the same database.
    const restarted = await createApp({ config: testConfig(), database: app.database, clock: app.clock, log: createLogger('silent'), faq: testFaq() });
    const replies = await restarted.engine.handle({ channel: 'telegram', ...who, kind: 'text', text: '1' });
    expect(replies.at(-1)!.text).toContain('Trước khi lưu');
  });

  it('a flow left alone for a day is forgotten', async () => {
    const who = person('r2');
    await app.press('a:sub:elderly', who);
    await app.press('f:subscribe:who:self', who);
    app.clock.advance(25 * 60 * 60 * 1000);
    const replies = await app.say('le chan', who);
    expect(replies[0]!.text).not.toContain('Ý bạn là');
    expect(replies[0]!.text).toContain('chưa trả lời được');
  });

  it('two concurrent updates of one person are handled one at a time', async () => {
    const who = person('c1');
    await app.press('a:sub', who);
    // Three taps at the same instant: without the per-person lock two would be lost.
    await Promise.all(
      ['premarital', 'elderly', 'newborn'].map((p) => app.press(`f:subscribe:programmes:${p}`, who)),
    );
    const [state] = await q<{ data: { programmes: string[] } }>(
      sql`select data from conversation_state s join contacts c on c.id = s.contact_id where c.platform_user_id = 'c1'`,
    );
    expect([...state!.data.programmes].sort()).toEqual(['elderly', 'newborn', 'premarital']);
  });
});
