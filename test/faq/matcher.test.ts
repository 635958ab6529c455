import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFaqMatcher, createProjectFaqMatcher, loadCalibration, loadFaqContent, loadNegatives } from '../../src/faq/matcher.js';
import { foldText } from '../../src/faq/normalize.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures');

describe('matcher on the test fixtures', () => {
  const { entries, topics } = loadFaqContent(join(fixtures, 'faq'));
  const m = createFaqMatcher(entries, topics);

  it('answers a close question with its topic and a confidence in [0, 1]', () => {
    const r = m.match('Cho em hỏi khám tiền hôn nhân hết bao nhiêu tiền ạ?');
    expect(r.kind).toBe('answer');
    expect(r.topic).toBe('demo.cost');
    expect(r.score).toBeGreaterThan(0.5);
    expect(r.score).toBeLessThanOrEqual(1);
  });

  it('answers without diacritics and with chat abbreviations', () => {
    expect(m.match('kham tien hon nhan o dau').topic).toBe('demo.where');
    expect(m.match('kham tien hon nhan het bn tien').topic).toBe('demo.cost');
    expect(m.match('be ss lay mau got chan khi nao').topic).toBe('demo.heel');
  });

  it('says none below the threshold (out of scope)', () => {
    for (const q of [
      'thời tiết Hải Phòng ngày mai thế nào',
      'mua vé tàu đi Hà Nội ở đâu',
      'bitcoin có nên mua không',
      'cách trồng hoa hồng',
      'xin chào',
      '',
      '???',
    ]) {
      const r = m.match(q);
      expect(r.kind, q).toBe('none');
      expect(r.topic, q).toBeNull();
      expect(r.score, q).toBeLessThan(0.55);
    }
  });

  it('is ambiguous between two different topics with close confidence', () => {
    const r = m.match('khám mắt');
    expect(r.kind).toBe('ambiguous');
    if (r.kind !== 'ambiguous') return;
    expect(new Set(r.alternatives)).toEqual(new Set(['demo.eye-child', 'demo.eye-elderly']));
    expect(r.alternatives[0]).toBe(r.topic);
  });

  it('is not ambiguous when one topic is clearly better', () => {
    expect(m.match('khám mắt cho người già').kind).toBe('answer');
    expect(m.match('khám mắt cho người già').topic).toBe('demo.eye-elderly');
  });

  it('a higher threshold turns a weak answer into none', () => {
    const q = 'lấy máu gót chân cho cháu nội nhà em';
    const r = m.match(q);
    expect(r.kind).toBe('answer');
    expect(r.score).toBeLessThan(0.95);
    const strict = createFaqMatcher(entries, topics, { threshold: 0.95 });
    expect(strict.match(q).kind).toBe('none');
  });

  it('routes danger signs to safety before retrieval', () => {
    const r = m.match('vợ em có bầu 20 tuần bị ra máu');
    expect(r).toEqual({ kind: 'safety', topic: 'safety.emergency', score: 1, verdict: 'alarm' });
  });
});

describe('loadFaqContent fails loudly, naming the file', () => {
  const bad = (name: string, text: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'faq-'));
    copyFileSync(join(fixtures, 'faq', 'topics.json'), join(dir, 'topics.json'));
    writeFileSync(join(dir, name), text);
    return dir;
  };
  const good = readFileSync(join(fixtures, 'faq', 'demo.cost.yaml'), 'utf8');

  it('on a schema error', () => {
    const dir = bad('demo.cost.yaml', good.replace(/questions:[\s\S]*?related/, 'questions: [chỉ một câu]\nrelated'));
    expect(() => loadFaqContent(dir)).toThrow(/demo\.cost\.yaml/);
  });
  it('on bad YAML', () => {
    const dir = bad('demo.cost.yaml', 'topic: [unclosed');
    expect(() => loadFaqContent(dir)).toThrow(/demo\.cost\.yaml/);
  });
  it('on an unknown topic id', () => {
    const dir = bad('demo.other.yaml', good.replace('topic: demo.cost', 'topic: demo.other'));
    expect(() => loadFaqContent(dir)).toThrow(/demo\.other\.yaml.*unknown topic/);
  });
  it('on an unknown related id', () => {
    const dir = bad('demo.cost.yaml', good.replace('related: [demo.where]', 'related: [demo.nowhere]'));
    expect(() => loadFaqContent(dir)).toThrow(/demo\.cost\.yaml.*demo\.nowhere/);
  });
});

describe('matcher on the project content', () => {
  const { entries } = loadFaqContent();
  const m = createProjectFaqMatcher();

  it('ranks every topic first for its own diacritic-free phrasings (folded)', () => {
    const weak: string[] = [];
    for (const e of entries) {
      const folded = e.questions.map((q) => foldText(q));
      const hits = folded.filter((q) => m.match(q).kind === 'safety' || m.rank(q)[0]?.topic === e.topic).length;
      if (hits / folded.length < 0.8) weak.push(`${e.topic}: ${hits}/${folded.length}`);
      expect(hits, e.topic).toBeGreaterThan(0);
    }
    expect(weak, 'topics where under 80% of folded phrasings come back').toEqual([]);
  });

  it('reaches every topic through its English title, in the same matcher', () => {
    for (const e of entries) if (e.en) expect(m.rank(e.en.title)[0]?.topic, e.en.title).toBe(e.topic);
  });

  it('reaches every topic through its title (the emergency route only through a danger sign)', () => {
    for (const e of entries) {
      if (e.topic === 'safety.emergency') continue;
      expect(m.rank(e.title)[0]?.topic, e.title).toBe(e.topic);
    }
    // "mình đang mang thai" is close to the emergency entry's phrasings: no 115 without a
    // sign, unless the question asks about the danger signs themselves.
    expect(m.match('mình đang mang thai').topic).not.toBe('safety.emergency');
    expect(m.match('có thai 5 tháng rồi').topic).not.toBe('safety.emergency');
    expect(m.rank('những dấu hiệu nguy hiểm nào thì phải gọi 115')[0]?.topic).toBe('safety.emergency');
  });

  it('returns none for out-of-scope questions', () => {
    for (const q of [
      'Thời tiết Hải Phòng cuối tuần này thế nào',
      'mua ve tau di ha noi o dau',
      'Có nên đầu tư bitcoin lúc này không',
      'cach trong hoa lan trong chau',
      'Kết quả bóng đá ngoại hạng Anh tối qua',
      'giai giup em bai tap vat ly lop 9',
      'Quán cà phê nào ở Lạch Tray đẹp',
      'cách nấu canh chua cá',
    ]) {
      const r = m.match(q);
      expect(r.topic, q).toBeNull();
    }
  });

  it('keeps its figures on the hand-written held-out questions (test/faq/fixtures/heldout*.jsonl, oos.jsonl)', () => {
    for (const file of ['heldout.jsonl', 'heldout2.jsonl', 'heldout3.jsonl', 'oos.jsonl']) {
      const cases = readFileSync(join(fixtures, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { q: string; topic: string | null });
      let inScope = 0,
        right = 0,
        wrong = 0,
        oos = 0,
        rejected = 0;
      for (const c of cases) {
        const got = m.match(c.q).topic;
        if (c.topic === null) {
          oos++;
          if (got === null) rejected++;
        } else {
          inScope++;
          if (got === c.topic) right++;
          else if (got !== null) wrong++;
        }
      }
      // Answering only when P(right) >= 0.9 gives up some right answers for few wrong ones.
      if (inScope > 0) {
        expect(right / inScope, `${file} accuracy`).toBeGreaterThanOrEqual(0.6);
        expect(wrong / inScope, `${file} wrong`).toBeLessThanOrEqual(0.03);
      }
      expect(rejected / oos, `${file} reject`).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('is deterministic and pure', () => {
    const q = 'sàng lọc sơ sinh phát hiện bệnh gì';
    expect(m.match(q)).toEqual(m.match(q));
  });
});

describe('answer only when sure (calibrated probability, out-of-scope model, English)', () => {
  const m = createProjectFaqMatcher();
  /** The answer is the expected topic or no answer, never another topic. */
  const notWrong = (q: string, allowed: string | null): void => {
    const t = m.match(q).topic;
    expect(t === null || t === allowed, `${q} → ${t}`).toBe(true);
  };

  it('a theme word does not pull a general-medicine question into a topic', () => {
    notWrong('siêu âm thai 22 tuần thấy thận bé hơi giãn có sao không', null);
    notWrong('sieu am thai thay day ron quan co nguy hiem ko', null);
    notWrong('người cao tuổi bị đau khớp gối nên uống thuốc gì', null);
    notWrong('người già bị zona thần kinh kiêng gì', null);
    notWrong('trẻ sơ sinh bị nôn trớ sau khi bú', null);
    notWrong('trẻ sơ sinh bị nghẹt mũi phải làm sao', null);
    notWrong('hút thai xong bao lâu thì có kinh lại', 'srh.unintended-pregnancy');
  });

  it('"can I get pregnant" questions go to pregnancy risk, not emergency contraception or STIs', () => {
    for (const q of [
      'quan hệ lần đầu có dính bầu không',
      'vừa sạch kinh 2 ngày quan hệ có bầu không',
      'đang uống thuốc tránh thai thì ra máu, quan hệ có bầu không',
    ]) {
      notWrong(q, 'srh.pregnancy-risk');
      expect(m.match(q).kind, q).not.toBe('safety');
    }
  });

  it('reads a topic from its answer and title too (HIV testing, thalassemia worded as people ask)', () => {
    expect(m.rank('xét nghiệm HIV ở chỗ nào kín đáo')[0]?.topic).toBe('srh.sti');
    expect(m.rank('bệnh thalassemia có chữa khỏi không')[0]?.topic).toBe('premarital.thalassemia');
  });

  it('the score is a probability: answered only at P >= the calibration threshold, none below', () => {
    const cal = loadCalibration();
    expect(cal, 'content/nlp/calibration.json fitted for the current features').not.toBeNull();
    for (const q of ['khám tiền hôn nhân ở đâu', 'kham tien hon nhan co bat buoc ko', 'đau dạ dày nên ăn gì', 'thời tiết mai thế nào']) {
      const r = m.match(q);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
      if (r.kind === 'answer') expect(r.score, q).toBeGreaterThanOrEqual(cal!.threshold);
      if (r.kind === 'none') expect(r.score, q).toBeLessThan(cal!.threshold);
    }
  });

  it('the calibration holds on held-out folds: of what it answers at P >= 0.9, at least 90% is right', () => {
    const fit = loadCalibration()!.fit as { heldOutPrecisionAtThreshold: number; heldOutReliability: { n: number; predicted: number; observed: number }[] };
    expect(fit.heldOutPrecisionAtThreshold).toBeGreaterThanOrEqual(0.9);
    // within 0.12 per bin of at least 50 questions (weighted bins: their effective size is smaller)
    for (const b of fit.heldOutReliability.filter((x) => x.n >= 50)) expect(Math.abs(b.predicted - b.observed)).toBeLessThan(0.12);
  });

  it('the out-of-scope questions (content/nlp/out-of-scope.yaml) turn a near miss into none', () => {
    const { entries, topics } = loadFaqContent();
    const q = 'bị đau dạ dày, trào ngược thì nên ăn gì, kiêng gì';
    const withNone = createFaqMatcher(entries, topics, { safety: null, calibration: null, negatives: loadNegatives() });
    const without = createFaqMatcher(entries, topics, { safety: null, calibration: null, negatives: [] });
    expect(withNone.features(q)?.features.noneMargin ?? 1).toBeLessThan(without.features(q)?.features.noneMargin ?? 1);
    expect(m.match(q).topic).toBeNull();
  });

  it("understands English questions through the entries' English blocks", () => {
    const { entries, topics } = loadFaqContent(join(fixtures, 'faq'));
    const cost = entries.find((e) => e.topic === 'demo.cost')!;
    const withEn = entries.map((e) =>
      e === cost
        ? {
            ...e,
            en: {
              title: 'What a checkup costs',
              answer: 'The checkup is free at the health station; tests are paid by health insurance.',
              questions: ['how much is the checkup', 'is the checkup free'],
            },
          }
        : e,
    );
    const en = createFaqMatcher(withEn, topics, { safety: null });
    expect(en.match('How much does the checkup cost?').topic).toBe('demo.cost');
    expect(en.match('is it free of charge').topic).toBe('demo.cost');
    // Vietnamese still works in the same matcher
    expect(en.match('kham tien hon nhan het bn tien').topic).toBe('demo.cost');
  });
});

describe('an `ask` verdict in the matcher (what the CLI prints)', () => {
  const m = createProjectFaqMatcher();
  it('gives the calm answer when the FAQ has a confident one, else the route', () => {
    const calm = m.match('con em được 3 tuần mà vẫn còn vàng da, có sao không');
    expect(calm).toMatchObject({ kind: 'answer', topic: 'newborn.jaundice' });
    expect(m.match('bầu 7 tháng ra máu có sao không')).toMatchObject({ kind: 'safety', topic: 'safety.emergency', verdict: 'ask' });
    expect(m.match('bố tôi đột nhiên méo miệng')).toMatchObject({ kind: 'safety', topic: 'safety.emergency', verdict: 'alarm' });
  });
});

describe('long questions and the safety entries', () => {
  const m = createProjectFaqMatcher();

  it('a question wrapped in a greeting and a life story still finds its topic', () => {
    expect(m.match('Chào bác sĩ, em năm nay 24 tuổi, cuối năm em cưới, cho em hỏi khám tiền hôn nhân gồm những gì ạ').topic).toBe('premarital.what');
    expect(m.match('chao bac si, ba noi em nam nay 75 tuoi, o Kien An, muon hoi nguoi cao tuoi kham dinh ky o dau a').topic).toBe('elderly.where');
  });

  it('the safety entries are reached by their own phrasings: by a sign, or by retrieval for hotline questions', () => {
    let n = 0;
    let ok = 0;
    for (const e of loadFaqContent().entries) {
      if (!e.topic.startsWith('safety.')) continue;
      for (const q of [...e.questions, ...(e.en?.questions ?? [])]) {
        n++;
        if (m.match(q).topic === e.topic) ok++;
      }
    }
    expect(ok / n).toBeGreaterThanOrEqual(0.95);
  });
});
