import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileCalibration, FEATURES, fitLogistic, reliability, type Features } from '../../src/faq/calibration.js';
import { rowWeights, type Row } from '../../src/faq/fit.js';
import { analyse, isEnglish } from '../../src/faq/normalize.js';
import { projectRoot } from '../../src/config/paths.js';

const zero = (): Features => Object.fromEntries(FEATURES.map((f) => [f, 0])) as Features;

describe('calibration', () => {
  it('fits a logistic model that recovers a known relation and turns facts into a probability', () => {
    // P(right) = sigmoid(6 * confidence - 3): draw labels deterministically from it.
    const rows: Features[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 400; i++) {
      const c = (i % 100) / 100;
      const p = 1 / (1 + Math.exp(-(6 * c - 3)));
      rows.push({ ...zero(), confidence: c });
      labels.push((i * 0.6180339887) % 1 < p ? 1 : 0);
    }
    const m = fitLogistic(rows, labels, 1e-6);
    const cal = compileCalibration({ features: [...FEATURES], weights: m.weights, bias: m.bias, threshold: 0.9 });
    expect(m.weights[FEATURES.indexOf('confidence')]).toBeGreaterThan(4);
    expect(cal.probability({ ...zero(), confidence: 0.5 })).toBeCloseTo(0.5, 1);
    expect(cal.probability({ ...zero(), confidence: 1 })).toBeGreaterThan(0.9);
  });

  it('reliability bins predicted probabilities against the share right, with weights', () => {
    const bins = reliability([0.1, 0.2, 0.95, 0.96], [0, 1, 1, 1], [1, 3, 1, 1]);
    const low = bins.find((b) => b.from === 0);
    expect(low?.n).toBe(2);
    expect(low?.observed).toBeCloseTo(0.75);
    expect(bins.find((b) => b.from === 0.95)?.observed).toBe(1);
  });

  it("weighs the content's phrasings and the hand-written questions the same in total", () => {
    const row = (source: string, gold: string | null): Row => ({ q: '', gold, top: null, features: zero(), label: 0, source });
    const rows = [...Array.from({ length: 8 }, () => row('content', 'a.b')), row('heldout.jsonl', 'a.b'), row('heldout.jsonl', 'a.b'), row('negatives', null)];
    const w = rowWeights(rows);
    expect(w.slice(0, 8).reduce((a, b) => a + b, 0)).toBeCloseTo(2);
    expect(w[8]).toBe(1);
    expect(w[10]).toBe(1);
  });
});

describe('English messages', () => {
  it('are recognised, and chat abbreviations are not expanded in them', () => {
    expect(isEnglish(['i', 'have', 'a', 'question'], null)).toBe(true);
    expect(isEnglish(['kham', 'tien', 'hon', 'nhan', 'o', 'dau'], null)).toBe(false);
    expect(isEnglish(['nipt', 'co', 'chinh', 'xac', 'khong'], null)).toBe(false);
    expect(analyse('I have a question').exact).toEqual(['i', 'have', 'a', 'question']);
    expect(analyse('co a nao biet khong').exact).toContain('anh');
  });
});

describe('npm run faq -- --jsonl', () => {
  it('prints one line per question in order: a probability, null for everyday messages, the route for a danger sign', () => {
    const input = [
      'khám tiền hôn nhân ở đâu',
      'hi ad',
      'cảm ơn bác sĩ',
      'bố tôi đột nhiên méo miệng',
      'thời tiết mai thế nào',
      'bầu 7 tháng ra máu có sao không',
    ]
      .map((q) => JSON.stringify({ q }))
      .join('\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'faq.ts'), '--jsonl'], {
      input,
      encoding: 'utf8',
      cwd: projectRoot,
    });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { q: string; topic: string | null; score: number });
    expect(out.map((o) => o.q)).toEqual(input.split('\n').map((l) => (JSON.parse(l) as { q: string }).q));
    expect(out[0]?.topic).toBe('premarital.where');
    expect(out[0]?.score).toBeGreaterThanOrEqual(0.9);
    expect(out[1]?.topic).toBeNull();
    expect(out[2]?.topic).toBeNull();
    expect(out[3]).toMatchObject({ topic: 'safety.emergency', score: 1 });
    expect(out[4]?.topic).toBeNull();
    expect(out[4]?.score).toBeLessThan(0.9);
    // an `ask` with no calm FAQ answer prints the route
    expect(out[5]?.topic).toBe('safety.emergency');
  });
});
