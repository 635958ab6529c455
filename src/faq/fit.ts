/**
 * Fits the matcher's calibration (src/faq/calibration.ts) on labelled questions the
 * matcher did not see, and measures it on held-out folds.
 *
 * Rows:
 * 1. The content's own phrasings, in 5 folds: each fold's phrasings (Vietnamese and
 *    English) and out-of-scope questions are taken out of the index, then matched.
 * 2. Hand-written held-out questions and out-of-scope questions (test/faq/fixtures/
 *    heldout*.jsonl, oos.jsonl), matched against the whole content.
 * The label is 1 when the matcher's best topic is the right one. Rows a danger sign
 * answers, and emergency rows (only a sign answers those), are left out.
 * The evaluation sets (the shared dev set, test/faq/eval/) are never used here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fitLogistic, FEATURES, reliability, compileCalibration, type CalibrationFile, type Features } from './calibration.js';
import { createFaqMatcher, loadNegatives, NONE_TOPIC, type FaqContent } from './matcher.js';
import { loadNlp } from './nlp.js';
import { createSafetyDetector } from './safety.js';

export interface Row {
  q: string;
  gold: string | null;
  top: string | null;
  features: Features;
  label: number;
  source: string;
}

const FOLDS = 20;

export function readJsonl(file: string): { q: string; topic: string | null }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { q: string; topic: string | null });
}

export function calibrationRows(content: FaqContent, fixturesDir: string): Row[] {
  const nlp = loadNlp();
  const safety = createSafetyDetector(undefined, nlp.abbr);
  const negatives = loadNegatives();
  const rows: Row[] = [];
  const push = (q: string, gold: string | null, r: { topic: string | null; features: Features } | null, source: string): void => {
    if (!r) return;
    if (gold === 'safety.emergency' || safety.detect(q)) return;
    rows.push({ q, gold, top: r.topic, features: r.features, label: r.topic !== null && r.topic === gold ? 1 : 0, source });
  };
  for (let k = 0; k < FOLDS; k++) {
    const held: { q: string; topic: string | null }[] = [];
    const entries = content.entries.map((e) => {
      const keep = (qs: string[], offset: number): string[] =>
        qs.filter((q, i) => {
          const out = (i + offset) % FOLDS === k;
          if (out) held.push({ q, topic: e.topic });
          return !out;
        });
      const questions = keep(e.questions, 0);
      return { ...e, questions, ...(e.en ? { en: { ...e.en, questions: keep(e.en.questions, 2) } } : {}) };
    });
    const negIn = negatives.filter((_, i) => i % FOLDS !== k);
    for (const [i, q] of negatives.entries()) if (i % FOLDS === k) held.push({ q, topic: null });
    const m = createFaqMatcher(entries, content.topics, { nlp, safety: null, calibration: null, negatives: negIn });
    for (const h of held) push(h.q, h.topic, m.features(h.q), h.topic === null ? 'negatives' : 'content');
  }
  const full = createFaqMatcher(content.entries, content.topics, { nlp, safety: null, calibration: null, negatives });
  for (const f of readdirSync(fixturesDir)
    .filter((n) => /^(heldout.*|oos)\.jsonl$/.test(n))
    .sort()) {
    for (const c of readJsonl(join(fixturesDir, f))) push(c.q, c.topic, full.features(c.q), f);
  }
  return rows.filter((r) => r.top !== NONE_TOPIC);
}

export interface FitReport {
  file: CalibrationFile;
  /** Out-of-fold probabilities, in row order. */
  heldOut: number[];
}

/**
 * Row weights: the content's held-out phrasings and the hand-written questions are two
 * kinds of evidence about in-scope questions; each kind gets the same total weight
 * (there are about four times as many phrasings, which, written per topic, overlap
 * their sibling topics more than people's questions do). Out-of-scope rows weigh 1.
 */
export function rowWeights(rows: readonly Row[]): number[] {
  const content = rows.filter((r) => r.source === 'content').length;
  const written = rows.filter((r) => r.source !== 'content' && r.source !== 'negatives' && r.gold !== null).length;
  const cw = content > 0 && written > 0 ? Math.min(1, written / content) : 1;
  return rows.map((r) => (r.source === 'content' ? cw : 1));
}

/** Fits on all rows; measures on 5 folds of the rows (fit on four, predict the fifth). */
export function fitCalibration(rows: Row[], threshold = 0.9, lambda = 1e-4): FitReport {
  const labels = rows.map((r) => r.label);
  const weights = rowWeights(rows);
  const heldOut = new Array<number>(rows.length).fill(0);
  for (let k = 0; k < FOLDS; k++) {
    const idx = rows.map((_, i) => i).filter((i) => i % FOLDS !== k);
    const model = fitLogistic(
      idx.map((i) => (rows[i] as Row).features),
      idx.map((i) => labels[i] as number),
      lambda,
      FEATURES,
      idx.map((i) => weights[i] as number),
    );
    const c = compileCalibration({ features: [...FEATURES], weights: model.weights, bias: model.bias, threshold });
    rows.forEach((r, i) => {
      if (i % FOLDS === k) heldOut[i] = c.probability(r.features);
    });
  }
  const model = fitLogistic(
    rows.map((r) => r.features),
    labels,
    lambda,
    FEATURES,
    weights,
  );
  // Measured with the weights the fit used (each kind of evidence counts the same).
  const wsum = weights.reduce((a, b) => a + b, 0);
  const brier = heldOut.reduce((s, p, i) => s + (weights[i] as number) * (p - (labels[i] as number)) ** 2, 0) / Math.max(1, wsum);
  const answered = heldOut.map((p, i) => [p, labels[i] as number, weights[i] as number] as const).filter(([p]) => p >= threshold);
  const answeredW = answered.reduce((s, [, , w]) => s + w, 0);
  const round = (x: number): number => Math.round(x * 1e4) / 1e4;
  const file: CalibrationFile = {
    about:
      'P(the best topic is right) = sigmoid(bias + weights · features) (src/faq/calibration.ts). Written by `npm run faq -- --calibrate` (src/faq/fit.ts); refit after content changes. The matcher answers only when P >= threshold.',
    features: [...FEATURES],
    weights: model.weights.map(round),
    bias: round(model.bias),
    threshold,
    fit: {
      rows: rows.length,
      right: labels.reduce((a, b) => a + b, 0),
      sources: Object.fromEntries([...new Set(rows.map((r) => r.source))].map((s) => [s, rows.filter((r) => r.source === s).length])),
      lambda,
      contentWeight: Math.round((weights[rows.findIndex((r) => r.source === 'content')] ?? 1) * 1000) / 1000,
      heldOutBrier: round(brier),
      heldOutAnswered: answered.length,
      heldOutPrecisionAtThreshold: answeredW ? round(answered.reduce((s, [, y, w]) => s + y * w, 0) / answeredW) : null,
      heldOutReliability: reliability(heldOut, labels, weights).map((b) => ({ ...b, predicted: round(b.predicted), observed: round(b.observed) })),
      // the same, counting every row once (the content's phrasings dominate)
      heldOutReliabilityUnweighted: reliability(heldOut, labels).map((b) => ({ ...b, predicted: round(b.predicted), observed: round(b.observed) })),
    },
  };
  return { file, heldOut };
}
