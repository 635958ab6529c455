import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../src/db/client.js';
import { testApp, type TestApp } from './support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp();
});
afterAll(() => app.close());

const values = (m: { choices?: { value: string }[] } | undefined) => m?.choices?.map((c) => c.value) ?? [];

describe('onboarding and FAQ', () => {
  it('greets with the programme menu on /start', async () => {
    const replies = await app.say('/start', { userId: 'a1', chatId: 'a1' });
    expect(replies[0]!.text).toContain('Sở Y tế Hải Phòng');
    expect(values(replies[1])).toEqual(['a:prog:premarital', 'a:prog:prenatal', 'a:prog:newborn', 'a:prog:elderly', 'a:prog:familyplanning', 'a:sub', 'a:rel', 'a:ask']);
  });

  it('answers a question with its source, related topics and feedback buttons, anonymously and read-only', async () => {
    const replies = await app.say('kham tien hon nhan co bat buoc ko', { userId: 'anon', chatId: 'anon' });
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain('Không bắt buộc');
    expect(replies[0]!.text).toContain('Nguồn: Bộ Y tế');
    // The counsellor button carries what was being read, for the counsellor's context.
    expect(values(replies[0])).toEqual(['a:faq:premarital.where', 'a:fb:up:premarital.mandatory', 'a:fb:down:premarital.mandatory', 'a:counsel:premarital.mandatory']);
    const [count] = await rows<{ n: number }>(app.database.db, sql`select count(*)::int as n from contacts where platform_user_id = 'anon'`);
    expect(count!.n).toBe(0);
  });

  it('asks "Ý bạn là" with both topics when two are close', async () => {
    const replies = await app.say('co mien phi khong');
    expect(replies[0]!.text).toBe('Ý bạn là:');
    expect(values(replies[0])).toEqual(['a:faq:premarital.cost', 'a:faq:prenatal.cost', 'a:counsel']);
  });

  it('says honestly it does not know, offering a counsellor and the menu', async () => {
    const replies = await app.say('thời tiết mai thế nào');
    expect(replies[0]!.text).toContain('chưa trả lời được');
    expect(values(replies[0])).toEqual(['a:counsel', 'a:menu']);
  });

  it('routes danger signs before anything else, even mid-flow, and keeps the flow', async () => {
    const who = { userId: 'safety1', chatId: 'safety1' };
    await app.press('a:sub:elderly', who);
    await app.press('f:subscribe:who:self', who);
    const replies = await app.say('ong toi bi co giat', who);
    expect(replies[0]!.text).toContain('115');
    expect(replies[1]!.text).toContain('xã, phường');
  });

  it('offers the journey of a programme on its page, and the button starts it', async () => {
    const page = await app.press('a:prog:prenatal', { userId: 'j1', chatId: 'j1' });
    expect(values(page[0])[0]).toBe('a:jp');
    const started = await app.press('a:jp', { userId: 'j1', chatId: 'j1' });
    expect(values(started.at(-1)).every((v) => v.startsWith('f:journey-pregnancy:'))).toBe(true);
  });

  it('opens a programme page and follows a related topic', async () => {
    const page = await app.press('a:prog:premarital');
    expect(values(page[0])).toContain('a:sub:premarital');
    const answer = await app.press('a:faq:premarital.where');
    expect(answer[0]!.text).toContain('trạm y tế');
  });
});

describe('bad input gets a kind reply and the flow continues', () => {
  const who = { userId: 'bad1', chatId: 'bad1' };
  beforeAll(async () => {
    await app.press('a:sub:prenatal', who);
  });

  it.each([
    ['a sticker', { kind: 'media', media: 'sticker' }, 'chỉ đọc được tin nhắn chữ'],
    ['a photo', { kind: 'media', media: 'photo' }, 'chỉ đọc được tin nhắn chữ'],
    ['a voice note', { kind: 'media', media: 'voice' }, 'chỉ đọc được tin nhắn chữ'],
    ['an empty message', { kind: 'text', text: '   ' }, 'chưa nhận được nội dung'],
    ['5,000 characters', { kind: 'text', text: 'a'.repeat(5000) }, 'hơi dài'],
    ['an unknown command', { kind: 'text', text: '/abc' }, 'chưa biết lệnh /abc'],
  ])('%s', async (_name, event, expected) => {
    const replies = await app.engine.handle({ channel: 'telegram', ...who, ...(event as object) } as never);
    expect(replies[0]!.text).toContain(expected);
    // ... and the ward question is asked again: the person keeps their place.
    expect(replies.at(-1)!.text).toContain('xã, phường hay đặc khu');
  });

  it('emoji only is not a crash: it is a question the bot does not know', async () => {
    const replies = await app.say('😀👍', { userId: 'emoji', chatId: 'emoji' });
    expect(replies[0]!.text).toContain('chưa trả lời được');
  });

  it('a button from an old message is explained and the current question asked again', async () => {
    const replies = await app.press('f:stop:confirm:yes', who);
    expect(replies[0]!.text).toContain('tin nhắn cũ');
    expect(replies[1]!.text).toContain('xã, phường hay đặc khu');
  });

  it('an unknown action button is treated as stale, never a crash', async () => {
    const replies = await app.press('a:nonsense:1', { userId: 'stale2', chatId: 'stale2' });
    expect(replies[0]!.text).toContain('tin nhắn cũ');
    expect(values(replies[1])).toContain('a:prog:premarital');
  });
});
