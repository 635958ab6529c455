import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFaqBundle } from '../src/faq/bundle.js';
import { testApp, type TestApp } from './support/app.js';

// Everyday words and signs that may or may not be acute, through the engine with the real content.
let app: TestApp;
beforeAll(async () => {
  app = await testApp({ faq: loadFaqBundle() });
});
afterAll(() => app.close());

const who = (id: string) => ({ userId: id, chatId: id });
const values = (m: { choices?: { value: string }[] } | undefined) => m?.choices?.map((c) => c.value) ?? [];
const all = (replies: { text: string }[]) => replies.map((r) => r.text).join('\n');

describe('everyday words', () => {
  it.each(['hi ad', 'chào ad', 'Chào bạn!', 'hello'])('a greeting (%s) gets a short hello and the menu, not "I don\'t know"', async (text) => {
    const replies = await app.say(text, who(`hello-${text}`));
    expect(all(replies)).not.toContain('chưa trả lời được');
    expect(values(replies.at(-1))).toContain('a:prog:premarital');
  });

  it.each(['tks ad', 'cảm ơn bạn nhiều', 'thank you'])('thanks (%s) gets a short reply and the menu', async (text) => {
    const replies = await app.say(text, who(`thanks-${text}`));
    expect(replies[0]!.text).toMatch(/Không có gì|welcome/);
    expect(values(replies.at(-1))).toContain('a:prog:prenatal');
  });

  it.each([
    ['chào bạn, mình đang mang thai', undefined],
    ['em có bầu được 4 tháng', 16],
    ['minh dang co bau', undefined],
  ])('a statement of pregnancy (%s) is congratulated and offered the pregnancy journey, never the 115 page', async (text, weeks) => {
    const replies = await app.say(text, who(`preg-${text}`));
    expect(all(replies)).not.toContain('115');
    expect(replies[0]!.text).toContain('Chúc mừng');
    if (weeks) expect(replies[0]!.text).toContain(`${weeks} tuần`);
    expect(values(replies[0])).toContain('a:jp');
    const started = await app.press('a:jp', who(`preg-${text}`));
    expect(started.at(-1)!.choices!.every((c) => c.value.startsWith('f:journey-pregnancy:'))).toBe(true);
  });

  it('a request to remind a parent starts adding the relative, with the elderly checkups', async () => {
    const replies = await app.say('đăng ký nhắc khám cho mẹ mình 70 tuổi', who('rel1'));
    expect(replies.at(-1)!.text).toContain('tên gì và sinh năm nào');
    const next = await app.say('Nguyễn Thị Hoa, 1956', who('rel1'));
    expect(next.at(-1)!.choices!.map((c) => c.value)).toContain('f:subscribe:depRel:mother');
  });

  it.each(['thôi, dừng lại đi', 'đừng nhắn nữa', 'dung nhan tin nua'])('"%s" is the stop command, with its confirmation, even inside a flow', async (text) => {
    const id = `stop-${text}`;
    await app.press('a:sub:prenatal', who(id)); // a contact and a flow in progress
    const replies = await app.say(text, who(id));
    expect(values(replies.at(-1))).toEqual(['f:stop:confirm:yes', 'f:stop:confirm:no']);
  });

  it('a real question that starts with a greeting is still a question', async () => {
    const replies = await app.say('chào bác sĩ, cho em hỏi khám tiền hôn nhân có bắt buộc không', who('q-greet'));
    expect(replies[0]!.text).toMatch(/^Không bắt buộc/);
  });
});

describe('a danger sign that may not be happening now', () => {
  it('asks whether it is happening right now; "yes" gives the 115 route', async () => {
    const asked = await app.say('mẹ tôi bị méo miệng có sao không', who('ask1'));
    expect(all(asked)).not.toContain('115');
    expect(asked.at(-1)!.text).toContain('ngay lúc này');
    const yes = await app.press('f:safety-ask:now:yes', who('ask1'));
    expect(yes[0]!.text).toContain('115');
  });

  it('"no" answers the question calmly (or honestly says it cannot), with no alarm', async () => {
    await app.say('con em bị khó thở có sao không', who('ask2'));
    const no = await app.press('f:safety-ask:now:no', who('ask2'));
    expect(all(no)).not.toMatch(/Gọi ngay 115/);
    expect(no[0]!.choices?.length).toBeGreaterThan(0);
  });

  it('inside a flow the question comes with its own buttons and the person keeps their place', async () => {
    await app.press('a:sub:prenatal', who('ask3'));
    const asked = await app.say('bầu 30 tuần bị ra máu có sao không', who('ask3'));
    expect(values(asked[0])).toEqual(['a:sfy:safety.emergency', 'a:sfn']);
    expect(asked.at(-1)!.text).toContain('xã, phường hay đặc khu');
    const yes = await app.press('a:sfy:safety.emergency', who('ask3'));
    expect(yes[0]!.text).toContain('115');
    expect(yes.at(-1)!.text).toContain('xã, phường hay đặc khu');
    const no = await app.press('a:sfn', who('ask3'));
    expect(no[0]!.text).toContain('115'); // what to do if it happens
    expect(no.at(-1)!.text).toContain('xã, phường hay đặc khu');
  });

  it('an acute sign in the present is answered with the route at once', async () => {
    const replies = await app.say('bà tôi đột nhiên méo miệng, nói ngọng, yếu nửa người', who('alarm1'));
    expect(replies[0]!.text).toContain('115');
  });
});
