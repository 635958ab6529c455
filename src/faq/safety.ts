/**
 * Danger-sign detector, run on every message before the FAQ is searched.
 * Signs live in content/safety/signs.yaml (see the comments there for the rules).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { analyse, projectAbbreviations, type Abbreviations, type Analysed } from './normalize.js';
import { findAny, patternSet, type PatternSet } from './phrases.js';

export type SafetyTopic = 'safety.emergency' | 'safety.child-protection';

const Phrases = z.array(z.string().min(2)).min(1);
export const SignsFile = z
  .object({
    signs: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9-]+$/),
            topic: z.enum(['safety.emergency', 'safety.child-protection']),
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

export interface Sign {
  id: string;
  topic: SafetyTopic;
  any: PatternSet;
  with: PatternSet | null;
  unless: PatternSet | null;
}

export interface SafetyHit {
  topic: SafetyTopic;
  /** The sign that fired and the words that matched (for logs and tests). */
  sign: string;
  matched: string;
}

export function compileSigns(file: SignsFile): Sign[] {
  return file.signs.map((s) => ({
    id: s.id,
    topic: s.topic,
    any: patternSet(s.any),
    with: s.with ? patternSet(s.with) : null,
    unless: s.unless ? patternSet(s.unless) : null,
  }));
}

/** Reads and validates the signs file; throws naming the file on bad content. */
export function loadSigns(file: string = join(contentDir, 'safety', 'signs.yaml')): Sign[] {
  let parsed;
  try {
    parsed = SignsFile.safeParse(parseYaml(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  try {
    return compileSigns(parsed.data);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

export interface SafetyDetector {
  /** The danger sign in an analysed message, or null. Child protection wins over emergency. */
  detectAnalysed(q: Analysed): SafetyHit | null;
  detect(text: string): SafetyHit | null;
}

export function createSafetyDetector(signs: Sign[] = loadSigns(), abbr: Abbreviations = projectAbbreviations()): SafetyDetector {
  const detectAnalysed = (q: Analysed): SafetyHit | null => {
    let emergency: SafetyHit | null = null;
    for (const s of signs) {
      if (s.topic === 'safety.emergency' && emergency) continue;
      const hit = findAny(q, s.any);
      if (!hit) continue;
      if (s.with && !findAny(q, s.with)) continue;
      if (s.unless && findAny(q, s.unless)) continue;
      const found: SafetyHit = { topic: s.topic, sign: s.id, matched: q.exact.slice(hit.start, hit.end).join(' ') };
      if (s.topic === 'safety.child-protection') return found;
      emergency = found;
    }
    return emergency;
  };
  return { detectAnalysed, detect: (text) => detectAnalysed(analyse(text, abbr)) };
}
