import { fromLocal, localParts } from './time.js';

/** What a person typed for a date and/or a time: "20/12", "20/12/2026 8h", "8:30", "7h30", "8 giờ", "mai 2 giờ chiều". */
export interface TypedWhen {
  date?: { d: number; m: number; y?: number } | { relativeDays: number };
  time?: { h: number; mi: number };
}

/** Lowercase without diacritics, keeping the marks dates and times use (/ : . -). */
const foldKeep = (raw: string) =>
  raw
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9/:.-]+/g, ' ')
    .trim();

/** Parses a typed date and/or time; null when it holds neither or something that is not one. */
export function parseWhen(raw: string): TypedWhen | null {
  let s = ` ${foldKeep(raw)} `;
  const out: TypedWhen = {};
  const date = /\s(?:ngay\s+)?(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2}|\d{4}))?(?=\s)/.exec(s);
  if (date) {
    const y = date[3] === undefined ? undefined : date[3].length === 2 ? 2000 + Number(date[3]) : Number(date[3]);
    out.date = { d: Number(date[1]), m: Number(date[2]), ...(y === undefined ? {} : { y }) };
    s = s.replace(date[0], ' ');
  } else {
    const rel = /\s(hom nay|ngay mai|mai|ngay kia|mot)(?=\s)/.exec(s);
    if (rel) {
      out.date = { relativeDays: rel[1] === 'hom nay' ? 0 : rel[1] === 'ngay kia' || rel[1] === 'mot' ? 2 : 1 };
      s = s.replace(rel[0], ' ');
    }
  }
  const time =
    /\s(?:luc\s+)?(\d{1,2})\s*(?::|h|g|gio)\s*(\d{1,2})?\s*(?:p|ph|phut)?(?=\s)/.exec(s) ??
    (out.date ? null : /^\s*(?:luc\s+)?(\d{1,2})()(?=\s+(?:sang|chieu|toi|trua)\s*$)/.exec(s));
  if (time) {
    let h = Number(time[1]);
    const mi = time[2] ? Number(time[2]) : 0;
    s = s.replace(time[0], ' ');
    const half = /\s(sang|trua|chieu|toi)(?=\s)/.exec(s);
    if (half) {
      if ((half[1] === 'chieu' || half[1] === 'toi') && h < 12) h += 12;
      s = s.replace(half[0], ' ');
    }
    out.time = { h, mi };
    if (h > 23 || mi > 59) return null;
  }
  if (!out.date && !out.time) return null;
  // Anything left besides filler words means we did not understand it all.
  const rest = s.replace(/\s(ngay|luc|vao|thu\s*\d|thu\s+[a-z]+|chu nhat)(?=\s)/g, ' ').trim();
  if (rest) return null;
  return out;
}

/**
 * The calendar day a typed date means, seen from `now`: a date without a year is
 * the next one to come (20/1 typed in December is next January). Null if no such day.
 */
export function resolveDate(date: NonNullable<TypedWhen['date']>, now: Date): { y: number; m: number; d: number } | null {
  const today = localParts(now);
  if ('relativeDays' in date) {
    const day = new Date(Date.UTC(today.y, today.m - 1, today.d + date.relativeDays));
    return { y: day.getUTCFullYear(), m: day.getUTCMonth() + 1, d: day.getUTCDate() };
  }
  const valid = (y: number) => {
    const t = new Date(Date.UTC(y, date.m - 1, date.d));
    return t.getUTCFullYear() === y && t.getUTCMonth() === date.m - 1 && t.getUTCDate() === date.d;
  };
  if (date.y !== undefined) return valid(date.y) ? { y: date.y, m: date.m, d: date.d } : null;
  let y = today.y;
  if (date.m < today.m || (date.m === today.m && date.d < today.d)) y += 1;
  if (!valid(y)) return valid(y + 1) && date.m === 2 && date.d === 29 ? { y: y + 1, m: 2, d: 29 } : null;
  return { y, m: date.m, d: date.d };
}

/** A duration typed as people type it: "90 phút", "2 tiếng", "2h", "1h30", "3 giờ", "120" (minutes), "2" (hours). Minutes, or null. */
export function parseDuration(raw: string): number | null {
  const s = foldKeep(raw);
  let m = /^(\d{1,2})\s*(?:h|g|gio|tieng)\s*(\d{1,2})?\s*(?:p|ph|phut)?$/.exec(s);
  let minutes: number | null = null;
  if (m) minutes = Number(m[1]) * 60 + (m[2] ? Number(m[2]) : 0);
  else if ((m = /^(\d{1,3})\s*(?:p|ph|phut)$/.exec(s))) minutes = Number(m[1]);
  else if ((m = /^(\d{1,3})$/.exec(s))) minutes = Number(m[1]) <= 12 ? Number(m[1]) * 60 : Number(m[1]);
  return minutes !== null && minutes >= 15 && minutes <= 12 * 60 ? minutes : null;
}

/**
 * The instant a typed date and time mean, seen from `now` (`fallbackDate` when
 * only a time was typed). 'past' for a moment already gone, null for nonsense.
 */
export function resolveWhen(
  typed: TypedWhen,
  now: Date,
  fallbackDate?: { y: number; m: number; d: number },
): Date | 'past' | 'need-date' | 'need-time' | null {
  const day = typed.date ? resolveDate(typed.date, now) : fallbackDate ?? null;
  if (typed.date && !day) return null;
  if (!day) return 'need-date';
  if (!typed.time) return 'need-time';
  const at = fromLocal(day.y, day.m, day.d, typed.time.h, typed.time.mi);
  return at <= now ? 'past' : at;
}
