/**
 * FAQ matcher speed: p99 of match() per question over a few thousand varied
 * questions made from the whole content (each phrasing as written, folded, with
 * chat prefixes and abbreviations, shortened, plus out-of-scope mixes), and the
 * time to build the index from parsed content.
 */
import { createFaqMatcher, loadCalibration, loadFaqContent, loadNegatives } from '../src/faq/matcher.js';
import { loadNlp } from '../src/faq/nlp.js';
import { foldText } from '../src/faq/normalize.js';
import { createSafetyDetector } from '../src/faq/safety.js';

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PREFIX = ['', 'cho em hỏi ', 'ad ơi ', 'chị ơi cho em hỏi ', 'mn ơi ', 'bác sĩ ơi '];
const SUFFIX = ['', ' ạ', ' vậy', ' ạ???', ' nhé', ' với ạ 😭'];
const TEEN: [RegExp, string][] = [
  [/không/g, 'ko'],
  [/được/g, 'dc'],
  [/bao nhiêu/g, 'bn'],
  [/như thế nào/g, 'ntn'],
  [/gì/g, 'j'],
  [/rồi/g, 'r'],
];
const OOS = ['thời tiết', 'vé tàu', 'bitcoin', 'bóng đá', 'trồng rau', 'bài tập toán', 'giá vàng', 'xe buýt', 'khách sạn', 'điện thoại'];

export function variedQuestions(questions: string[], count: number, seed = 1): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const out: string[] = [];
  while (out.length < count) {
    let q = pick(questions);
    const roll = r();
    if (roll < 0.25) q = foldText(q);
    else if (roll < 0.45) for (const [re, s] of TEEN) q = q.replace(re, s);
    else if (roll < 0.6) {
      const w = q.split(' ');
      w.splice(Math.floor(r() * w.length), 1);
      q = w.join(' ');
    } else if (roll < 0.7) q = `${pick(OOS)} ${q.split(' ').slice(0, 3).join(' ')} ${pick(OOS)}`;
    out.push(pick(PREFIX) + q + pick(SUFFIX));
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function benchFaq(opts: { quick: boolean }): Promise<string[]> {
  const content = loadFaqContent();
  const nlp = loadNlp();
  const safety = createSafetyDetector(undefined, nlp.abbr);
  const builds: number[] = [];
  // The production matcher: calibrated, with the out-of-scope pseudo-entries.
  const options = { nlp, safety, negatives: loadNegatives(), calibration: loadCalibration() };
  let matcher = createFaqMatcher(content.entries, content.topics, options);
  for (let i = 0; i < (opts.quick ? 2 : 5); i++) {
    const t0 = performance.now();
    matcher = createFaqMatcher(content.entries, content.topics, options);
    builds.push(performance.now() - t0);
  }
  builds.sort((a, b) => a - b);

  const qs = variedQuestions(
    // English questions too: English is a path of its own (stop words, stems)
    content.entries.flatMap((e) => [...e.questions, ...(e.en?.questions ?? [])]),
    opts.quick ? 600 : 5000,
  );
  for (const q of qs.slice(0, 200)) matcher.match(q); // warm-up
  const times: number[] = [];
  for (const q of qs) {
    const t0 = performance.now();
    matcher.match(q);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return [`faq.p99_ms ${percentile(times, 99).toFixed(3)} ms`, `faq.index_ms ${(builds[Math.floor(builds.length / 2)] ?? 0).toFixed(1)} ms`];
}
