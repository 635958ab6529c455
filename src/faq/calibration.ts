/**
 * What the matcher's score means: the probability that its best topic is the right
 * answer. A logistic model over a few facts of the ranking (how much of the question
 * the best topic covers, the margin to the second topic and to "none of these", the
 * share of words the FAQ has never seen, whether the kind of question matches…),
 * fitted on labelled questions (`npm run faq -- --calibrate`), evaluated on held-out
 * folds. The model lives in content/nlp/calibration.json; the matcher answers only
 * when P(right) ≥ its `threshold` (0.9 by default).
 */
import { z } from 'zod';

/** The facts of one ranking the model reads; all roughly in [0, 1] or small counts. */
export const FEATURES = [
  'confidence',
  'uni',
  'bi',
  'rev',
  'qcov',
  'margin',
  'ratio',
  'siblingRatio',
  'noneMargin',
  'unknown',
  'informative',
  'plain',
  'intentMatch',
  'intentMiss',
  'english',
] as const;
export type Feature = (typeof FEATURES)[number];
export type Features = Record<Feature, number>;

export const CalibrationFile = z
  .object({
    about: z.string().optional(),
    features: z.array(z.enum(FEATURES)),
    weights: z.array(z.number()),
    bias: z.number(),
    /** Answer only when P(right) ≥ threshold. */
    threshold: z.number().min(0).max(1),
    /** How the model was fitted and how it did on held-out folds (for the README). */
    fit: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((c) => c.features.length === c.weights.length, 'one weight per feature');
export type CalibrationFile = z.infer<typeof CalibrationFile>;

export interface Calibration {
  threshold: number;
  probability(f: Features): number;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function compileCalibration(c: CalibrationFile): Calibration {
  const idx = c.features.map((f) => f);
  return {
    threshold: c.threshold,
    probability: (f) => {
      let z = c.bias;
      for (let i = 0; i < idx.length; i++) z += (c.weights[i] as number) * f[idx[i] as Feature];
      return sigmoid(z);
    },
  };
}

/**
 * Fits a logistic regression (Newton's method, L2 penalty `lambda` on the weights)
 * on feature rows and 0/1 labels.
 */
export function fitLogistic(
  rows: Features[],
  labels: number[],
  lambda = 1e-2,
  features: readonly Feature[] = FEATURES,
  sampleWeights?: readonly number[],
): { weights: number[]; bias: number } {
  const d = features.length + 1;
  const X = rows.map((r) => [...features.map((f) => r[f]), 1]);
  let w = new Array<number>(d).fill(0);
  for (let iter = 0; iter < 50; iter++) {
    const g = new Array<number>(d).fill(0);
    const H = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    X.forEach((x, n) => {
      const sw = sampleWeights?.[n] ?? 1;
      const p = sigmoid(x.reduce((s, v, i) => s + v * (w[i] as number), 0));
      const e = sw * (p - (labels[n] as number));
      const s = sw * Math.max(p * (1 - p), 1e-9);
      for (let i = 0; i < d; i++) {
        g[i] = (g[i] as number) + e * (x[i] as number);
        const Hi = H[i] as number[];
        for (let j = 0; j < d; j++) Hi[j] = (Hi[j] as number) + s * (x[i] as number) * (x[j] as number);
      }
    });
    for (let i = 0; i < d - 1; i++) {
      g[i] = (g[i] as number) + lambda * X.length * (w[i] as number);
      (H[i] as number[])[i] = ((H[i] as number[])[i] as number) + lambda * X.length;
    }
    const step = solve(H, g);
    w = w.map((v, i) => v - (step[i] as number));
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  return { weights: w.slice(0, d - 1), bias: w[d - 1] as number };
}

/** Solves A x = b (Gaussian elimination with partial pivoting; A is small). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs((M[r] as number[])[c] as number) > Math.abs((M[p] as number[])[c] as number)) p = r;
    [M[c], M[p]] = [M[p] as number[], M[c] as number[]];
    const piv = (M[c] as number[])[c] as number;
    if (Math.abs(piv) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = ((M[r] as number[])[c] as number) / piv;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) (M[r] as number[])[k] = ((M[r] as number[])[k] as number) - f * ((M[c] as number[])[k] as number);
    }
  }
  return M.map((row, i) => (row[n] as number) / ((row[i] as number) || 1));
}

/** Reliability: predicted probability bins with their observed share of right answers. */
export function reliability(
  probs: number[],
  labels: number[],
  weights?: readonly number[],
  edges = [0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001],
): { from: number; to: number; n: number; predicted: number; observed: number }[] {
  const out: { from: number; to: number; n: number; predicted: number; observed: number }[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const lo = edges[i] as number;
    const hi = edges[i + 1] as number;
    let n = 0;
    let sw = 0;
    let sp = 0;
    let sy = 0;
    probs.forEach((p, k) => {
      if (p >= lo && p < hi) {
        const w = weights?.[k] ?? 1;
        n++;
        sw += w;
        sp += w * p;
        sy += w * (labels[k] as number);
      }
    });
    out.push({ from: lo, to: Math.min(1, hi), n, predicted: sw ? sp / sw : 0, observed: sw ? sy / sw : 0 });
  }
  return out;
}
