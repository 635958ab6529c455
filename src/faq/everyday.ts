/**
 * Everyday messages that are not questions: a greeting, thanks, "I am pregnant",
 * "remind my mother", "stop". Words in content/nlp/everyday.yaml (its header has the
 * rules). An intent fires only when the whole message is that intent, so a real
 * question that starts with "chào bác sĩ" is still a question.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { loadContent } from '../core/content.js';
import { analyse, projectAbbreviations, type Abbreviations, type Analysed } from './normalize.js';
import { compilePattern, matchAt, PatternSet, type Pattern } from './phrases.js';
import { EVERYDAY_INTENTS, type EverydayIntent } from './types.js';

const Phrases = z.array(z.string().min(1)).min(1);
const Intent = z.object({ core: Phrases, with: Phrases.optional(), words: Phrases.optional() }).strict();
export const EverydayFile = z
  .object({
    filler: Phrases,
    intents: z.object(Object.fromEntries(EVERYDAY_INTENTS.map((k) => [k, Intent])) as Record<EverydayIntent['intent'], typeof Intent>).strict(),
  })
  .strict();
export type EverydayFile = z.infer<typeof EverydayFile>;

interface Item {
  pattern: Pattern;
}
const set = (phrases: readonly string[]): PatternSet<Item> =>
  new PatternSet([...phrases].map((p) => ({ pattern: compilePattern(p) })).sort((a, b) => b.pattern.words - a.pattern.words));

interface Compiled {
  intent: EverydayIntent['intent'];
  core: PatternSet<Item>;
  with: PatternSet<Item> | null;
  words: PatternSet<Item>;
}

/** The longest phrase of `s` at token i: its end, or -1. */
function longestAt(q: Analysed, s: PatternSet<Item>, i: number): number {
  let best = -1;
  for (const it of s.candidates(q, i)) best = Math.max(best, matchAt(q, it.pattern, i));
  return best;
}

export type EverydayDetector = (text: string) => EverydayIntent | null;

export function createEverydayDetector(
  file: string = join(contentDir, 'nlp', 'everyday.yaml'),
  abbr: Abbreviations = projectAbbreviations(),
): EverydayDetector {
  const data = loadContent(file, EverydayFile);
  const filler = set(data.filler);
  // In priority order: the first that covers the whole message wins.
  const intents: Compiled[] = EVERYDAY_INTENTS.map((intent) => {
    const d = data.intents[intent];
    return { intent, core: set(d.core), with: d.with ? set(d.with) : null, words: set(d.words ?? ['ạ']) };
  });
  const polite = intents.filter((c) => c.intent === 'greeting' || c.intent === 'thanks');

  /** Whether intent c covers every token of q; whether one of its core phrases (and `with`) occurred. */
  function covers(q: Analysed, c: Compiled): boolean {
    let i = 0;
    let core = false;
    let withSeen = c.with === null;
    const n = q.exact.length;
    while (i < n) {
      if (/^\d+$/.test(q.folded[i] as string)) {
        i++;
        continue;
      }
      const ends: [number, string][] = [[longestAt(q, c.core, i), 'core']];
      if (c.with) ends.push([longestAt(q, c.with, i), 'with']);
      ends.push([longestAt(q, c.words, i), 'word'], [longestAt(q, filler, i), 'filler']);
      for (const p of polite) if (p !== c) ends.push([longestAt(q, p.core, i), 'filler'], [longestAt(q, p.words, i), 'filler']);
      let best: [number, string] = [-1, ''];
      for (const e of ends) if (e[0] > best[0]) best = e;
      if (best[0] <= i) return false;
      if (best[1] === 'core') core = true;
      if (best[1] === 'with') withSeen = true;
      i = best[0];
    }
    return core && withSeen;
  }

  function details(q: Analysed, intent: EverydayIntent['intent'], c: Compiled): EverydayIntent {
    const numberBefore = (units: string[]): number | undefined => {
      for (let i = 0; i + 1 < q.folded.length; i++) {
        if (/^\d+$/.test(q.folded[i] as string) && units.includes(q.folded[i + 1] as string)) return Number(q.folded[i]);
      }
      return undefined;
    };
    if (intent === 'pregnant') {
      const weeks = numberBefore(['tuan', 'weeks', 'week']);
      const months = numberBefore(['thang', 'months', 'month']);
      return { intent, ...(weeks !== undefined ? { weeks } : {}), ...(months !== undefined ? { months } : {}) };
    }
    if (intent === 'subscribe-relative') {
      let relation: string | undefined;
      for (let i = 0; i < q.exact.length && !relation && c.with; i++) {
        const end = longestAt(q, c.with, i);
        if (end > i) relation = q.exact.slice(i, end).join(' ');
      }
      const age = numberBefore(['tuoi', 'years']);
      return { intent, ...(relation ? { relation } : {}), ...(age !== undefined ? { age } : {}) };
    }
    return { intent } as EverydayIntent;
  }

  return (text: string): EverydayIntent | null => {
    if (text.length > 200) return null;
    const q = analyse(text, abbr);
    if (q.exact.length === 0 || q.exact.length > 24) return null;
    for (const c of intents) if (covers(q, c)) return details(q, c.intent, c);
    return null;
  };
}
