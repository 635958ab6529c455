/** What the matcher decided for one question. */
export type FaqResult =
  /** A confident answer from the FAQ. */
  | { kind: 'answer'; topic: string; score: number }
  /** Two close topics: ask "Ý bạn là …?" with both. */
  | { kind: 'ambiguous'; topic: string; score: number; alternatives: string[] }
  /** A danger sign or a child at risk: answered before any retrieval. */
  | { kind: 'safety'; topic: 'safety.emergency' | 'safety.child-protection'; score: number }
  /** Out of scope or too unsure: say honestly we do not know. */
  | { kind: 'none'; topic: null; score: number };

/** The one interface the engine knows; built once from content, then pure and synchronous. */
export interface FaqMatcher {
  match(question: string): FaqResult;
}
