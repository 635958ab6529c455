import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFaqBundle } from '../src/faq/bundle.js';
import { testApp, type TestApp } from './support/app.js';

// The engine with the real content, matcher and safety check, end to end.
let app: TestApp;
beforeAll(async () => {
  app = await testApp({ faq: loadFaqBundle() });
});
afterAll(() => app.close());

const who = (id: string) => ({ userId: id, chatId: id });

describe('the real FAQ through the engine', () => {
  it('answers a question typed without diacritics, with its source and onward buttons', async () => {
    const [reply] = await app.say('kham tien hon nhan co bat buoc ko', who('q1'));
    expect(reply!.text).toMatch(/^Không bắt buộc/);
    expect(reply!.text).toContain('Nguồn:');
    const values = reply!.choices!.map((c) => c.value);
    expect(values).toContain('a:fb:up:premarital.mandatory');
    expect(values).toContain('a:counsel:premarital.mandatory');
  });

  it('"when is prenatal screening?", the commonest question of a pregnant woman, typed any way, is answered with the schedule', async () => {
    for (const q of ['sang loc truoc sinh lam khi nao', 'sàng lọc trước sinh làm khi nào', 'khi nào đi sàng lọc trước sinh', 'bao gio thi sang loc truoc sinh']) {
      const [reply] = await app.say(q, who('q-when'));
      expect(reply!.choices!.map((c) => c.value), q).toContain('a:fb:up:prenatal.schedule');
    }
  });

  it('where to test for HIV, whether condoms prevent it, what a 70-year-old mother should have checked: answered, not "I don\'t know"', async () => {
    const cases: [string, string][] = [
      ['xet nghiem hiv o dau', 'srh.sti'],
      ['bao cao su co tranh duoc hiv ko', 'srh.sti'],
      ['mẹ em 70 tuổi cần khám gì', 'elderly.checkup'],
    ];
    for (const [q, topic] of cases) {
      const [reply] = await app.say(q, who('q-common'));
      expect(reply!.choices!.map((c) => c.value), q).toContain(`a:fb:up:${topic}`);
    }
  });

  it('routes danger signs to 115 before a flow, and the flow continues after', async () => {
    await app.press('a:sub:prenatal', who('q2'));
    const replies = await app.say('vo toi co bau 30 tuan bi ra mau nhieu', who('q2'));
    expect(replies[0]!.text).toContain('115');
    expect(replies.at(-1)!.text).toContain('xã, phường hay đặc khu');
    const ward = await app.say('le chan', who('q2'));
    expect(ward.at(-1)!.choices![0]!.label).toBe('Phường Lê Chân');
  });

  it('routes a child at risk to 111', async () => {
    const [reply] = await app.say('Bạn em bị bố dượng đánh đập suốt, em phải gọi ai', who('q3'));
    expect(reply!.text).toContain('111');
  });

  it('says honestly it does not know an out-of-scope question and offers a counsellor', async () => {
    const [reply] = await app.say('gia vang hom nay bao nhieu', who('q4'));
    expect(reply!.text).toContain('chưa trả lời được');
    expect(reply!.choices!.map((c) => c.value)).toEqual(['a:counsel', 'a:menu']);
  });

  it('never helps find out the sex of a fetus', async () => {
    const [reply] = await app.say('sieu am may tuan thi biet trai hay gai', who('q5'));
    expect(reply!.text).not.toMatch(/tuần (thứ )?\d+ (là )?(có thể )?biết/);
    expect(reply!.text).toMatch(/nghiêm cấm|cấm/i);
  });
});
