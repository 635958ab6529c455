import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../src/db/client.js';
import { maskIdentity, topGaps, weekOf } from '../src/domain/faq-gaps.js';
import { testApp, type TestApp } from './support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp({ now: new Date('2026-11-25T03:00:00Z') }); // a Wednesday
});
afterAll(() => app.close());

describe('FAQ gaps', () => {
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
