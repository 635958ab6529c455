/**
 * `check` remembering its latest `size` answers, for a pure check of a message
 * that several handlers of one update make (a hook's "may it write?" before
 * the lock, then its run), with other updates' checks in between.
 */
export function rememberLatest<R>(check: (text: string) => R, size = 64): (text: string) => R {
  const kept = new Map<string, R>();
  return (text) => {
    if (kept.has(text)) return kept.get(text) as R;
    const answer = check(text);
    if (kept.size >= size) kept.delete(kept.keys().next().value as string);
    kept.set(text, answer);
    return answer;
  };
}
