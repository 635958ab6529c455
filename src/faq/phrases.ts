/**
 * Phrase patterns over analysed messages, shared by the safety detector and the
 * synonym table.
 *
 * A pattern is words with diacritics; "*" stands for a gap of 0 to 2 words
 * ("chảy * máu" matches "chảy máu", "chảy nhiều máu"). A message word matches a
 * pattern word when the forms with diacritics are equal, or when the message word
 * was typed without diacritics and the folded forms are equal. So "tự tử" matches
 * "tu tu" but not "từ từ". A pattern starting with "=" only matches words typed
 * with their diacritics: "=tự vẫn" must not fire on "tu van" (tư vấn).
 */
import { analyse, type Analysed } from './normalize.js';

export const MAX_GAP = 2;

export type PatternItem = { exact: string; folded: string } | { gap: number } | { min: number };

export interface Pattern {
  source: string;
  items: PatternItem[];
  /** Number of words (gaps excluded). */
  words: number;
  /** Words must be typed with diacritics ("=" prefix). */
  exactOnly: boolean;
}

export function compilePattern(source: string): Pattern {
  const items: PatternItem[] = [];
  const exactOnly = source.trimStart().startsWith('=');
  const parts = (exactOnly ? source.trimStart().slice(1) : source).split('*');
  parts.forEach((part, i) => {
    if (i > 0) items.push({ gap: MAX_GAP });
    // "#>=180": any number of at least 180 ("huyết áp * #>=180" matches "huyết áp lên 200").
    // Words are analysed together, so that an English phrase stays English ("my" is not "mi").
    let words: string[] = [];
    const flush = (): void => {
      const a = analyse(words.join(' '), null);
      a.exact.forEach((e, j) => {
        items.push({ exact: e, folded: a.folded[j] as string });
      });
      words = [];
    };
    for (const piece of part.trim().split(/\s+/).filter(Boolean)) {
      const num = /^#>=(\d+)$/.exec(piece);
      if (!num) {
        words.push(piece);
        continue;
      }
      flush();
      items.push({ min: Number(num[1]) });
    }
    flush();
  });
  const words = items.filter((it) => !('gap' in it)).length;
  if (words === 0) throw new Error(`empty pattern "${source}"`);
  const first = items[0];
  const last = items[items.length - 1];
  if ((first && !('exact' in first)) || (last && 'gap' in last)) throw new Error(`pattern "${source}" starts with * or a number, or ends with *`);
  return { source, items, words, exactOnly };
}

function wordMatches(q: Analysed, i: number, it: { exact: string; folded: string }, exactOnly: boolean): boolean {
  if (q.exact[i] === it.exact) return true;
  return !exactOnly && q.plain[i] === true && q.folded[i] === it.folded;
}

/** End index (exclusive) of a match of `p` starting at token `start`, or -1. */
export function matchAt(q: Analysed, p: Pattern, start: number, exactOnlyArg = false): number {
  return matchFrom(q, p, exactOnlyArg || p.exactOnly, 0, start);
}

/** Item `item` of `p` onwards, from word `pos`: where the match ends, or -1. (Module-level: no closure per call on the hot path.) */
function matchFrom(q: Analysed, p: Pattern, exactOnly: boolean, item: number, pos: number): number {
  if (item === p.items.length) return pos;
  const n = q.exact.length;
  const it = p.items[item] as PatternItem;
  if ('gap' in it) {
    for (let g = 0; g <= it.gap && pos + g <= n; g++) {
      const end = matchFrom(q, p, exactOnly, item + 1, pos + g);
      if (end >= 0) return end;
    }
    return -1;
  }
  if (pos >= n) return -1;
  if ('min' in it) {
    const v = Number(q.folded[pos]);
    return /^\d+$/.test(q.folded[pos] as string) && v >= it.min ? matchFrom(q, p, exactOnly, item + 1, pos + 1) : -1;
  }
  if (!wordMatches(q, pos, it, exactOnly)) return -1;
  return matchFrom(q, p, exactOnly, item + 1, pos + 1);
}

/** Patterns indexed by the folded form of their first word, for speed. */
export class PatternSet<T extends { pattern: Pattern } = { pattern: Pattern }> {
  private readonly byFirst = new Map<string, T[]>();
  constructor(items: readonly T[]) {
    for (const it of items) {
      const first = it.pattern.items[0];
      if (!first || !('exact' in first)) continue;
      let list = this.byFirst.get(first.folded);
      if (!list) this.byFirst.set(first.folded, (list = []));
      list.push(it);
    }
  }
  /** The folded first words of its patterns. */
  firstWords(): IterableIterator<string> {
    return this.byFirst.keys();
  }
  /** Items whose pattern may start at token i (in the order given). */
  candidates(q: Analysed, i: number): readonly T[] {
    return this.byFirst.get(q.folded[i] as string) ?? [];
  }
}

/** The first match of any pattern anywhere in the message, or null. */
export function findAny(q: Analysed, patterns: PatternSet): { pattern: Pattern; start: number; end: number } | null {
  for (let s = 0; s < q.exact.length; s++) {
    for (const { pattern } of patterns.candidates(q, s)) {
      const end = matchAt(q, pattern, s);
      if (end >= 0) return { pattern, start: s, end };
    }
  }
  return null;
}

/** Every match of any pattern (at each start, the first pattern that matches), left to right. */
export function findAll(q: Analysed, patterns: PatternSet): { pattern: Pattern; start: number; end: number }[] {
  const out: { pattern: Pattern; start: number; end: number }[] = [];
  for (let s = 0; s < q.exact.length; s++) {
    for (const { pattern } of patterns.candidates(q, s)) {
      const end = matchAt(q, pattern, s);
      if (end >= 0) {
        out.push({ pattern, start: s, end });
        break;
      }
    }
  }
  return out;
}

export const patternSet = (sources: readonly string[]): PatternSet => new PatternSet(sources.map((s) => ({ pattern: compilePattern(s) })));
