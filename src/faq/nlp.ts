/**
 * The matcher's language resources (content/nlp/): abbreviations (see
 * normalize.ts), stop words and synonyms, loaded and zod-validated.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { loadContent } from '../core/content.js';
import { analyse, loadAbbreviations, projectAbbreviations, type Abbreviations, type Analysed } from './normalize.js';
import { compilePattern, matchAt, PatternSet, type Pattern } from './phrases.js';

export const StopwordFile = z
  .object({
    stop: z.array(z.string().min(1)).min(1),
    plain: z.array(z.string().regex(/^[a-z0-9]+$/, 'plain stop words are written without diacritics')).default([]),
    weak: z.array(z.string().min(1)).default([]),
    weakPlain: z.array(z.string().regex(/^[a-z0-9]+$/, 'weakPlain words are written without diacritics')).default([]),
    /** English stop words, for messages written in English (src/faq/normalize.ts isEnglish). */
    english: z.array(z.string().regex(/^[a-z]+$/, 'English stop words are lowercase letters')).default([]),
  })
  .strict();
export const SynonymFile = z
  .object({
    groups: z.array(z.object({ to: z.string().min(1), from: z.array(z.string().min(1)).min(1) }).strict()),
  })
  .strict();

export interface Stopwords {
  /** Exact forms (with diacritics, canonical tones). */
  exact: Set<string>;
  /** Folded forms, used for words typed without diacritics. */
  folded: Set<string>;
  /** Weak words, with diacritics and typed without. */
  weakExact: Set<string>;
  weakFolded: Set<string>;
  /** English stop words, stemmed as the matcher stems English words. */
  english: Set<string>;
}

export interface Synonym {
  pattern: Pattern;
  /** One-word variants must be typed with their diacritics. */
  exactOnly: boolean;
  to: { exact: string[]; folded: string[] };
}

export const IntentFile = z.object({ intents: z.record(z.string().regex(/^[a-z-]+$/), z.array(z.string().min(1)).min(1)) }).strict();

export interface Intent {
  pattern: Pattern;
  /** The intent's name, e.g. "where". */
  name: string;
}

export interface Nlp {
  abbr: Abbreviations;
  stop: Stopwords;
  synonyms: PatternSet<Synonym>;
  intents: PatternSet<Intent>;
}

export function loadIntents(file: string = join(contentDir, 'nlp', 'intents.yaml')): PatternSet<Intent> {
  const parsed = loadContent(file, IntentFile);
  const out: Intent[] = [];
  try {
    for (const [name, phrases] of Object.entries(parsed.intents)) {
      for (const p of phrases) out.push({ pattern: compilePattern(p), name });
    }
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  out.sort((a, b) => b.pattern.words - a.pattern.words);
  return new PatternSet(out);
}

/** The intents named by a message (each once), scanning left to right, longest phrase first. */
export function intentsOf(q: Analysed, intents: PatternSet<Intent>): string[] {
  const found = new Set<string>();
  let i = 0;
  while (i < q.exact.length) {
    let next = i + 1;
    for (const it of intents.candidates(q, i)) {
      const end = matchAt(q, it.pattern, i);
      if (end > i) {
        found.add(it.name);
        next = end;
        break;
      }
    }
    i = next;
  }
  return [...found];
}

export function loadStopwords(file: string = join(contentDir, 'nlp', 'stopwords.yaml')): Stopwords {
  const parsed = { data: loadContent(file, StopwordFile) };
  const exact = new Set<string>();
  const folded = new Set<string>();
  const one = (w: string): string => {
    const a = analyse(w, null);
    if (a.exact.length !== 1) throw new Error(`${file}: "${w}" is not one word`);
    return a.exact[0] as string;
  };
  for (const w of parsed.data.stop) exact.add(one(w));
  for (const w of parsed.data.plain) folded.add(w);
  const weakExact = new Set(parsed.data.weak.map(one));
  const weakFolded = new Set(parsed.data.weakPlain);
  const english = new Set(parsed.data.english.flatMap((w) => [w, stemEnglish(w)]));
  return { exact, folded, weakExact, weakFolded, english };
}

export function loadSynonyms(file: string = join(contentDir, 'nlp', 'synonyms.yaml')): PatternSet<Synonym> {
  const parsed = loadContent(file, SynonymFile);
  const out: Synonym[] = [];
  for (const g of parsed.groups) {
    const to = analyse(g.to, null);
    for (const v of g.from) {
      const pattern = compilePattern(v);
      out.push({ pattern, exactOnly: pattern.words === 1, to: { exact: to.exact, folded: to.folded } });
    }
  }
  // Longest variants first.
  out.sort((a, b) => b.pattern.words - a.pattern.words);
  return new PatternSet(out);
}

export function loadNlp(dir: string = join(contentDir, 'nlp')): Nlp {
  return {
    // The project's own list is one object for every reader: the safety check, the everyday
    // intents and the matcher then share one analysis of a message (normalize.ts keeps it).
    abbr: dir === join(contentDir, 'nlp') ? projectAbbreviations() : loadAbbreviations(join(dir, 'abbreviations.yaml')),
    stop: loadStopwords(join(dir, 'stopwords.yaml')),
    synonyms: loadSynonyms(join(dir, 'synonyms.yaml')),
    intents: loadIntents(join(dir, 'intents.yaml')),
  };
}

export function isStopword(stop: Stopwords, exact: string, folded: string, plain: boolean): boolean {
  return plain ? stop.folded.has(folded) : stop.exact.has(exact);
}

/** How much a word tells about the topic: 0 for a stop word, `weak` for a weak word or a number, else 1. */
export function wordWeight(stop: Stopwords, exact: string, folded: string, plain: boolean, weak: number, en = false): number {
  if (en) return stop.english.has(folded) ? 0 : /^\d+$/.test(folded) ? weak : 1;
  if (plain ? stop.folded.has(folded) : stop.exact.has(exact)) return 0;
  if (/^\d+$/.test(folded)) return weak;
  return (plain ? stop.weakFolded.has(folded) : stop.weakExact.has(exact)) ? weak : 1;
}

/**
 * Rewrites synonym variants to their canonical form. `keep` (used on the FAQ side)
 * keeps the original words and adds the canonical ones after them, so that a
 * question typed either way finds the entry.
 */
export function applySynonyms(q: Analysed, synonyms: PatternSet<Synonym>, keep: boolean): Analysed {
  const exact: string[] = [];
  const folded: string[] = [];
  const plain: boolean[] = [];
  let i = 0;
  const n = q.exact.length;
  while (i < n) {
    let done = false;
    for (const s of synonyms.candidates(q, i)) {
      const end = matchAt(q, s.pattern, i, s.exactOnly);
      if (end < 0) continue;
      if (keep) {
        for (let j = i; j < end; j++) {
          exact.push(q.exact[j] as string);
          folded.push(q.folded[j] as string);
          plain.push(q.plain[j] as boolean);
        }
      }
      for (let j = 0; j < s.to.exact.length; j++) {
        exact.push(s.to.exact[j] as string);
        folded.push(s.to.folded[j] as string);
        plain.push(false);
      }
      i = end;
      done = true;
      break;
    }
    if (done) continue;
    exact.push(q.exact[i] as string);
    folded.push(q.folded[i] as string);
    plain.push(q.plain[i] as boolean);
    i++;
  }
  return q.en ? { exact, folded, plain, en: true } : { exact, folded, plain };
}

/**
 * A light English stemmer for matching (plurals, -ing, -ed, a final e): "screenings"
 * and "screening" meet, "vaccines" and "vaccinated" meet "vaccine". Our own few rules
 * rather than a Porter package: the vocabulary is a few hundred health words, and
 * these rules keep short words ("test", "is", "pregnant") as they are.
 */
export function stemEnglish(word: string): string {
  let w = word;
  if (w.length <= 3 || !/^[a-z]+$/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is|ys|as)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith('ed') && w.length > 4) w = w.slice(0, -2);
  else if (w.endsWith('ly') && w.length > 5) w = w.slice(0, -2);
  if (w.endsWith('ation') && w.length > 7) w = w.slice(0, -5);
  if (w.endsWith('at') && w.length > 6) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  if (/([bdglmnprt])\1$/.test(w) && w.length > 4) w = w.slice(0, -1);
  return w;
}

/** An English message's words stemmed (both lists), for the matcher. */
export function stemAnalysed(a: Analysed): Analysed {
  if (!a.en) return a;
  const s = a.folded.map(stemEnglish);
  return { exact: s, folded: s, plain: a.plain, en: true };
}
