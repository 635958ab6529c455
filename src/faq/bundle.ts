import type { FaqBundle } from './types.js';
import { createFaqMatcher, loadCalibration, loadFaqContent, loadNegatives } from './matcher.js';
import { createEverydayDetector } from './everyday.js';
import { createSafetyDetector, verdictOf } from './safety.js';

/** The project's FAQ: content/faq entries, the matcher over them, the safety check. */
export function loadFaqBundle(): FaqBundle {
  const content = loadFaqContent();
  const safety = createSafetyDetector();
  return {
    entries: new Map(content.entries.map((e) => [e.topic, e])),
    // The engine checks safety before any flow or FAQ, so the matcher need not check again.
    // Scores are calibrated probabilities (content/nlp/calibration.json); out-of-scope
    // questions are recognised by content/nlp/out-of-scope.yaml.
    matcher: createFaqMatcher(content.entries, content.topics, { safety: null, negatives: loadNegatives(), calibration: loadCalibration() }),
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
