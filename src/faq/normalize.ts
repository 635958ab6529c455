/**
 * Vietnamese text normalisation for the FAQ matcher and the safety detector.
 *
 * Steps: NFC → lowercase → strip punctuation/emoji → collapse runs of 3+ repeated
 * letters ("khôngggg" → "không"; real doubles such as "xoong" stay) → split into
 * syllables → put the tone mark on one canonical vowel (old and new placements,
 * "hoà"/"hòa", "thuỷ"/"thủy", "qúy"/"quý", become one form) → expand chat
 * abbreviations ("ko" → "không", "bn tiền" → "bao nhiêu tiền", "35t" → "35 tuổi").
 *
 * The result keeps two parallel token lists: `exact` (with diacritics, canonical
 * tone placement) and `folded` (no diacritics, đ → d), plus `plain[i]`: whether
 * token i was typed without diacritics (so its exact form is unknown and only its
 * folded form may be trusted). In a message typed with diacritics every word
 * counts as exact, unmarked ones included.
 */
import { keepLatest } from '../core/memo.js';
import { join } from 'node:path';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { loadContent } from '../core/content.js';
import { fold, hasDiacritics as anyDiacritic } from '../core/text.js';

// ---------------------------------------------------------------------------
// Characters and tones

const TONE_MARKS: Record<string, number> = {
  '\u0300': 1, // huyền
  '\u0340': 1,
  '\u0301': 2, // sắc
  '\u0341': 2,
  '\u0309': 3, // hỏi
  '\u0303': 4, // ngã
  '\u0323': 5, // nặng
};
const TONE_CHARS = ['', '\u0300', '\u0301', '\u0309', '\u0303', '\u0323'] as const;
const QUALITY_MARKS = new Set(['\u0302', '\u0306', '\u031b']); // â ê ô, ă, ơ ư
const BASE_VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);
const HAS_MARK = /[\u0300-\u036f]/;

/** A small cache for per-syllable work (the vocabulary of chat is small). */
function memo(fn: (s: string) => string): (s: string) => string {
  const cache = new Map<string, string>();
  return (s) => {
    let v = cache.get(s);
    if (v === undefined) {
      v = fn(s);
      if (cache.size > 50_000) cache.clear();
      cache.set(s, v);
    }
    return v;
  };
}

/**
 * Lowercase, no diacritics, đ → d, punctuation as spaces: the project's one folding
 * function (src/text/fold.ts), memoised for the short words the matcher folds most.
 */
export function foldText(text: string): string {
  return text.length <= 12 ? foldShort(text) : fold(text);
}
const foldShort = memo(fold);

/** True when the text carries at least one Vietnamese diacritic (or đ). */
export function hasDiacritics(text: string): boolean {
  return anyDiacritic(text.normalize('NFC'));
}

interface Letter {
  base: string; // the letter without any mark
  quality: string; // quality marks (NFD combining chars), tone excluded
}

/**
 * Puts the tone of one lowercase syllable on its canonical vowel.
 * Rule (the "old" placement, the most common in chat): a vowel with a quality
 * mark (â ă ê ô ơ ư; the last one, so ươ → ơ) takes the tone; else in a
 * three-vowel nucleus the middle one; else in a two-vowel nucleus the second one
 * when a final consonant follows (hoàng, toán) and the first one otherwise (hòa,
 * khỏe, thủy, mùa); "qu" and "gi" + vowel count as initials (quý, già).
 * Only consistency matters for matching: both placements map to the same form.
 */
export function canonicalTone(syllable: string): string {
  return canonicalToneMemo(syllable);
}
const canonicalToneMemo = memo((syllable: string): string => {
  const nfd = syllable.normalize('NFD');
  if (!HAS_MARK.test(nfd)) return syllable.normalize('NFC');
  const letters: Letter[] = [];
  let tone = 0;
  for (const ch of nfd) {
    const t = TONE_MARKS[ch];
    if (t !== undefined) {
      tone = t;
      continue;
    }
    if (HAS_MARK.test(ch)) {
      const last = letters[letters.length - 1];
      if (last && QUALITY_MARKS.has(ch)) last.quality += ch;
      else if (last) last.quality += ch; // an unexpected mark: keep it where it was
      continue;
    }
    letters.push({ base: ch, quality: '' });
  }
  if (tone === 0)
    return letters
      .map((l) => l.base + l.quality)
      .join('')
      .normalize('NFC');
  const isVowel = (l: Letter | undefined): boolean => l !== undefined && BASE_VOWELS.has(l.base);
  // The vowel nucleus: the first run of vowels, after a "qu" / "gi" initial.
  let start = letters.findIndex((l) => isVowel(l));
  if (start < 0)
    return letters
      .map((l) => l.base + l.quality)
      .join('')
      .normalize('NFC');
  const first = letters[0];
  const second = letters[1];
  if (
    start === 1 &&
    first &&
    second &&
    second.quality === '' &&
    ((first.base === 'q' && second.base === 'u') || (first.base === 'g' && second.base === 'i')) &&
    isVowel(letters[2])
  ) {
    start = 2;
  }
  let end = start;
  while (isVowel(letters[end + 1])) end++;
  const nucleus: number[] = [];
  for (let i = start; i <= end; i++) nucleus.push(i);
  const hasFinal = end < letters.length - 1;
  let pos: number;
  const marked = nucleus.filter((i) => (letters[i]?.quality ?? '') !== '');
  if (marked.length > 0) pos = marked[marked.length - 1] as number;
  else if (nucleus.length >= 3) pos = nucleus[1] as number;
  else if (nucleus.length === 2) pos = (hasFinal ? nucleus[1] : nucleus[0]) as number;
  else pos = nucleus[0] as number;
  let out = '';
  letters.forEach((l, i) => {
    out += l.base + l.quality + (i === pos ? TONE_CHARS[tone] : '');
  });
  return out.normalize('NFC');
});

/** Collapses runs of 3 or more of the same letter (compared without diacritics) to one. */
export function collapseRepeats(text: string): string {
  if (!/(\p{L})\1\1/u.test(text) && !/[\u0300-\u036f]/.test(text) && !/(.)\1/u.test(text)) return text;
  const chars = [...text];
  let out = '';
  let i = 0;
  while (i < chars.length) {
    const c = chars[i] as string;
    const f = foldText(c);
    let j = i + 1;
    if (/\p{L}/u.test(c)) {
      while (j < chars.length && foldText(chars[j] as string) === f) j++;
    }
    const run = j - i;
    // A run at the start of a word is an abbreviation ("cccd"), not a drawl.
    const atStart = i === 0 || !/\p{L}/u.test(chars[i - 1] as string);
    out += run >= 3 && !atStart ? c : chars.slice(i, j).join('');
    i = j;
  }
  return out;
}

/** NFC, lowercase, punctuation and emoji removed, repeated letters collapsed, canonical tones. */
export function syllables(text: string): string[] {
  const clean = englishContractions(text.normalize('NFC').toLowerCase()).replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ');
  const collapsed = collapseRepeats(clean.normalize('NFC'));
  return collapsed
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .map((t) => canonicalTone(t));
}

/**
 * English contractions, before punctuation goes: "can't" → "cannot", "don't" → "do
 * not", "it's" → "it" (a lone "t" or "s" would otherwise be read as the chat
 * abbreviations "tôi" and "sao"). Vietnamese has no apostrophes.
 */
function englishContractions(text: string): string {
  if (!/['’]/.test(text)) return text;
  return text
    .replace(/\bcan['’]t\b/g, 'cannot')
    .replace(/\bwon['’]t\b/g, 'will not')
    .replace(/n['’]t\b/g, ' not')
    .replace(/\bi['’]m\b/g, 'i am')
    .replace(/['’](s|re|ll|ve|d)\b/g, '');
}

/**
 * i/y spelling variants: after a consonant initial, a lone final "y" is written
 * "i" as well (kỳ/kì, lý/lí, sỹ/sĩ, quý/quí): both map to "i".
 */
export function spellingI(syllable: string): string {
  return spellingIMemo(syllable);
}
const spellingIMemo = memo((syllable: string): string => {
  const nfd = syllable.normalize('NFD');
  const m = /^(qu|[bcdđghklmnpqrstvx]+)y([\u0300-\u036f]*)$/u.exec(nfd);
  if (!m) return syllable;
  return canonicalTone(`${m[1] ?? ''}i${m[2] ?? ''}`.normalize('NFC'));
});

// ---------------------------------------------------------------------------
// Abbreviations (content/nlp/abbreviations.yaml)

const Key = z.string().regex(/^[a-z0-9]+$/, 'abbreviation keys are lowercase ASCII (đ typed as d)');
const Expansion = z.string().min(1);
const FoldedWords = z.array(z.string().min(1));

const ContextRule = z
  .object({
    expand: Expansion,
    /** The next token (folded) is one of these. */
    next: FoldedWords.optional(),
    /** The previous token (folded) is one of these. */
    prev: FoldedWords.optional(),
    /** The token is the last of the message. */
    last: z.boolean().optional(),
    /** The token is the first of the message. */
    first: z.boolean().optional(),
  })
  .strict();

export const AbbreviationFile = z
  .object({
    simple: z.record(Key, Expansion),
    contextual: z
      .record(
        Key,
        z
          .object({
            default: Expansion.nullable(),
            when: z.array(ContextRule).min(1),
          })
          .strict(),
      )
      .default({}),
    /** Units glued to a number: "35t" → "35 tuổi", "12w" → "12 tuần". */
    units: z.record(Key, Expansion).default({}),
  })
  .strict();
export type AbbreviationFile = z.infer<typeof AbbreviationFile>;

export interface Abbreviations {
  simple: Map<string, string[]>;
  contextual: Map<
    string,
    {
      default: string[] | null;
      when: { expand: string[]; next?: Set<string>; prev?: Set<string>; last?: boolean; first?: boolean }[];
    }
  >;
  units: Map<string, string[]>;
}

const split = (s: string): string[] => syllables(s);

export function compileAbbreviations(file: AbbreviationFile): Abbreviations {
  const simple = new Map<string, string[]>();
  for (const [k, v] of Object.entries(file.simple)) simple.set(k, split(v));
  const contextual: Abbreviations['contextual'] = new Map();
  for (const [k, v] of Object.entries(file.contextual)) {
    contextual.set(k, {
      default: v.default === null ? null : split(v.default),
      when: v.when.map((r) => ({
        expand: split(r.expand),
        ...(r.next ? { next: new Set(r.next.map((w) => foldText(w))) } : {}),
        ...(r.prev ? { prev: new Set(r.prev.map((w) => foldText(w))) } : {}),
        ...(r.last !== undefined ? { last: r.last } : {}),
        ...(r.first !== undefined ? { first: r.first } : {}),
      })),
    });
  }
  const units = new Map<string, string[]>();
  for (const [k, v] of Object.entries(file.units)) units.set(k, split(v));
  return { simple, contextual, units };
}

/** Reads and validates an abbreviation table; throws naming the file on bad content. */
export function loadAbbreviations(file: string = join(contentDir, 'nlp', 'abbreviations.yaml')): Abbreviations {
  return compileAbbreviations(loadContent(file, AbbreviationFile));
}

let defaultAbbreviations: Abbreviations | undefined;
/** The project's table, loaded once. */
export function projectAbbreviations(): Abbreviations {
  defaultAbbreviations ??= loadAbbreviations();
  return defaultAbbreviations;
}

// ---------------------------------------------------------------------------
// Analysis

export interface Analysed {
  /** Tokens with diacritics (canonical tone placement). */
  exact: string[];
  /** The same tokens without diacritics. */
  folded: string[];
  /** plain[i]: token i was typed without diacritics (its exact form is a guess). */
  plain: boolean[];
  /** The message is English (no abbreviations expanded; English stop words and stems apply). */
  en?: boolean;
}

/** A Vietnamese syllable's shape, without diacritics: onset, vowels, final consonant. */
const VI_SYLLABLE =
  /^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?(uye|uya|oai|oay|uoi|uou|ieu|yeu|uay|uy|oa|oe|oo|ua|ue|uo|ui|uu|ia|ie|ye|ai|ao|au|ay|eo|eu|oi|ou|iu|[aeiouy])(ch|ng|nh|[cmnpt]|i|o|u|y)?$/;
/** Short English words that are also Vietnamese-shaped ("the", "to", "can", "me"). */
const EN_SHAPED = new Set(
  'a an the to i me my you your we our he she his her it its is am are was be do did can may in on at of or and for how what when where which who why no not get need have has had will would should could there this that than then so if any all one two as up by from with'.split(
    ' ',
  ),
);

/**
 * Whether a message is English: typed without diacritics and mostly words that are
 * not Vietnamese syllables ("pregnant", "checkup", "how") or common English words.
 * Chat abbreviations ("dc", "bn", "ntn") are not counted either way.
 */
export function isEnglish(raw: readonly string[], abbr: Abbreviations | null): boolean {
  let words = 0;
  let english = 0;
  for (const t of raw) {
    if (!/\p{L}/u.test(t) || /\d/.test(t)) continue;
    if (hasDiacritics(t)) return false;
    if (abbr && !EN_SHAPED.has(t) && (abbr.simple.has(t) || abbr.contextual.has(t))) continue;
    words++;
    if (EN_SHAPED.has(t) || !VI_SYLLABLE.test(t)) english++;
  }
  return english >= 2 && english / words >= 0.6;
}

const ASCIIISH = /^[a-z0-9đ]+$/;

/**
 * Normalises a message into parallel exact / folded syllable lists, expanding
 * chat abbreviations on the folded form of tokens typed without diacritics.
 */
export function analyse(text: string, abbr: Abbreviations | null = projectAbbreviations()): Analysed {
  // One message is analysed by the safety check, the everyday intents and the matcher in
  // turn: the few latest analyses are kept (frozen: shared, so never changed by a reader).
  const key = abbr ?? NO_ABBREVIATIONS;
  let recent = RECENT.get(key);
  if (!recent) RECENT.set(key, (recent = new Map()));
  const hit = recent.get(text);
  if (hit) return hit;
  const a = analyseOnce(text, abbr);
  Object.freeze(a.exact);
  Object.freeze(a.folded);
  Object.freeze(a.plain);
  keepLatest(recent, text, Object.freeze(a), RECENT_SIZE);
  return a;
}

const RECENT_SIZE = 16;
const NO_ABBREVIATIONS = {};
const RECENT = new WeakMap<object, Map<string, Analysed>>();

function analyseOnce(text: string, abbr: Abbreviations | null): Analysed {
  const raw = syllables(text);
  const exact: string[] = [];
  const folded: string[] = [];
  const plain: boolean[] = [];
  if (isEnglish(raw, abbr)) {
    for (const t of raw) {
      // the same i/y rule as Vietnamese words, so that a one-word pattern "my" meets "my"
      const w = spellingI(t);
      exact.push(w);
      folded.push(w);
      plain.push(/\p{L}/u.test(t));
    }
    return { exact, folded, plain, en: true };
  }
  const push = (words: string[], wasPlain: boolean): void => {
    for (const word of words) {
      const w = spellingI(word);
      exact.push(w);
      folded.push(foldText(w));
      plain.push(wasPlain);
    }
  };
  const rawFolded = raw.map((t) => foldText(t));
  // A message typed with diacritics: its unmarked words ("cao", "khi", "nipt") are
  // really unmarked, not typed plain. Mixed typing is rare; a third of the words
  // with marks is taken as "typed with diacritics" (English words lower the share).
  let letters = 0;
  let marked = 0;
  raw.forEach((t, i) => {
    if (!/\p{L}/u.test(t)) return;
    const f = rawFolded[i] as string;
    if (abbr && ASCIIISH.test(t) && (abbr.simple.has(f) || abbr.contextual.has(f))) return;
    letters++;
    if (hasDiacritics(t)) marked++;
  });
  const typedWithDiacritics = letters > 0 && marked / letters >= 0.3;
  for (let i = 0; i < raw.length; i++) {
    const tok = raw[i] as string;
    const f = rawFolded[i] as string;
    const isPlain = !typedWithDiacritics && /\p{L}/u.test(tok) && !hasDiacritics(tok);
    if (abbr && ASCIIISH.test(tok)) {
      const simple = abbr.simple.get(f);
      if (simple) {
        push(simple, false);
        continue;
      }
      const ctx = abbr.contextual.get(f);
      if (ctx) {
        const next = rawFolded[i + 1];
        const prev = rawFolded[i - 1];
        const rule = ctx.when.find(
          (r) =>
            (r.next === undefined || (next !== undefined && r.next.has(next))) &&
            (r.prev === undefined || (prev !== undefined && r.prev.has(prev))) &&
            (r.last === undefined || r.last === (i === raw.length - 1)) &&
            (r.first === undefined || r.first === (i === 0)),
        );
        const words = rule ? rule.expand : ctx.default;
        if (words) push(words, false);
        else push([tok], isPlain);
        continue;
      }
      const unit = /^(\d+)([a-z]+)$/.exec(f);
      if (unit) {
        const words = abbr.units.get(unit[2] as string);
        if (words) {
          push([unit[1] as string], false);
          push(words, false);
          continue;
        }
      }
    }
    push([tok], isPlain);
  }
  return { exact, folded, plain };
}

/** Exact and folded token lists of a message (the brief's normalisation entry point). */
export function normalize(text: string, abbr: Abbreviations | null = projectAbbreviations()): { exact: string[]; folded: string[] } {
  const a = analyse(text, abbr);
  return { exact: a.exact, folded: a.folded };
}
