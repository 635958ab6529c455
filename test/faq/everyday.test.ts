import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEverydayDetector } from '../../src/faq/everyday.js';
import { loadFaqBundle } from '../../src/faq/bundle.js';
import { foldText } from '../../src/faq/normalize.js';

const detect = createEverydayDetector();
const intent = (t: string): string | null => detect(t)?.intent ?? null;

describe('everyday intents (whole messages that are not questions)', () => {
  it('greetings and thanks, with address words, with and without diacritics, in English', () => {
    for (const t of ['hi ad', 'chào ad', 'Xin chào bạn', 'chào bác sĩ ạ', 'hello', 'alo ad ơi']) expect(intent(t), t).toBe('greeting');
    for (const t of ['tks ad', 'cảm ơn', 'cám ơn bác sĩ nhiều ạ', 'thank you', 'thanks a lot', 'ok cảm ơn bạn']) expect(intent(t), t).toBe('thanks');
    expect(intent(foldText('cảm ơn ad nhiều nhé'))).toBe('thanks');
  });

  it('a statement of pregnancy, with its weeks or months', () => {
    expect(detect('em có bầu được 4 tháng')).toEqual({ intent: 'pregnant', months: 4 });
    expect(detect('chào bạn, mình đang mang thai')).toEqual({ intent: 'pregnant' });
    expect(detect('minh dang bau 20 tuan roi')).toEqual({ intent: 'pregnant', weeks: 20 });
    expect(detect("I'm pregnant")).toEqual({ intent: 'pregnant' });
  });

  it('subscribing a relative, with the relation and age', () => {
    expect(detect('đăng ký nhắc khám cho mẹ mình 70 tuổi')).toEqual({ intent: 'subscribe-relative', relation: 'mẹ', age: 70 });
    expect(intent('cho bố tôi đăng ký nhận lịch khám định kỳ')).toBe('subscribe-relative');
    expect(intent('sign up my mother for checkup reminders')).toBe('subscribe-relative');
    // no relative named: not this intent
    expect(intent('đăng ký nhắc khám')).toBeNull();
  });

  it('stop', () => {
    for (const t of ['thôi, dừng lại đi', 'đừng nhắn nữa', 'không muốn nhận tin nữa', 'dung lai di ad', 'please stop sending me messages']) {
      expect(intent(t), t).toBe('stop');
    }
  });

  it('a real question is not an everyday intent, even when it starts with a greeting or names the same words', () => {
    for (const t of [
      'chào bác sĩ, cho em hỏi khám thai ở đâu',
      'chào ad, mang thai 20 tuần cần khám gì',
      'dừng thuốc tránh thai bao lâu thì có thai',
      'mình đang mang thai, có cần sàng lọc không',
      'cảm ơn, vậy khám tiền hôn nhân ở đâu',
      'đăng ký khám tiền hôn nhân ở đâu',
      'how do I stop receiving messages',
      '',
    ]) {
      expect(intent(t), t).toBeNull();
    }
  });

  it('reads its words from content/nlp/everyday.yaml (another file, other words)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'everyday-'));
    const file = join(dir, 'everyday.yaml');
    const one = (w: string): { core: string[] } => ({ core: [w] });
    writeFileSync(
      file,
      JSON.stringify({
        filler: ['ạ'],
        intents: {
          stop: one('ngưng'),
          'subscribe-relative': { core: ['ghi danh'], with: ['mẹ'] },
          pregnant: one('mang thai'),
          thanks: one('đa tạ'),
          greeting: one('chào'),
        },
      }),
    );
    const d = createEverydayDetector(file);
    expect(d('đa tạ ạ')?.intent).toBe('thanks');
    expect(d('cảm ơn')).toBeNull();
    expect(d('ngưng')?.intent).toBe('stop');
  });

  it('is part of the FAQ bundle', () => {
    expect(loadFaqBundle().everyday?.('hi ad')).toEqual({ intent: 'greeting' });
  });
});
