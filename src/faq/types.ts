import type { FaqEntry } from './schema.js';

/** The safety routes, checked before any flow or FAQ answer. */
export const SAFETY_TOPICS = ['safety.emergency', 'safety.child-protection', 'safety.self-harm', 'safety.violence'] as const;
export type SafetyTopic = (typeof SAFETY_TOPICS)[number];
export const isSafetyTopic = (v: unknown): v is SafetyTopic => SAFETY_TOPICS.includes(v as SafetyTopic);

/**
 * What the safety check decided for one message. `alarm`: an acute sign now,
 * answer with the route at once. `ask`: an alarming sign whose context does not
 * say whether it is happening now; the engine asks one short question back
 * ("Bạn đang bị như vậy ngay lúc này không?") before either alarming or answering calmly.
 */
export type SafetyVerdict = { kind: 'alarm' | 'ask'; topic: SafetyTopic };

/** The safety check that runs before any flow or FAQ: a verdict, or null (no danger sign). */
export type SafetyCheck = (text: string) => SafetyVerdict | null;

/** What the matcher decided for one question. */
export type FaqResult =
  /** A confident answer from the FAQ. */
  | { kind: 'answer'; topic: string; score: number }
  /** Two close topics: ask "Ý bạn là …?" with both. */
  | { kind: 'ambiguous'; topic: string; score: number; alternatives: string[] }
  /**
   * A danger sign or a person at risk (`verdict` says what the safety check decided;
   * absent when a safety entry was found by retrieval alone).
   */
  | { kind: 'safety'; topic: SafetyTopic; score: number; verdict?: SafetyVerdict['kind'] }
  /** Out of scope or too unsure: say honestly we do not know. */
  | { kind: 'none'; topic: null; score: number };

/**
 * The one interface the engine knows; built once from content, then pure. In
 * this thread it answers at once; the worker pool (matcher-pool.ts) answers
 * later, from another core.
 */
export interface FaqMatcher {
  match(question: string): FaqResult | Promise<FaqResult>;
}

/** Everyday messages that are not questions, in the order they are tried (src/faq/everyday.ts). */
export const EVERYDAY_INTENTS = ['stop', 'subscribe-relative', 'pregnant', 'thanks', 'greeting'] as const;

/**
 * A whole message that is an everyday intent, not a question:
 * - greeting ("hi ad", "chào ad"), thanks ("tks ad", "cảm ơn", "thank you");
 * - pregnant: a statement of pregnancy ("em có bầu được 4 tháng"), with the weeks or
 *   months when given;
 * - subscribe-relative: subscribe a relative to reminders ("đăng ký nhắc khám cho mẹ
 *   mình 70 tuổi"), with the relation as typed and the age when given;
 * - stop: stop messages ("thôi, dừng lại đi", "đừng nhắn nữa").
 */
export type EverydayIntent =
  | { intent: 'greeting' }
  | { intent: 'thanks' }
  | { intent: 'stop' }
  | { intent: 'pregnant'; weeks?: number; months?: number }
  | { intent: 'subscribe-relative'; relation?: string; age?: number };

/** What the FAQ side makes of one message: its safety verdict, everyday intent and answer, from one analysis. */
export interface TextFacts {
  verdict: SafetyVerdict | null;
  everyday: EverydayIntent | null;
  result: FaqResult;
}

/** The FAQ side of the engine: entries by topic, the matcher, the safety check. */
export interface FaqBundle {
  entries: ReadonlyMap<string, FaqEntry>;
  matcher: FaqMatcher;
  safety: SafetyCheck;
  /** Everyday intents (greeting, thanks, pregnant, subscribe-relative, stop), or null for anything else. */
  everyday?: (text: string) => EverydayIntent | null;
  /**
   * Works a message out ahead, off the event loop (the matcher workers), so that
   * `safety`, `everyday` and `matcher` then answer it from memory. Never fails:
   * whatever it could not learn is worked out when asked.
   */
  prepare?: (text: string) => Promise<void>;
}
