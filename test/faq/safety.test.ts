import { describe, it, expect } from 'vitest';
import { foldText } from '../../src/faq/normalize.js';
import { createSafetyDetector, loadSigns } from '../../src/faq/safety.js';
import { createProjectFaqMatcher } from '../../src/faq/matcher.js';

const detector = createSafetyDetector();

/** sign id → messages that must fire it (each is also tried without diacritics). */
const CASES: Record<string, string[]> = {
  'pregnancy-bleeding': ['Vợ em có thai 3 tháng bị ra máu', 'ra máu khi mang thai có sao không', 'bầu 8 tuần chảy máu'],
  'heavy-bleeding': ['chảy máu nhiều không cầm được', 'sau sinh ra máu rất nhiều', 'bị băng huyết'],
  'waters-breaking': ['bị vỡ ối phải làm sao', 'thấy ra nước ối', 'bầu 37 tuần rỉ ối'],
  'pregnancy-fluid-or-pain': ['bầu 30 tuần đau bụng quá', 'có thai 8 tháng tự nhiên ra nhiều nước'],
  'fetal-movement': ['có thai 8 tháng thấy thai ít đạp', 'thai máy yếu hơn mọi ngày'],
  convulsions: ['con tôi sốt cao rồi co giật', 'bé lên cơn co giật'],
  'severe-abdominal-pain': ['đau bụng dữ dội', 'em đau bụng dưới dữ dội', 'đau bụng không chịu nổi'],
  'stroke-face-limbs': ['bà tôi méo miệng', 'ông bị yếu nửa người', 'bố em tê một bên người'],
  'stroke-speech': ['ông tôi tự nhiên nói ngọng', 'bố em đột nhiên nói khó'],
  'stroke-named': ['hình như bố em bị đột quỵ', 'ông bị tai biến mạch máu não rồi'],
  breathing: ['bé bị khó thở', 'mẹ tôi thở không được', 'môi tím tái'],
  unconscious: ['bà tôi ngất xỉu', 'con bị hôn mê'],
  'chest-pain': ['bố tôi đau thắt ngực'],
  suicidal: ['em muốn chết', 'tôi không muốn sống nữa', 'em định tự sát', 'muốn kết liễu đời mình'],
  'suicidal-tu-tu': ['em muốn tự tử', 'tôi định tự tử'],
  'sexual-abuse': ['em bị xâm hại', 'bé bị sờ mó', 'bạn em bị hiếp dâm', 'bị chú ép quan hệ'],
  violence: ['bạn em bị bố dượng đánh', 'con bị bạo hành', 'em bị đánh đập hằng ngày', 'bị mẹ kế hành hạ'],
};

describe('safety signs', () => {
  const signs = loadSigns();

  it('every sign in content/safety/signs.yaml has test messages', () => {
    expect(signs.map((s) => s.id).sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const sign of signs) {
    const cases = CASES[sign.id] ?? [];
    it(`${sign.id} → ${sign.topic}, with and without diacritics`, () => {
      expect(cases.length).toBeGreaterThan(0);
      for (const text of cases) {
        for (const variant of [text, foldText(text)]) {
          const hit = detector.detect(variant);
          expect(hit, variant).not.toBeNull();
          expect(hit?.topic, variant).toBe(sign.topic);
        }
      }
    });
  }

  it('reads abbreviations before matching', () => {
    expect(detector.detect('bau 30w ra nc oi')?.topic).toBe('safety.emergency');
    expect(detector.detect('ck em bi dot quy')?.topic).toBe('safety.emergency');
  });

  it('child protection wins over emergency', () => {
    expect(detector.detect('con em bị bố dượng đánh chảy nhiều máu')?.topic).toBe('safety.child-protection');
    expect(detector.detect('em bi xam hai gio chi muon chet')?.topic).toBe('safety.child-protection');
  });

  it('does not fire on informational questions', () => {
    for (const text of [
      'xét nghiệm máu khi mang thai để làm gì',
      'xet nghiem mau khi mang thai',
      'nhóm máu của vợ chồng có ảnh hưởng đến con không',
      'ăn từ từ thôi',
      'tap the duc tu tu thoi',
      'uống thuốc tránh thai khẩn cấp bị ra máu có sao không',
      'cách phòng ngừa đột quỵ cho người cao tuổi',
      'đánh giá kết quả sàng lọc',
      'khám tiền hôn nhân ở đâu',
      'thuốc tránh thai hàng ngày có hại không',
      'lấy máu gót chân cho bé có đau không',
    ]) {
      expect(detector.detect(text), text).toBeNull();
    }
  });

  it('is safety first for a named sign asked about ("vỡ ối là gì")', () => {
    expect(detector.detect('vỡ ối là gì')?.topic).toBe('safety.emergency');
  });

  it('the matcher answers safety before retrieval, with the sign topic', () => {
    const m = createProjectFaqMatcher();
    const r = m.match('Bà tôi đột nhiên méo miệng, nói ngọng');
    expect(r.kind).toBe('safety');
    expect(r.topic).toBe('safety.emergency');
    const c = m.match('ban em bi bo duong danh');
    expect(c.kind).toBe('safety');
    expect(c.topic).toBe('safety.child-protection');
  });
});

describe('safety signs and the FAQ content', () => {
  it('no phrasing of a non-safety FAQ entry sets off a danger sign (no false alarms on ordinary questions)', async () => {
    const { loadFaqContent } = await import('../../src/faq/matcher.js');
    const alarms: string[] = [];
    for (const e of loadFaqContent().entries) {
      if (e.topic.startsWith('safety.')) continue;
      for (const q of e.questions) {
        const hit = detector.detect(q);
        if (hit) alarms.push(`${e.topic}: "${q}" → ${hit.sign} (${hit.matched})`);
      }
    }
    expect(alarms).toEqual([]);
  });
});
