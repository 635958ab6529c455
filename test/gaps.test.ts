import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../src/db/client.js';
import { anonymiseGaps, maskIdentity, topGaps, weekOf } from '../src/domain/faq-gaps.js';
import { testApp, type TestApp } from './support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp({ now: new Date('2026-11-25T03:00:00Z') }); // a Wednesday
});
afterAll(() => app.close());

describe('FAQ gaps', () => {
  beforeEach(() => app.clock.set(new Date('2026-11-25T03:00:00Z'))); // the week of 23/11, which the counts below are of

  it('masks phone numbers, long digit runs and e-mails, keeps short numbers', () => {
    expect(maskIdentity('em 17 tuoi, sdt 0912 345 678 goi em nhe')).toBe('em 17 tuoi, sdt [số] goi em nhe');
    expect(maskIdentity('+84 912 345 678 và lan@example.com')).toBe('[số] và [email]');
    expect(maskIdentity('CCCD 031204001234')).toBe('CCCD [số]');
  });

  it('groups by the Monday of the week, Hải Phòng time', () => {
    expect(weekOf(new Date('2026-11-25T03:00:00Z'))).toBe('2026-11-23');
    // Sunday 23:30 in Hải Phòng is still the week before, though UTC says Sunday 16:30.
    expect(weekOf(new Date('2026-11-29T16:30:00Z'))).toBe('2026-11-23');
    expect(weekOf(new Date('2026-11-29T17:30:00Z'))).toBe('2026-11-30');
  });

  it('keeps unanswered and "Chưa đúng" questions with counts and no trace of who asked', async () => {
    const who = { userId: '987654321', chatId: '987654321' };
    await app.say('cho em hỏi ve so 0987 654 321 nay', who);
    await app.say('cho em hỏi ve so 0987 654 321 nay', { userId: '2', chatId: '2' });
    await app.say('kham tien hon nhan co bat buoc ko', who);
    await app.press('a:fb:down:premarital.mandatory', who);
    await app.gaps.flush();

    const top = await topGaps(app.database.db, '2026-11-23');
    expect(top).toEqual([
      { kind: 'unanswered', topic: '', question: 'cho em hỏi ve so [số] nay', count: 2, weeks: 1 },
      { kind: 'wrong', topic: 'premarital.mandatory', question: 'kham tien hon nhan co bat buoc ko', count: 1, weeks: 1 },
    ]);
    const dump = JSON.stringify(await rows(app.database.db, sql`select * from faq_gaps`));
    expect(dump).not.toContain('987654321');
    // Asking created no contact at all.
    const [n] = await rows<{ n: number }>(app.database.db, sql`select count(*)::int as n from contacts`);
    expect(n!.n).toBe(0);
  });
});

describe('FAQ gaps and erasure', () => {
  // The week before: what these tests type stays out of the counts of the week of 23/11 above.
  beforeEach(() => app.clock.set(new Date('2026-11-18T03:00:00Z')));

  it('/xoa erases what the person typed, written or still pending; others keep theirs', async () => {
    const gone = { userId: 'gap-x1', chatId: 'gap-x1' };
    const stays = { userId: 'gap-x2', chatId: 'gap-x2' };
    await app.say('nhà em ở số 12 ngõ Hòa Bình, chồng em tên Tuấn thì sao', gone);
    await app.gaps.flush();
    await app.say('câu hỏi mà chưa có câu trả lời của em', gone); // still in memory at /xoa
    await app.say('câu hỏi mà chưa có câu trả lời của người khác', stays);
    await app.press('a:sub:prenatal', gone); // a contact, so /xoa has something to confirm
    await app.say('/xoa', gone);
    await app.press('f:delete:confirm:yes', gone);
    await app.gaps.flush();
    const dump = JSON.stringify(await rows(app.database.db, sql`select question from faq_gaps`));
    expect(dump).not.toContain('Hòa Bình');
    expect(dump).not.toContain('của em');
    expect(dump).toContain('của người khác');
  });

  it('/xoa from someone with no contact still erases the questions they typed', async () => {
    const anon = { userId: 'gap-x3', chatId: 'gap-x3' };
    await app.say('em sống ở 45 Lạch Tray, hỏi chuyện chưa ai trả lời', anon);
    await app.gaps.flush();
    expect(JSON.stringify(await rows(app.database.db, sql`select question from faq_gaps`))).toContain('Lạch Tray');
    const reply = await app.say('/xoa', anon);
    expect(reply[0]!.text).toContain('cũng đã được xóa');
    await app.gaps.flush();
    expect(JSON.stringify(await rows(app.database.db, sql`select question from faq_gaps`))).not.toContain('Lạch Tray');
    const [contacts] = await rows<{ n: number }>(app.database.db, sql`select count(*)::int as n from contacts where platform_user_id = 'gap-x3'`);
    expect(contacts!.n).toBe(0);
  });

  it('after 30 days a gap keeps no trace of who asked: the daily job folds it into the anonymous count', async () => {
    const old = '2026-09-07';
    await rows(app.database.db, sql`insert into faq_gaps (week, kind, topic, question, asker, count) values (${old}, 'unanswered', '', 'câu cũ', 'a1', 2), (${old}, 'unanswered', '', 'câu cũ', 'a2', 1), (${old}, 'unanswered', '', 'câu cũ', '', 4)`);
    expect(await anonymiseGaps(app.database.db, new Date('2026-11-25T03:00:00Z'))).toBe(2);
    expect(await rows(app.database.db, sql`select asker, count from faq_gaps where question = 'câu cũ'`)).toEqual([{ asker: '', count: 7 }]);
  });

  it('a row the database refuses is lost alone, not the whole batch', async () => {
    app.gaps.unanswered('telegram:gap-bad', 'chữ có ký tự \u0000 hỏng');
    app.gaps.unanswered('telegram:gap-ok', 'một câu bình thường không trả lời được');
    await app.gaps.flush();
    const kept = await rows<{ question: string }>(app.database.db, sql`select question from faq_gaps where question like 'một câu bình thường%'`);
    expect(kept).toHaveLength(1);
  });
});
