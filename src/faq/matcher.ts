/**
 * FAQ matcher: a question → one topic, "ambiguous" (two close topics), a safety
 * topic, or none (out of scope). README "FAQ matcher" has the figures and why
 * this is our own small BM25 rather than a search library.
 *
 * 1. Safety first (safety.ts): a danger sign answers before any retrieval.
 * 2. Analysis (normalize.ts, nlp.ts, content/nlp/): syllables with canonical
 *    tones, chat abbreviations expanded, synonyms rewritten, intent terms added
 *    (where / cost / why …); diacritics restored from the content (restore.ts).
 * 3. Ranking: BM25F, one document per entry (phrasings and title, topic
 *    description, answer), folded and exact syllables and bigrams; the
 *    out-of-scope questions are pseudo-entries.
 * 4. Confidence: the probability that the leader is right, a logistic model
 *    (calibration.ts, content/nlp/calibration.json refitted by fit.ts) over
 *    facts of the ranking; without a calibration, the raw coverage and
 *    `threshold`.
 * 5. Decision: below the threshold → none; a close second → ambiguous; a
 *    safety topic reached by retrieval alone needs a margin more; else answer.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { loadContent } from '../core/content.js';
import { analyse, type Analysed } from './normalize.js';
import { compileCalibration, CalibrationFile, FEATURES, type Calibration, type Features } from './calibration.js';
import { applySynonyms, intentsOf, loadNlp, stemAnalysed, wordWeight, type Nlp } from './nlp.js';
import { createRestorer } from './restore.js';
import { createSafetyDetector, type SafetyDetector } from './safety.js';
import { FaqEntry, TopicList } from './schema.js';
import { isSafetyTopic, type FaqMatcher, type FaqResult } from './types.js';

// ---------------------------------------------------------------------------
// Content loading

export interface FaqContent {
  entries: FaqEntry[];
  topics: TopicList;
  /** File of each entry, for messages. */
  files: string[];
}

/**
 * Reads content/faq/*.yaml and topics.json, validating each with the zod schema.
 * Throws naming the file on bad content (bad YAML, schema error, unknown topic
 * or related id).
 */
export function loadFaqContent(dir: string = join(contentDir, 'faq')): FaqContent {
  const topicsFile = join(dir, 'topics.json');
  let topicsRaw: unknown;
  try {
    topicsRaw = JSON.parse(readFileSync(topicsFile, 'utf8'));
  } catch (e) {
    throw new Error(`${topicsFile}: ${(e as Error).message}`);
  }
  const topicsParsed = TopicList.safeParse(topicsRaw);
  if (!topicsParsed.success) throw new Error(`${topicsFile}: ${z.prettifyError(topicsParsed.error)}`);
  const topics = topicsParsed.data;
  const known = new Set(topics.topics.map((t) => t.id));
  const entries: FaqEntry[] = [];
  const files: string[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const file = join(dir, name);
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
    const parsed = FaqEntry.safeParse(raw);
    if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
    const entry = parsed.data;
    if (!known.has(entry.topic)) throw new Error(`${file}: unknown topic id "${entry.topic}" (not in topics.json)`);
    for (const r of entry.related) {
      if (!known.has(r)) throw new Error(`${file}: related id "${r}" is not in topics.json`);
    }
    entries.push(entry);
    files.push(file);
  }
  return { entries, topics, files };
}

// ---------------------------------------------------------------------------
// Options

export interface MatcherOptions {
  nlp?: Nlp;
  /** null: no safety detection (retrieval only). Default: content/safety/signs.yaml. */
  safety?: SafetyDetector | null;
  /** Confidence below which the answer is `none`. */
  threshold?: number;
  /** A second topic whose BM25 score is ≥ this share of the first's ... */
  ambiguityRatio?: number;
  /** ... and whose confidence is above the threshold and within this of the first's → ambiguous. */
  ambiguityGap?: number;
  /** Field weights in BM25F. */
  weights?: Partial<Record<FieldName, number>>;
  k1?: number;
  b?: number;
  /** Weight of exact (with diacritics) terms relative to folded ones. */
  exactWeight?: number;
  /** Weight of a stop word in retrieval. */
  stopWeight?: number;
  /** Weight of a weak word (content/nlp/stopwords.yaml `weak`) or a number. */
  weakWeight?: number;
  /** Credit for a question word found only in an entry's answer. */
  answerCover?: number;
  /** Share of the bigram coverage in the confidence. */
  bigramShare?: number;
  /** Share of "best phrasing covered by the question" in the confidence. */
  revShare?: number;
  /** Weight of a question's intent terms (content/nlp/intents.yaml) in the ranking; 0 = off. */
  intentWeight?: number;
  /** Extra confidence a safety topic needs when no danger sign fired. */
  safetyMargin?: number;
  /** Weight of each intent of the question (where, when, cost…) in the confidence; 0 = off. */
  intentCover?: number;
  /** Word weight in the confidence = IDF^idfPower (1 = plain IDF). */
  idfPower?: number;
  /** Added to the threshold for a question typed mostly without diacritics. */
  plainDelta?: number;
  /**
   * What "none of these topics" looks like: general-medicine questions outside the
   * programmes, indexed as pseudo-entries; a question closest to them gets no answer.
   * createProjectFaqMatcher: content/nlp/out-of-scope.yaml; createFaqMatcher: none.
   */
  negatives?: readonly string[];
  /**
   * The score as a probability of being right (content/nlp/calibration.json); answer
   * only when it reaches the model's threshold. null (createFaqMatcher's default): the
   * raw confidence and `threshold`. createProjectFaqMatcher: the project's calibration.
   */
  calibration?: CalibrationFile | null;
}

/** The topic of the out-of-scope pseudo-entries. */
export const NONE_TOPIC = '(none)';
const NEGATIVE_CHUNK = 12;

export const NegativesFile = z.object({ about: z.string().optional(), questions: z.array(z.string().min(2)).min(1) }).strict();

/** General-medicine questions that no topic answers (content/nlp/out-of-scope.yaml). */
export function loadNegatives(file: string = join(contentDir, 'nlp', 'out-of-scope.yaml')): string[] {
  return loadContent(file, NegativesFile).questions;
}

/** The fitted calibration (content/nlp/calibration.json), or null when there is none yet. */
export function loadCalibration(file: string = join(contentDir, 'nlp', 'calibration.json')): CalibrationFile | null {
  if (!existsSync(file)) return null;
  const c = loadContent(file, CalibrationFile);
  return c.features.join() === FEATURES.join() ? c : null;
}

type FieldName = 'questions' | 'title' | 'description' | 'answer' | 'more';
const FIELDS: FieldName[] = ['questions', 'title', 'description', 'answer', 'more'];

const DEFAULTS = {
  threshold: 0.55,
  ambiguityRatio: 0.9,
  ambiguityGap: 0.15,
  weights: { questions: 1, title: 1, description: 0.5, answer: 0.5, more: 0.2 } as Record<FieldName, number>,
  k1: 1.2,
  b: 0.5,
  exactWeight: 0.5,
  stopWeight: 0.1,
  weakWeight: 0.35,
  answerCover: 0.5,
  bigramShare: 0.15,
  revShare: 0.25,
  intentWeight: 1,
  safetyMargin: 0.1,
  idfPower: 0.75,
  intentCover: 1.5,
  plainDelta: 0.03,
};

// ---------------------------------------------------------------------------
// Terms

interface Term {
  key: string;
  weight: number;
}

/** How much each word of an analysed text tells (0 stop word, `weak`, 1). */
function wordWeights(a: Analysed, nlp: Nlp, weak: number): number[] {
  return a.exact.map((e, i) => wordWeight(nlp.stop, e, a.folded[i] as string, a.plain[i] as boolean, weak, a.en === true));
}

/** Retrieval terms of an analysed text: folded and exact unigrams and bigrams. */
function termsOf(a: Analysed, ww: number[], stopWeight: number, exactWeight: number): Term[] {
  const out = new Map<string, number>();
  const add = (key: string, w: number): void => {
    const prev = out.get(key);
    if (prev === undefined || prev < w) out.set(key, w);
  };
  const n = a.exact.length;
  for (let i = 0; i < n; i++) {
    const wi = ww[i] as number;
    const w = wi === 0 ? stopWeight : wi;
    add(`f:${a.folded[i]}`, w);
    if (!a.plain[i]) add(`e:${a.exact[i]}`, w * exactWeight);
    if (i + 1 < n) {
      const stops = (wi === 0 ? 1 : 0) + (ww[i + 1] === 0 ? 1 : 0);
      const bw = stops === 2 ? 0.2 : stops === 1 ? 0.6 : 1;
      add(`F:${a.folded[i]} ${a.folded[i + 1]}`, bw);
      if (!a.plain[i] && !a.plain[i + 1]) add(`E:${a.exact[i]} ${a.exact[i + 1]}`, bw * exactWeight);
    }
  }
  return [...out].map(([key, weight]) => ({ key, weight }));
}

// ---------------------------------------------------------------------------
// Index

interface Doc {
  topic: string;
  /** BM25F pseudo term frequency. */
  tf: Map<string, number>;
  /** Folded unigrams and bigrams in the strong fields (questions, title, description). */
  strongFolded: Set<string>;
  /** Exact unigrams in the strong fields. */
  strongExact: Set<string>;
  /** Folded unigrams that were typed without diacritics in the strong fields. */
  strongPlain: Set<string>;
  answerFolded: Set<string>;
  answerExact: Set<string>;
  answerPlain: Set<string>;
  /** Informative folded words of each phrasing (questions and title), with IDF weights. */
  phrasings: { words: string[]; weights: number[]; total: number }[];
  /** The kinds of question its phrasings ask (content/nlp/intents.yaml). */
  intents: Set<string>;
  /** How much each kind is this entry's: share of its phrasings asking it, ×3, at most 1. */
  intentShare: Map<string, number>;
}

export interface Ranked {
  topic: string;
  /** BM25F score. */
  score: number;
  /** Confidence in [0, 1]. */
  confidence: number;
  /** Parts of the confidence (leaders only): word coverage, bigram coverage, best phrasing covered. */
  parts?: { uni: number; bi: number; rev: number };
  /** The facts the calibration reads, and the probability of being right (the leader only). */
  features?: Features;
  probability?: number;
}

export interface FaqMatcherExt extends FaqMatcher {
  /** In this thread: answers at once. */
  match(question: string): FaqResult;
  /** Every topic, best first, with BM25 score and confidence (for staff tools and tests). */
  rank(question: string): Ranked[];
  /** How the confidence of one topic for a question is made (for staff tools and tuning). */
  explain(question: string, topic: string): string;
  /** The analysed form of a question as the matcher sees it. */
  analyse(question: string): Analysed;
  /** The leader (best real topic) and its calibration facts, without the safety check (for fitting). */
  features(question: string): { topic: string | null; features: Features } | null;
  readonly topics: string[];
}

export function createFaqMatcher(entries: readonly FaqEntry[], topics: TopicList, options: MatcherOptions = {}): FaqMatcherExt {
  const nlp = options.nlp ?? loadNlp();
  const safety = options.safety === undefined ? createSafetyDetector(undefined, nlp.abbr) : options.safety;
  const baseThreshold = options.threshold ?? DEFAULTS.threshold;
  const plainDelta = options.plainDelta ?? DEFAULTS.plainDelta;
  const ambiguityRatio = options.ambiguityRatio ?? DEFAULTS.ambiguityRatio;
  const ambiguityGap = options.ambiguityGap ?? DEFAULTS.ambiguityGap;
  const weights = { ...DEFAULTS.weights, ...(options.weights ?? {}) };
  const k1 = options.k1 ?? DEFAULTS.k1;
  const b = options.b ?? DEFAULTS.b;
  const exactWeight = options.exactWeight ?? DEFAULTS.exactWeight;
  const stopWeight = options.stopWeight ?? DEFAULTS.stopWeight;
  const weakWeight = options.weakWeight ?? DEFAULTS.weakWeight;
  const answerCover = options.answerCover ?? DEFAULTS.answerCover;
  const bigramShare = options.bigramShare ?? DEFAULTS.bigramShare;
  const revShare = options.revShare ?? DEFAULTS.revShare;
  const intentWeight = options.intentWeight ?? DEFAULTS.intentWeight;
  const safetyMargin = options.safetyMargin ?? DEFAULTS.safetyMargin;
  const idfPower = options.idfPower ?? DEFAULTS.idfPower;
  const intentCover = options.intentCover ?? DEFAULTS.intentCover;
  const negatives = options.negatives ?? [];
  const calibrationFile = options.calibration ?? null;
  const calibration: Calibration | null = calibrationFile ? compileCalibration(calibrationFile) : null;

  const describe = new Map(topics.topics.map((t) => [t.id, t.vi]));
  // Diacritics for the plain phrasings, learnt from the content's own diacritic text.
  const analysedText = new Map<string, Analysed>();
  const analyseOnce = (t: string): Analysed => {
    let a = analysedText.get(t);
    if (!a) analysedText.set(t, (a = analyse(t, nlp.abbr)));
    return a;
  };
  const restorer = createRestorer(
    entries.flatMap((e) => [...e.questions, e.title, e.answer, e.more ?? '', describe.get(e.topic) ?? ''].map(analyseOnce)).filter((a) => !a.en),
  );
  // English texts (the entries' `en` block, questions typed in English): stemmed, not restored.
  const prepIndex = (text: string): Analysed => {
    const a = analyseOnce(text);
    return a.en ? stemAnalysed(applySynonyms(a, nlp.synonyms, true)) : applySynonyms(restorer.restore(a), nlp.synonyms, true);
  };
  // Questions are not restored: measured, it lost accuracy (guessed diacritics on a
  // short question do more harm than its folded form matching).
  const prepAnalysed = (a: Analysed): Analysed => (a.en ? stemAnalysed(applySynonyms(a, nlp.synonyms, false)) : applySynonyms(a, nlp.synonyms, false));
  const prepQuery = (text: string): Analysed => prepAnalysed(analyse(text, nlp.abbr));

  // Per entry, per field: raw term counts and lengths.
  interface RawDoc {
    topic: string;
    counts: Record<FieldName, Map<string, number>>;
    lens: Record<FieldName, number>;
    analysed: Record<FieldName, Analysed[]>;
  }
  // One document per entry, its English block beside its Vietnamese text (one matcher
  // for both languages); and the out-of-scope questions in small pseudo-entries.
  const sources: { topic: string; texts: Record<FieldName, string[]> }[] = entries.map((e) => ({
    topic: e.topic,
    texts: {
      questions: [...e.questions, ...(e.en?.questions ?? [])],
      title: [e.title, ...(e.en ? [e.en.title] : [])],
      description: [describe.get(e.topic) ?? ''],
      answer: [e.answer, ...(e.en ? [e.en.answer] : [])],
      more: [...(e.more ? [e.more] : []), ...(e.en?.more ? [e.en.more] : [])],
    },
  }));
  for (let i = 0; i < negatives.length; i += NEGATIVE_CHUNK) {
    sources.push({ topic: NONE_TOPIC, texts: { questions: negatives.slice(i, i + NEGATIVE_CHUNK), title: [], description: [], answer: [], more: [] } });
  }
  const raw: RawDoc[] = sources.map(({ topic, texts }) => {
    const counts = {} as Record<FieldName, Map<string, number>>;
    const lens = {} as Record<FieldName, number>;
    const analysed = {} as Record<FieldName, Analysed[]>;
    for (const f of FIELDS) {
      const m = new Map<string, number>();
      let len = 0;
      analysed[f] = [];
      for (const t of texts[f]) {
        const a = prepIndex(t);
        analysed[f].push(a);
        len += a.exact.length;
        for (const term of termsOf(
          a,
          a.exact.map(() => 1),
          1,
          1,
        ))
          m.set(term.key, (m.get(term.key) ?? 0) + 1);
        if (f === 'questions' || f === 'title') for (const it of intentsOf(a, nlp.intents)) m.set(`i:${it}`, (m.get(`i:${it}`) ?? 0) + 1);
      }
      counts[f] = m;
      lens[f] = len;
    }
    return { topic, counts, lens, analysed };
  });
  const avg = {} as Record<FieldName, number>;
  for (const f of FIELDS) avg[f] = Math.max(1, raw.reduce((s, d) => s + d.lens[f], 0) / Math.max(1, raw.length));

  const df = new Map<string, number>();
  const plainDf = new Map<string, number>();
  const docs: Doc[] = raw.map((r) => {
    const tf = new Map<string, number>();
    const seen = new Set<string>();
    for (const f of FIELDS) {
      if (weights[f] <= 0) continue;
      const norm = 1 - b + (b * r.lens[f]) / avg[f];
      for (const [k, c] of r.counts[f]) {
        tf.set(k, (tf.get(k) ?? 0) + (weights[f] * c) / norm);
        // Word rarity for the confidence: from the short fields only ('more' is long
        // background text; counting it would make unrelated words look familiar).
        if (f !== 'more') seen.add(k);
      }
    }
    // Rarity for the confidence counts real entries only: words of the out-of-scope
    // questions stay "unknown to the FAQ" and keep their full weight.
    if (r.topic !== NONE_TOPIC) for (const k of seen) df.set(k, (df.get(k) ?? 0) + 1);
    const strongFolded = new Set<string>();
    const strongExact = new Set<string>();
    const strongPlain = new Set<string>();
    const answerFolded = new Set<string>();
    const answerExact = new Set<string>();
    const answerPlain = new Set<string>();
    for (const f of FIELDS) {
      if (f === 'more') continue; // retrieval only: too long to judge coverage by
      const strong = f !== 'answer';
      for (const a of r.analysed[f]) {
        a.folded.forEach((w, i) => {
          (strong ? strongFolded : answerFolded).add(w);
          if (a.plain[i]) (strong ? strongPlain : answerPlain).add(w);
          else (strong ? strongExact : answerExact).add(a.exact[i] as string);
          if (strong && i + 1 < a.folded.length) strongFolded.add(`${w} ${a.folded[i + 1]}`);
        });
      }
    }
    if (r.topic !== NONE_TOPIC) for (const w of new Set([...strongPlain, ...answerPlain])) plainDf.set(w, (plainDf.get(w) ?? 0) + 1);
    const intents = new Set<string>();
    const counts = new Map<string, number>();
    const phrasingList = [...r.analysed.questions, ...r.analysed.title];
    for (const a of phrasingList) {
      for (const it of intentsOf(a, nlp.intents)) {
        intents.add(it);
        counts.set(it, (counts.get(it) ?? 0) + 1);
      }
    }
    const intentShare = new Map([...counts].map(([it, c]) => [it, Math.min(1, (3 * c) / Math.max(1, phrasingList.length))]));
    return { topic: r.topic, tf, strongFolded, strongExact, strongPlain, answerFolded, answerExact, answerPlain, phrasings: [], intents, intentShare };
  });
  const N = Math.max(1, docs.filter((d) => d.topic !== NONE_TOPIC).length);
  const idfOf = (d: number): number => Math.log(1 + (N - d + 0.5) / (d + 0.5));
  /** Word weight in the confidence: IDF, compressed so that one unknown word does not outweigh several known ones. */
  const rarity = (d: number): number => idfOf(d) ** idfPower;
  raw.forEach((r, i) => {
    const doc = docs[i] as Doc;
    for (const a of [...r.analysed.questions, ...r.analysed.title]) {
      const words: string[] = [];
      const ws: number[] = [];
      const aw = wordWeights(a, nlp, weakWeight);
      a.folded.forEach((w, j) => {
        if (aw[j] === 0 || words.includes(w)) return;
        words.push(w);
        ws.push((aw[j] as number) * rarity(df.get(`f:${w}`) ?? 0));
      });
      const total = ws.reduce((x, y) => x + y, 0);
      if (total > 0) doc.phrasings.push({ words, weights: ws, total });
    }
  });

  // Postings for speed: term → its IDF and, per document, the saturated tf (what a query
  // multiplies), in flat typed arrays: a question walks them without allocating.
  const lists = new Map<string, [number, number][]>();
  docs.forEach((d, i) => {
    for (const [k, v] of d.tf) {
      let p = lists.get(k);
      if (!p) lists.set(k, (p = []));
      p.push([i, v]);
    }
  });
  const postings = new Map<string, { idf: number; docs: Int32Array; tf: Float64Array }>();
  for (const [k, p] of lists) {
    postings.set(k, { idf: idfOf(p.length), docs: Int32Array.from(p, ([i]) => i), tf: Float64Array.from(p, ([, tf]) => (tf * (k1 + 1)) / (tf + k1)) });
  }

  /** Per-question facts computed once: word weights and intents. */
  interface QueryFacts {
    ww: number[];
    intents: string[];
    folded: Set<string>;
  }
  const factsOf = (q: Analysed): QueryFacts => ({ ww: wordWeights(q, nlp, weakWeight), intents: intentsOf(q, nlp.intents), folded: new Set(q.folded) });

  function scoreAll(q: Analysed, qf: QueryFacts): Float64Array {
    const scores = new Float64Array(docs.length);
    const terms = termsOf(q, qf.ww, stopWeight, exactWeight);
    if (intentWeight > 0) for (const it of qf.intents) terms.push({ key: `i:${it}`, weight: intentWeight });
    for (const t of terms) {
      const p = postings.get(t.key);
      if (!p) continue;
      const w = t.weight * p.idf;
      const { docs: at, tf } = p;
      for (let j = 0; j < at.length; j++) {
        const i = at[j] as number;
        scores[i] = (scores[i] as number) + w * (tf[j] as number);
      }
    }
    return scores;
  }

  /** Confidence that doc `d` answers q: IDF-weighted coverage of the informative words, plus bigrams. */
  function confidence(q: Analysed, d: Doc, trace?: string[]): number {
    return blend(confidenceParts(q, d, factsOf(q), trace));
  }

  function blend(p: Parts): number {
    return (1 - bigramShare - revShare) * p.uni + bigramShare * p.bi + revShare * p.rev;
  }

  interface Parts {
    uni: number;
    bi: number;
    rev: number;
    /** Share of the question's informative weight in words no entry has. */
    unknown: number;
    /** Number of informative words. */
    words: number;
    /** The most of the question's informative weight one phrasing covers. */
    qcov: number;
  }

  /** The question's informative words with their weights, and its bigrams: once per question. */
  interface QueryWords {
    words: { f: string; e: string; plain: boolean; w: number; unknown: boolean }[];
    bigrams: string[];
    /** Informative weight per folded word (for phrasing coverage). */
    byFolded: Map<string, number>;
    total: number;
    unknown: number;
  }

  function queryWords(q: Analysed, qf: QueryFacts): QueryWords {
    const n = q.exact.length;
    const ww = qf.ww;
    const seen = new Set<string>();
    const words: QueryWords['words'] = [];
    const bigrams: string[] = [];
    const byFolded = new Map<string, number>();
    let total = 0;
    let unknown = 0;
    for (let i = 0; i < n; i++) {
      const f = q.folded[i] as string;
      const e = q.exact[i] as string;
      const plain = q.plain[i] as boolean;
      const key = plain ? f : `=${e}`;
      if (ww[i] !== 0 && !seen.has(key)) {
        seen.add(key);
        let seenDf: number;
        if (plain) seenDf = df.get(`f:${f}`) ?? 0;
        else {
          const de = df.get(`e:${e}`) ?? 0;
          seenDf = de > 0 ? de : (plainDf.get(f) ?? 0);
        }
        const w = rarity(seenDf) * (ww[i] as number);
        words.push({ f, e, plain, w, unknown: seenDf === 0 });
        total += w;
        if (seenDf === 0) unknown += w;
        byFolded.set(f, (byFolded.get(f) ?? 0) + w);
      }
      if (i + 1 < n && !(ww[i] === 0 && ww[i + 1] === 0)) bigrams.push(`${f} ${q.folded[i + 1]}`);
    }
    return { words, bigrams, byFolded, total, unknown };
  }

  function confidenceParts(q: Analysed, d: Doc, qf: QueryFacts, trace?: string[], qwIn?: QueryWords): Parts {
    const qw = qwIn ?? queryWords(q, qf);
    let total = qw.total;
    if (total === 0) return { uni: 0, bi: 0, rev: 0, unknown: 0, words: 0, qcov: 0 };
    let covered = 0;
    for (const x of qw.words) {
      const c = x.plain
        ? d.strongFolded.has(x.f)
          ? 1
          : d.answerFolded.has(x.f)
            ? answerCover
            : 0
        : d.strongExact.has(x.e) || d.strongPlain.has(x.f)
          ? 1
          : d.answerExact.has(x.e) || d.answerPlain.has(x.f)
            ? answerCover
            : 0;
      covered += x.w * c;
      trace?.push(`${x.plain ? x.f : x.e}:${x.w.toFixed(2)}×${c}`);
    }
    let biCovered = 0;
    for (const b of qw.bigrams) if (d.strongFolded.has(b)) biCovered++;
    // What is asked counts beside what it is about: each kind of question (where, when,
    // cost, what is it…) weighs like a word, covered when the topic's phrasings ask it.
    const wordTotal = total;
    for (const it of qf.intents) {
      total += intentCover;
      const share = d.intentShare.get(it) ?? 0;
      covered += intentCover * share;
      trace?.push(`?${it}:${intentCover}×${share.toFixed(2)}`);
    }
    const uni = covered / total;
    const bi = qw.bigrams.length === 0 ? uni : biCovered / qw.bigrams.length;
    let rev = 0;
    let qcov = 0;
    for (const p of d.phrasings) {
      let c = 0;
      let cq = 0;
      for (let j = 0; j < p.words.length; j++) {
        const w = p.words[j] as string;
        const x = qw.byFolded.get(w);
        if (x !== undefined) {
          c += p.weights[j] as number;
          cq += x;
        } else if (qf.folded.has(w)) c += p.weights[j] as number;
      }
      if (c / p.total > rev) rev = c / p.total;
      if (cq / wordTotal > qcov) qcov = cq / wordTotal;
    }
    return { uni, bi, rev, unknown: qw.unknown / wordTotal, words: qw.words.length, qcov };
  }

  interface Ranking {
    /** Real topics, best first (leaders with confidence). */
    ranked: Ranked[];
    /** The out-of-scope pseudo-entries' best BM25 score and confidence. */
    none: { score: number; confidence: number };
    /** Facts of the leader for the calibration. */
    features: Features | null;
    /** The question asks about danger signs or emergency care (intent `danger`). */
    asksDanger: boolean;
  }

  function rankFull(q: Analysed, plainShare: number): Ranking {
    const qf = factsOf(q);
    const scores = scoreAll(q, qf);
    const qw = queryWords(q, qf);
    // Best document per topic.
    const best = new Map<string, { score: number; doc: number }>();
    scores.forEach((s, i) => {
      const topic = (docs[i] as Doc).topic;
      const cur = best.get(topic);
      if (!cur || s > cur.score) best.set(topic, { score: s, doc: i });
    });
    const noneBest = best.get(NONE_TOPIC);
    best.delete(NONE_TOPIC);
    const list = [...best].map(([topic, v]) => ({ topic, score: v.score, doc: v.doc }));
    list.sort((x, y) => y.score - x.score);
    let leaderParts: Parts | null = null;
    const ranked: Ranked[] = list.map((r, i) => {
      // Confidence for the leader and the runner-up only (the facts use no more).
      if (i >= 2 || r.score <= 0) return { topic: r.topic, score: r.score, confidence: 0 };
      const parts = confidenceParts(q, docs[r.doc] as Doc, qf, undefined, qw);
      if (i === 0) leaderParts = parts;
      return { topic: r.topic, score: r.score, confidence: blend(parts), parts: { uni: parts.uni, bi: parts.bi, rev: parts.rev } };
    });
    const none =
      noneBest && noneBest.score > 0
        ? { score: noneBest.score, confidence: blend(confidenceParts(q, docs[noneBest.doc] as Doc, qf, undefined, qw)) }
        : { score: 0, confidence: 0 };
    const top = ranked[0];
    let features: Features | null = null;
    const lp = leaderParts as Parts | null;
    if (top && lp && top.score > 0) {
      const second = ranked[1];
      const doc = docs[list[0]?.doc ?? 0] as Doc;
      const qi = qf.intents;
      const hits = qi.filter((x) => doc.intents.has(x)).length;
      features = {
        confidence: top.confidence,
        uni: lp.uni,
        bi: lp.bi,
        rev: lp.rev,
        qcov: lp.qcov,
        margin: top.confidence - (second?.confidence ?? 0),
        ratio: second && top.score > 0 ? second.score / top.score : 0,
        // A close second in the same programme ("premarital.when" vs ".where") is a
        // question of intent, not of subject: it weighs differently from a close stranger.
        siblingRatio: second && top.score > 0 && family(second.topic) === family(top.topic) ? second.score / top.score : 0,
        noneMargin: top.confidence - none.confidence,
        unknown: lp.unknown,
        informative: Math.min(lp.words, 12) / 12,
        plain: plainShare,
        intentMatch: qi.length > 0 && hits === qi.length ? 1 : 0,
        intentMiss: qi.length > 0 && hits === 0 ? 1 : 0,
        english: q.en ? 1 : 0,
      };
      top.features = features;
      top.probability = calibration ? calibration.probability(features) : top.confidence;
    }
    return { ranked, none, features, asksDanger: qf.intents.includes('danger') };
  }

  function rankAnalysed(q: Analysed): Ranked[] {
    return rankFull(q, q.plain.filter(Boolean).length / Math.max(1, q.plain.length)).ranked;
  }

  function match(question: string): FaqResult {
    // Chat questions are short; a pasted essay is cut so that latency stays bounded.
    const a = analyse(question.length > MAX_CHARS ? question.slice(0, MAX_CHARS) : question, nlp.abbr);
    const hit = safety ? safety.detectAnalysed(a) : null;
    if (hit?.kind === 'alarm') return { kind: 'safety', topic: hit.topic, score: 1, verdict: 'alarm' };
    if (hit) {
      // Ask: the calm reading's answer when the FAQ has a confident one, else the route
      // (what a person who answers "yes, now" gets; see the README on the CLI).
      const calm = retrieve(a);
      if (calm.kind === 'answer' && !isSafetyTopic(calm.topic)) return calm;
      return { kind: 'safety', topic: hit.topic, score: 1, verdict: 'ask' };
    }
    return retrieve(a);
  }

  function decide(a: Analysed): { ranking: Ranking; p: number; threshold: number } {
    const q = prepAnalysed(a);
    // Words typed without diacritics are ambiguous ("noi": nói, nơi, nội, nồi), so
    // their matches prove less: a question typed plain needs a little more (the
    // calibration reads the same share as a feature).
    const plainShare = a.plain.filter(Boolean).length / Math.max(1, a.plain.length);
    const ranking = rankFull(q, plainShare);
    const top = ranking.ranked[0];
    const p = top?.probability ?? 0;
    const threshold = calibration ? calibration.threshold : plainShare >= 0.5 && !a.en ? baseThreshold + plainDelta : baseThreshold;
    return { ranking, p, threshold };
  }

  function retrieve(a: Analysed): FaqResult {
    const { ranking, p, threshold } = decide(a);
    const { ranked, none } = ranking;
    const top = ranked[0];
    if (!top || top.score <= 0 || p < threshold) return { kind: 'none', topic: null, score: round(p) };
    // Closest to the out-of-scope questions, and covered by them at least as well: none.
    if (none.score > top.score && none.confidence >= top.confidence) return { kind: 'none', topic: null, score: round(p) };
    if (top.topic === 'safety.emergency' && !ranking.asksDanger) {
      // Only a danger sign, or a question about the danger signs themselves ("dấu hiệu
      // nguy hiểm khi mang thai là gì"), sends someone to 115: retrieval alone ("mình
      // đang mang thai" is close to the emergency entry's phrasings) never does.
      return { kind: 'none', topic: null, score: round(p) };
    }
    if (isSafetyTopic(top.topic)) {
      // Without a sign, a safety answer must be a clear match ("bị bạo lực gia đình thì báo ai").
      if (!calibration && top.confidence < threshold + safetyMargin) return { kind: 'none', topic: null, score: round(p) };
      return { kind: 'safety', topic: top.topic, score: round(p) };
    }
    const second = ranked[1];
    if (
      second &&
      second.score >= ambiguityRatio * top.score &&
      second.confidence >= top.confidence - ambiguityGap &&
      second.confidence >= (calibration ? 0 : threshold)
    ) {
      return { kind: 'ambiguous', topic: top.topic, score: round(p), alternatives: [top.topic, second.topic] };
    }
    return { kind: 'answer', topic: top.topic, score: round(p) };
  }

  return {
    match,
    explain: (question: string, topic: string): string => {
      const q = prepQuery(question);
      const i = docs.findIndex((d) => d.topic === topic);
      const trace: string[] = [];
      const c = i < 0 ? 0 : confidence(q, docs[i] as Doc, trace);
      return `${topic} ${c.toFixed(3)} ${trace.join(' ')}`;
    },
    rank: (question) => rankAnalysed(prepQuery(question)),
    analyse: prepQuery,
    features: (question) => {
      const a = analyse(question.length > MAX_CHARS ? question.slice(0, MAX_CHARS) : question, nlp.abbr);
      const { ranking } = decide(a);
      const top = ranking.ranked[0];
      if (!ranking.features || !top) return null;
      return { topic: top.topic, features: ranking.features };
    },
    topics: [...new Set(entries.map((e) => e.topic))],
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
const family = (topic: string): string => topic.slice(0, topic.indexOf('.'));
const MAX_CHARS = 1000;

/** The matcher over the project's content (content/faq, content/nlp, content/safety). */
export function createProjectFaqMatcher(options: MatcherOptions = {}): FaqMatcherExt {
  const content = loadFaqContent();
  return createFaqMatcher(content.entries, content.topics, { negatives: loadNegatives(), calibration: loadCalibration(), ...options });
}
