/**
 * Danger-sign detector, run on every message before any flow or FAQ answer.
 * Signs and the context words that qualify them live in content/safety/signs.yaml
 * (its header explains the rules). The result is a verdict:
 *   alarm: an acute sign now, or a person at risk → the safety route at once;
 *   ask:   a sign whose context does not say whether it is happening now → the
 *          engine asks "Bạn đang bị như vậy ngay lúc này không?";
 *   null:  no sign, or a sign in a calm question (prevention, an awareness day, a
 *          habit, a past or treated event, "là dấu hiệu bệnh gì").
 * Four routes: safety.emergency (115), safety.self-harm, safety.violence (adults),
 * safety.child-protection (111).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { loadContent } from '../core/content.js';
import { analyse, projectAbbreviations, type Abbreviations, type Analysed } from './normalize.js';
import { compilePattern, findAll, matchAt, PatternSet, patternSet, type Pattern } from './phrases.js';
import { SAFETY_TOPICS, type SafetyTopic, type SafetyVerdict } from './types.js';

export type { SafetyTopic } from './types.js';

const Phrases = z.array(z.string().min(1)).min(1);
const ContextWords = z.object({ any: Phrases, unless: Phrases.optional() }).strict();

export const SignsFile = z
  .object({
    context: z
      .object({
        present: ContextWords,
        notNow: ContextWords,
        general: ContextWords,
        definition: ContextWords,
        person: ContextWords,
        prevention: ContextWords,
        negation: ContextWords,
        negationEn: ContextWords,
        child: ContextWords,
        childWeak: ContextWords,
        speakerChild: ContextWords,
        adult: ContextWords,
      })
      .strict(),
    signs: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9-]+$/),
            topic: z.enum(SAFETY_TOPICS),
            /** What a plain mention (no context word) means: alarm (default) or ask. */
            level: z.enum(['alarm', 'ask']).default('alarm'),
            /** A state, not an event: habit and past words do not calm it (thoughts of suicide, abuse). */
            timeless: z.boolean().default(false),
            /** Child protection when a child is named, violence when an adult is, else `topic`. */
            byAge: z.boolean().default(false),
            /** With byAge: "em", "con", "cháu" alone make the victim a child (default true). */
            childSpeaker: z.boolean().default(true),
            any: Phrases,
            with: Phrases.optional(),
            unless: Phrases.optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type SignsFile = z.infer<typeof SignsFile>;

interface Context {
  any: PatternSet;
  unless: PatternSet | null;
}

export interface Sign {
  id: string;
  topic: SafetyTopic;
  level: 'alarm' | 'ask';
  timeless: boolean;
  byAge: boolean;
  childSpeaker: boolean;
  any: PatternSet;
  /** The `any` patterns, in order. */
  anyPatterns: Pattern[];
  with: PatternSet | null;
  unless: PatternSet | null;
}

export interface Signs {
  context: Record<keyof SignsFile['context'], Context>;
  signs: Sign[];
}

export interface SafetyHit extends SafetyVerdict {
  /** The sign that decided and the words that matched (for logs and tests). */
  sign: string;
  matched: string;
  /** Why: which context decided ("present", "general", "level", …). */
  why: string;
}

export function compileSigns(file: SignsFile): Signs {
  const ctx = (c: { any: string[]; unless?: string[] | undefined }): Context => ({
    any: patternSet(c.any),
    unless: c.unless ? patternSet(c.unless) : null,
  });
  const c = file.context;
  return {
    context: {
      present: ctx(c.present),
      notNow: ctx(c.notNow),
      general: ctx(c.general),
      definition: ctx(c.definition),
      person: ctx(c.person),
      prevention: ctx(c.prevention),
      negation: ctx(c.negation),
      negationEn: ctx(c.negationEn),
      child: ctx(c.child),
      childWeak: ctx(c.childWeak),
      speakerChild: ctx(c.speakerChild),
      adult: ctx(c.adult),
    },
    signs: file.signs.map((s) => ({
      id: s.id,
      topic: s.topic,
      level: s.level,
      timeless: s.timeless,
      byAge: s.byAge,
      childSpeaker: s.childSpeaker,
      any: patternSet(s.any),
      anyPatterns: s.any.map((x) => compilePattern(x)),
      with: s.with ? patternSet(s.with) : null,
      unless: s.unless ? patternSet(s.unless) : null,
    })),
  };
}

/** Reads and validates the signs file; throws naming the file on bad content. */
export function loadSigns(file: string = join(contentDir, 'safety', 'signs.yaml')): Signs {
  const parsed = loadContent(file, SignsFile);
  try {
    return compileSigns(parsed);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

export interface SafetyDetector {
  /** The verdict for an analysed message, or null. */
  detectAnalysed(q: Analysed): SafetyHit | null;
  detect(text: string): SafetyHit | null;
}

type Span = { start: number; end: number };

/** Spans of a context's words, less those inside (overlapping) its `unless` phrases. */
function spans(q: Analysed, c: Context): Span[] {
  const hits = findAll(q, c.any);
  if (hits.length === 0 || !c.unless) return hits;
  const no = findAll(q, c.unless);
  return hits.filter((h) => !no.some((n) => n.start < h.end && h.start < n.end));
}

const PRIORITY: Record<SafetyTopic, number> = {
  'safety.child-protection': 4,
  'safety.violence': 3,
  'safety.self-harm': 2,
  'safety.emergency': 1,
};

/** Words that make a negation reach one word further ("không bị khó thở", "chưa thấy ra máu"). */
const BRIDGE = new Set(['bi', 'co', 'thay', 'he', 'con', 'bao', 'gio', 'is', 'am', 'are', 'was', 'been', 'any', 'feel']);

export function createSafetyDetector(signs: Signs = loadSigns(), abbr: Abbreviations = projectAbbreviations()): SafetyDetector {
  const cx = signs.context;
  // One index over every sign's first words: a message is scanned once to find the
  // few signs that may match (most messages have none).
  const firstWords = new Set<string>();
  for (const s of signs.signs) for (const w of s.any.firstWords()) firstWords.add(w);
  const allSigns = new PatternSet(signs.signs.flatMap((s, sign) => s.anyPatterns.map((pattern) => ({ pattern, sign }))));

  /** Each sign's occurrences (at each start, its first pattern that matches), in one pass. */
  function signHits(q: Analysed): Map<number, Span[]> {
    const out = new Map<number, Span[]>();
    for (let start = 0; start < q.exact.length; start++) {
      let done: Set<number> | null = null;
      for (const { pattern, sign } of allSigns.candidates(q, start)) {
        if (done?.has(sign)) continue;
        const end = matchAt(q, pattern, start);
        if (end < 0) continue;
        (done ??= new Set()).add(sign);
        let list = out.get(sign);
        if (!list) out.set(sign, (list = []));
        list.push({ start, end });
      }
    }
    return out;
  }

  function ageOf(q: Analysed, childSpeaker: boolean): 'child' | 'adult' | null {
    // "13 tuổi", "lớp 8", "15t": the youngest age named decides.
    let minAge = Infinity;
    for (let i = 0; i + 1 < q.folded.length; i++) {
      const n = Number(q.folded[i]);
      if (/^\d+$/.test(q.folded[i] as string) && (q.folded[i + 1] === 'tuoi' || q.folded[i + 1] === 'years')) minAge = Math.min(minAge, n);
      // English "I am 14", "I'm 14"
      if (q.en && (q.folded[i] === 'am' || q.folded[i] === 'aged') && /^\d+$/.test(q.folded[i + 1] as string))
        minAge = Math.min(minAge, Number(q.folded[i + 1]));
    }
    if (minAge < 18) return 'child';
    if (spans(q, cx.child).length > 0) return 'child';
    if (minAge !== Infinity) return 'adult';
    if (spans(q, cx.adult).length > 0) return 'adult';
    if (spans(q, cx.childWeak).length > 0) return 'child';
    if (childSpeaker && !q.en && spans(q, cx.speakerChild).length > 0) return 'child';
    return null;
  }

  const detectAnalysed = (q: Analysed): SafetyHit | null => {
    if (q.exact.length === 0 || !q.folded.some((w) => firstWords.has(w))) return null;
    // Context spans, computed once per message (most messages match no sign at all).
    let ctx: Record<'present' | 'notNow' | 'general' | 'prevention' | 'negation' | 'definition' | 'person', Span[]> | null = null;
    const context = () =>
      (ctx ??= {
        present: spans(q, cx.present),
        notNow: spans(q, cx.notNow),
        general: spans(q, cx.general),
        definition: spans(q, cx.definition),
        person: spans(q, cx.person),
        prevention: spans(q, cx.prevention),
        negation: spans(q, q.en ? cx.negationEn : cx.negation),
      });
    let best: SafetyHit | null = null;
    let ageWithSpeaker: 'child' | 'adult' | null | undefined;
    let ageWithout: 'child' | 'adult' | null | undefined;
    const bySign = signHits(q);
    for (const [index, s] of signs.signs.entries()) {
      const hits = bySign.get(index);
      if (!hits) continue;
      if (s.with && findAll(q, s.with).length === 0) continue;
      if (s.unless && findAll(q, s.unless).length > 0) continue;
      const c = context();
      for (const h of hits) {
        // Negated: "không bị khó thở", "no bleeding".
        const negated = c.negation.some((n) => n.end === h.start || (n.end + 1 === h.start && BRIDGE.has(q.folded[n.end] as string)));
        if (negated) continue;
        const presentNear = c.present.some(
          (p) => (p.end <= h.start && h.start - p.end <= 4) || (p.start >= h.end && p.start - h.end <= 2) || (p.start < h.end && h.start < p.end),
        );
        if (c.prevention.length > 0 && !presentNear) continue;
        let kind: 'alarm' | 'ask' | null;
        let why: string;
        // a habit or past word outside the sign's own words ("từng bị" before "bị tai biến" counts)
        const notNow = !s.timeless && c.notNow.some((n) => n.start < h.start || n.end > h.end);
        if (presentNear) [kind, why] = ['alarm', 'present'];
        else if (notNow) [kind, why] = c.present.length > 0 ? ['ask', 'present+notNow'] : [null, 'notNow'];
        else if (c.present.length > 0) [kind, why] = ['alarm', 'present'];
        else if (c.definition.length > 0 && !s.timeless && !c.person.some((p) => p.end <= h.start || p.start >= h.end)) [kind, why] = [null, 'definition'];
        else if (c.general.length > 0) [kind, why] = ['ask', 'general'];
        else [kind, why] = [s.level, 'level'];
        if (!kind) continue;
        let topic = s.topic;
        if (s.byAge) {
          const age = s.childSpeaker ? (ageWithSpeaker ??= ageOf(q, true)) : (ageWithout ??= ageOf(q, false));
          if (age === 'child') topic = 'safety.child-protection';
          else if (age === 'adult') topic = 'safety.violence';
        }
        const hit: SafetyHit = { kind, topic, sign: s.id, matched: q.exact.slice(h.start, h.end).join(' '), why };
        if (!best || (hit.kind === 'alarm' && best.kind === 'ask') || (hit.kind === best.kind && PRIORITY[hit.topic] > PRIORITY[best.topic])) {
          best = hit;
        }
      }
    }
    return best;
  };
  return { detectAnalysed, detect: (text) => detectAnalysed(analyse(text, abbr)) };
}

/** The verdict alone, as the engine's SafetyCheck returns it. */
export const verdictOf = (hit: SafetyHit | null): SafetyVerdict | null => (hit ? { kind: hit.kind, topic: hit.topic } : null);
