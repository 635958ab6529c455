/**
 * Puts diacritics back on FAQ phrasings typed without them ("que cay tranh thai"
 * → "que cấy tránh thai"), using the content's own diacritic text as the model:
 * for each word typed plain, the form with diacritics seen most often next to its
 * neighbours (bigrams), else the most frequent form overall. Without it, a
 * question typed WITH diacritics would match a plain phrasing by its folded form
 * only: "mùa" (season) would match "mua" (buy), "cây" (tree) "cay" (cấy).
 * Words never seen with diacritics stay as they are (plain).
 */
import type { Analysed } from './normalize.js';

export interface Restorer {
  restore(a: Analysed): Analysed;
}

export function createRestorer(texts: readonly Analysed[]): Restorer {
  const uni = new Map<string, Map<string, number>>();
  const bi = new Map<string, number>();
  for (const a of texts) {
    for (let i = 0; i < a.exact.length; i++) {
      if (a.plain[i]) continue;
      const f = a.folded[i] as string;
      const e = a.exact[i] as string;
      if (e === f) continue; // no diacritics in the word itself: nothing to learn
      let m = uni.get(f);
      if (!m) uni.set(f, (m = new Map()));
      m.set(e, (m.get(e) ?? 0) + 1);
    }
    for (let i = 0; i + 1 < a.exact.length; i++) {
      if (a.plain[i] || a.plain[i + 1]) continue;
      const k = `${a.exact[i]} ${a.exact[i + 1]}`;
      bi.set(k, (bi.get(k) ?? 0) + 1);
    }
  }
  // Plain words that are also real words without diacritics ("khi", "con", "nipt")
  // keep their own form as a candidate when the content uses it.
  const asIs = new Map<string, number>();
  for (const a of texts) {
    a.exact.forEach((e, i) => {
      if (!a.plain[i] && e === a.folded[i]) asIs.set(e, (asIs.get(e) ?? 0) + 1);
    });
  }

  function candidates(f: string): [string, number][] {
    const m = uni.get(f);
    const out: [string, number][] = m ? [...m] : [];
    const own = asIs.get(f);
    if (own) out.push([f, own]);
    return out;
  }

  return {
    restore(a: Analysed): Analysed {
      if (!a.plain.some(Boolean)) return a;
      const exact = [...a.exact];
      const plain = [...a.plain];
      for (let i = 0; i < exact.length; i++) {
        if (!plain[i]) continue;
        const cands = candidates(a.folded[i] as string);
        if (cands.length === 0) continue;
        const prev = i > 0 ? exact[i - 1] : undefined;
        const nextCands = i + 1 < exact.length ? (plain[i + 1] ? candidates(a.folded[i + 1] as string).map(([c]) => c) : [exact[i + 1] as string]) : [];
        let best = '';
        let bestScore = -1;
        const total = cands.reduce((s, [, n]) => s + n, 0);
        for (const [c, n] of cands) {
          let score = n / total;
          if (prev !== undefined) score += 3 * (bi.get(`${prev} ${c}`) ?? 0);
          for (const nx of nextCands) score += 3 * (bi.get(`${c} ${nx}`) ?? 0);
          if (score > bestScore) {
            bestScore = score;
            best = c;
          }
        }
        exact[i] = best;
        plain[i] = false;
      }
      return { exact, folded: a.folded, plain };
    },
  };
}
