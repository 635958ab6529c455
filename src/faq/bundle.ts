import { keepLatest, rememberLatest } from '../core/memo.js';
import type { FaqBundle, SafetyCheck, TextFacts } from './types.js';
import { createFaqMatcher, type FaqContent, type FaqMatcherExt, loadCalibration, loadFaqContent, loadNegatives } from './matcher.js';
import type { MatcherPool } from './matcher-pool.js';
import { createEverydayDetector } from './everyday.js';
import { createSafetyDetector, verdictOf } from './safety.js';

/**
 * The matcher as the bot answers with it: content/faq's entries, calibrated
 * probabilities (content/nlp/calibration.json), out-of-scope questions
 * recognised by content/nlp/out-of-scope.yaml. The engine checks safety before
 * any flow or FAQ, so the matcher need not check again.
 */
export function createContentMatcher(content: FaqContent = loadFaqContent()): FaqMatcherExt {
  return createFaqMatcher(content.entries, content.topics, { safety: null, negatives: loadNegatives(), calibration: loadCalibration() });
}

/** Everything the FAQ side makes of a message, in one place: this thread, or a matcher worker (the same code). */
export function createTextInspector(content: FaqContent = loadFaqContent()): (text: string) => TextFacts {
  const matcher = createContentMatcher(content);
  const safety = createSafetyCheck();
  const everyday = createEverydayDetector();
  return (text) => ({ verdict: safety(text), everyday: everyday(text), result: matcher.match(text) });
}

/** The safety check the engine runs first (content/safety/signs.yaml): a verdict, or null. */
function createSafetyCheck(): SafetyCheck {
  const detector = createSafetyDetector();
  return (text) => verdictOf(detector.detect(text));
}

/** Messages worked out ahead and kept for their handlers: enough for every update in flight. */
const PREPARED_KEPT = 256;

/**
 * The project's FAQ: content/faq entries, the matcher over them, the safety
 * check. With `pool` (matcher workers), each message is worked out there,
 * once (`prepare`), and this thread builds no index; the safety check and the
 * everyday intents are still worked out here when a message was not prepared
 * (or its facts were already dropped), so they never depend on the workers.
 */
export function loadFaqBundle(options: { pool?: MatcherPool } = {}): FaqBundle {
  const content = loadFaqContent();
  const entries = new Map(content.entries.map((e) => [e.topic, e]));
  const everyday = rememberLatest(createEverydayDetector());
  const safetyHere = createSafetyCheck();
  const { pool } = options;
  if (!pool) return { entries, matcher: createContentMatcher(content), safety: safetyHere, everyday };

  const prepared = new Map<string, TextFacts>();
  return {
    entries,
    matcher: { match: (text) => prepared.get(text)?.result ?? pool.match(text) },
    safety: (text) => {
      const facts = prepared.get(text);
      return facts ? facts.verdict : safetyHere(text);
    },
    everyday: (text) => {
      const facts = prepared.get(text);
      return facts ? facts.everyday : everyday(text);
    },
    async prepare(text) {
      if (prepared.has(text)) return;
      try {
        const facts = await pool.inspect(text);
        keepLatest(prepared, text, facts, PREPARED_KEPT);
      } catch {
        // The pool logged why; the handlers work the message out when they ask.
      }
    },
  };
}
