import type { FaqBundle, FaqMatcher } from './types.js';
import { createFaqMatcher, type FaqContent, type FaqMatcherExt, loadCalibration, loadFaqContent, loadNegatives } from './matcher.js';
import { createEverydayDetector } from './everyday.js';
import { createSafetyDetector, verdictOf } from './safety.js';

/**
 * The matcher as the bot answers with it: content/faq's entries, calibrated
 * probabilities (content/nlp/calibration.json), out-of-scope questions
 * recognised by content/nlp/out-of-scope.yaml. The engine checks safety before
 * any flow or FAQ, so the matcher need not check again. The same in this
 * thread and in a matcher worker (matcher-worker.ts).
 */
export function createContentMatcher(content: FaqContent = loadFaqContent()): FaqMatcherExt {
  return createFaqMatcher(content.entries, content.topics, { safety: null, negatives: loadNegatives(), calibration: loadCalibration() });
}

/**
 * The project's FAQ: content/faq entries, the matcher over them, the safety
 * check. `matcher`: one already running elsewhere (the worker pool), so this
 * thread does not build its own index.
 */
export function loadFaqBundle(options: { matcher?: FaqMatcher } = {}): FaqBundle {
  const content = loadFaqContent();
  const safety = createSafetyDetector();
  return {
    entries: new Map(content.entries.map((e) => [e.topic, e])),
    matcher: options.matcher ?? createContentMatcher(content),
    safety: (text) => verdictOf(safety.detect(text)),
    everyday: lastOf(createEverydayDetector()),
  };
}

/** The engine asks about one message several times (a stop word? read-only? which intent?): answered once. */
function lastOf<T>(detect: (text: string) => T): (text: string) => T {
  let last: { text: string; result: T } | null = null;
  return (text) => {
    if (last?.text !== text) last = { text, result: detect(text) };
    return last.result;
  };
}
