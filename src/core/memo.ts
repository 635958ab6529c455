/**
 * Sets `key` in `map` as its newest entry, dropping the oldest (a Map keeps
 * insertion order) so that it holds at most `size`: the bounded memos of the
 * hot path (latest analyses, checks, prepared messages, answered questions).
 */
export function keepLatest<K, V>(map: Map<K, V>, key: K, value: V, size: number): void {
  map.delete(key);
  if (map.size >= size) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

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
    keepLatest(kept, text, answer, size);
    return answer;
  };
}
