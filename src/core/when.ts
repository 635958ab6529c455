import { fromLocal, localParts } from './time.js';

/**
 * Dates, times and durations as people type them, in Vietnamese (with or
 * without diacritics) and, in English mode, in English. Pure functions: what
 * was typed → what it names; `resolve*` turn that into a day or an instant
 * seen from `now`, in Hải Phòng time (time.ts).
 */

/** A part of the day: "sáng", "trưa", "chiều", "tối", "đêm" (morning, noon, afternoon, evening, night). */
export type PartOfDay = 'morning' | 'noon' | 'afternoon' | 'evening' | 'night';

export type TypedDate =
  /** A calendar day; `nextYear`: "năm sau" said instead of a year. */
  | { d: number; m: number; y?: number; nextYear?: boolean }
  /** "hôm nay" 0, "mai" 1, "ngày kia" 2, "3 ngày nữa" 3. */
  | { relativeDays: number }
  /** A weekday (0 = Sunday … 6 = Saturday) of this week ("thứ 5 này"), of next week ("thứ 5 tuần sau"), or the next to come (null). */
  | { weekday: number; week: 'this' | 'next' | null };

/** What a person typed for a date and/or a time: "20/12", "20/12/2026 8h", "sáng thứ 5 tuần sau 7h30", "tối nay 8h", "April 28, 2027 9am". */
export interface TypedWhen {
  date?: TypedDate;
  time?: { h: number; mi: number };
  /** A part of the day said without an hour ("sáng mai"): the hour is still needed. */
  part?: PartOfDay;
}

/** `locale` 'en': English month names, weekdays and words are understood too (Vietnamese forms always are). */
export interface ParseOptions {
  locale?: string;
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

const VI_NUMBERS: Record<string, number> = {
  mot: 1,
  hai: 2,
  ba: 3,
  tu: 4,
  bon: 4,
  nam: 5,
  sau: 6,
  bay: 7,
  tam: 8,
  chin: 9,
  muoi: 10,
  'muoi mot': 11,
  'muoi hai': 12,
  gieng: 1,
  chap: 12,
};
const VI_MONTH = '(\\d{1,2}|muoi mot|muoi hai|mot|hai|ba|tu|bon|nam|sau|bay|tam|chin|muoi|gieng|chap)';
const viMonth = (w: string) => (/^\d+$/.test(w) ? Number(w) : (VI_NUMBERS[w] ?? 0));

const EN_MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const EN_MONTH = '(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)';
const enMonth = (w: string) => EN_MONTHS.indexOf(w.slice(0, 3)) + 1;

/** Vietnamese weekdays: thứ 2 … thứ 7 (Monday … Saturday), chủ nhật (Sunday). */
const VI_WEEKDAY = /\s(?:thu\s*(hai|ba|tu|nam|sau|bay|[2-7])|t([2-7])|(chu nhat|cn))(?:\s+(tuan sau|tuan toi|tuan upcoming|tuan nay|nay|upcoming))?(?=\s)/;
const VI_WEEKDAY_NUMBER: Record<string, number> = { hai: 1, ba: 2, tu: 3, nam: 4, sau: 5, bay: 6 };
const EN_WEEKDAY =
  /\s(?:(next|this|coming)\s+)?(sunday|monday|tuesday|wednesday|thursday|friday|saturday|sun|mon|tues|tue|wed|thurs|thur|thu|fri|sat)(?:\s+(next week|this week))?(?=\s)/;
const EN_WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const PARTS: Record<string, PartOfDay> = {
  sang: 'morning',
  trua: 'noon',
  chieu: 'afternoon',
  toi: 'evening',
  dem: 'night',
  morning: 'morning',
  noon: 'noon',
  afternoon: 'afternoon',
  evening: 'evening',
  night: 'night',
};

/** Words that may stand around a date or a time without changing it. */
const FILLER = /\s(ngay|luc|vao|hom|nhe|nha|khoang|tam|cua|buoi|vao luc|at|on|the|of|in|around|about|by)(?=\s)/g;

/** The hour a part of the day gives a clock hour: "tối 8h" is 20:00, "trưa 1h" 13:00, "đêm 11h" 23:00. */
function withPart(h: number, part: PartOfDay | undefined): number {
  if (!part || h >= 12) return h;
  if (part === 'afternoon' || part === 'evening') return h + 12;
  if (part === 'noon') return h <= 5 ? h + 12 : h;
  if (part === 'night') return h >= 6 ? h + 12 : h;
  return h;
}

/** A small cursor over the folded text: each form found is cut out, and what is left at the end must be filler. */
class Typed {
  s: string;
  constructor(raw: string) {
    // "tới" (coming) and "tối" (evening) fold alike: the first is set apart while its mark is still there.
    this.s = ` ${foldKeep(raw.normalize('NFC').replace(/tới/giu, ' upcoming '))} `;
  }
  take(re: RegExp): RegExpExecArray | null {
    const m = re.exec(this.s);
    if (m) this.s = `${this.s.slice(0, m.index)} ${this.s.slice(m.index + m[0].length)}`;
    return m;
  }
  rest(): string {
    return this.s.replace(FILLER, ' ').replace(FILLER, ' ').trim();
  }
}

/** A time of day typed: "7h30", "7:30", "7 giờ rưỡi", "8 giờ kém 15", "8am", "2:30 pm", "noon". */
function takeTime(t: Typed, en: boolean): { h: number; mi: number } | null {
  const ampm = t.take(/\s(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.?|p\.m\.?)(?=\s)/);
  if (ampm) {
    const h = Number(ampm[1]);
    if (h < 1 || h > 12) return { h: 99, mi: 0 };
    return { h: (h % 12) + (ampm[3]!.startsWith('p') ? 12 : 0), mi: ampm[2] ? Number(ampm[2]) : 0 };
  }
  if (en && t.take(/\s(noon|midday)(?=\s)/)) return { h: 12, mi: 0 };
  const clock = t.take(/\s(?:luc\s+)?(\d{1,2})\s*(?::|h|g|gio)\s*(?:(\d{1,2})\s*(?:p|ph|phut)?|(ruoi)|kem\s*(\d{1,2})\s*(?:p|ph|phut)?)?(?=\s)/);
  if (!clock) return null;
  const h = Number(clock[1]);
  if (clock[3]) return { h, mi: 30 };
  if (clock[4]) {
    const less = Number(clock[4]);
    return less > 0 && less < 60 ? { h: h - 1, mi: 60 - less } : { h: 99, mi: 0 };
  }
  return { h, mi: clock[2] ? Number(clock[2]) : 0 };
}

/** A calendar day typed: "20/12", "20-12-2026", "ngày 28 tháng 4 năm 2027", in English "April 28, 2027", "28 Apr". */
function takeDay(t: Typed, en: boolean): { d: number; m: number; y?: number } | null {
  const year = (y: string | undefined) => (y === undefined ? {} : { y: y.length === 2 ? 2000 + Number(y) : Number(y) });
  const numeric = t.take(/\s(?:ngay\s+)?(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2}|\d{4}))?(?=\s)/);
  if (numeric) return { d: Number(numeric[1]), m: Number(numeric[2]), ...year(numeric[3]) };
  const words = t.take(new RegExp(`\\s(?:ngay\\s+)?(\\d{1,2})\\s+thang\\s+${VI_MONTH}(?:\\s*(?:/|nam)\\s*(\\d{4}))?(?=\\s)`));
  if (words) return { d: Number(words[1]), m: viMonth(words[2]!), ...year(words[3]) };
  if (!en) return null;
  const md = t.take(new RegExp(`\\s${EN_MONTH}\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:\\s+(\\d{4}))?(?=\\s)`));
  if (md) return { d: Number(md[2]), m: enMonth(md[1]!), ...year(md[3]) };
  const dm = t.take(new RegExp(`\\s(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${EN_MONTH}(?:\\s+(\\d{4}))?(?=\\s)`));
  if (dm) return { d: Number(dm[1]), m: enMonth(dm[2]!), ...year(dm[3]) };
  return null;
}

function takeWeekday(t: Typed, en: boolean): Extract<TypedDate, { weekday: number }> | null {
  const vi = t.take(VI_WEEKDAY);
  if (vi) {
    const word = vi[1] ?? vi[2];
    const weekday = vi[3] ? 0 : word && /^\d$/.test(word) ? Number(word) - 1 : (VI_WEEKDAY_NUMBER[word ?? ''] ?? -1);
    if (weekday < 0) return null;
    const q = vi[4];
    return { weekday, week: q === 'tuan sau' || q === 'tuan toi' || q === 'tuan upcoming' ? 'next' : q === 'tuan nay' || q === 'nay' ? 'this' : null };
  }
  if (!en) return null;
  const w = t.take(EN_WEEKDAY);
  if (!w) return null;
  const next = w[3] === 'next week' || Boolean(t.take(/\s(next week)(?=\s)/));
  return { weekday: EN_WEEKDAYS.indexOf(w[2]!.slice(0, 3)), week: next ? 'next' : null };
}

function takeRelative(t: Typed, en: boolean): number | null {
  const n = t.take(/\s(\d{1,2})\s+ngay\s+(?:nua|toi|upcoming)(?=\s)/) ?? (en ? t.take(/\sin\s+(\d{1,2})\s+days?(?=\s)/) : null);
  if (n) return Number(n[1]);
  const vi = t.take(/\s(hom nay|nay|ngay mai|mai|ngay kia|ngay mot|mot)(?=\s)/);
  if (vi) return vi[1] === 'hom nay' || vi[1] === 'nay' ? 0 : vi[1] === 'ngay mai' || vi[1] === 'mai' ? 1 : 2;
  if (!en) return null;
  const word = t.take(/\s(today|tonight|the day after tomorrow|day after tomorrow|tomorrow)(?=\s)/);
  if (!word) return null;
  if (word[1] === 'tonight') t.s += ' evening ';
  return word[1] === 'today' || word[1] === 'tonight' ? 0 : word[1] === 'tomorrow' ? 1 : 2;
}

/** Parses a typed date and/or time; null when it holds neither, or something that is not one. */
export function parseWhen(raw: string, opts: ParseOptions = {}): TypedWhen | null {
  const en = opts.locale === 'en';
  const t = new Typed(raw);
  const out: TypedWhen = {};
  let time = takeTime(t, en);
  const day = takeDay(t, en);
  const weekday = takeWeekday(t, en); // beside a date it only repeats it ("thứ 2, 20/12")
  if (day) {
    const year = t.take(/\s(nam sau|nam toi|nam upcoming|next year|nam nay|this year)(?=\s)/);
    out.date = year && !/nay|this/.test(year[1]!) ? { ...day, nextYear: true } : day;
  } else if (weekday) out.date = weekday;
  const relative = out.date ? null : takeRelative(t, en);
  if (relative !== null) out.date = { relativeDays: relative };
  const part = t.take(/\s(buoi\s+)?(sang|trua|chieu|toi|dem|morning|noon|afternoon|evening|night)(?=\s)/);
  if (part) out.part = PARTS[part[2]!]!;
  // A lone number is the hour after "lúc" / "at", or beside a part of the day: "mai lúc 8", "8 tối", "tonight at 8".
  if (!time) {
    const bare = t.take(out.part ? /\s(?:luc\s+|at\s+)?(\d{1,2})(?=\s)/ : /\s(?:luc|at)\s+(\d{1,2})(?=\s)/);
    if (bare) time = { h: Number(bare[1]), mi: 0 };
  }
  if (time) {
    const h = withPart(time.h, out.part);
    if (h > 23 || time.h < 0 || time.mi > 59) return null;
    out.time = { h, mi: time.mi };
  }
  if (!out.date && !out.time) return null;
  // Anything left besides filler words means we did not understand it all.
  if (t.rest()) return null;
  return out;
}

/** A local calendar day. */
export interface Day {
  y: number;
  m: number;
  d: number;
}

const dayAfter = (today: Day, days: number): Day => {
  const at = new Date(Date.UTC(today.y, today.m - 1, today.d + days));
  return { y: at.getUTCFullYear(), m: at.getUTCMonth() + 1, d: at.getUTCDate() };
};

/**
 * The calendar day a typed date means, seen from `now`: a date without a year is
 * the next one to come (20/1 typed in December is next January); a weekday
 * alone is the next such day after today. Null if no such day.
 */
export function resolveDate(date: TypedDate, now: Date): Day | null {
  const today = localParts(now);
  if ('relativeDays' in date) return dayAfter(today, date.relativeDays);
  if ('weekday' in date) {
    // Weeks run Monday to Sunday ("thứ 2" to "chủ nhật").
    const fromMonday = (wd: number) => (wd + 6) % 7;
    if (date.week === null) return dayAfter(today, (date.weekday - today.weekday + 7) % 7 || 7);
    const offset = fromMonday(date.weekday) - fromMonday(today.weekday) + (date.week === 'next' ? 7 : 0);
    return dayAfter(today, offset);
  }
  const valid = (y: number) => {
    const t = new Date(Date.UTC(y, date.m - 1, date.d));
    return t.getUTCFullYear() === y && t.getUTCMonth() === date.m - 1 && t.getUTCDate() === date.d;
  };
  const fixed = date.y ?? (date.nextYear ? today.y + 1 : undefined);
  if (fixed !== undefined) return valid(fixed) ? { y: fixed, m: date.m, d: date.d } : null;
  let y = today.y;
  if (date.m < today.m || (date.m === today.m && date.d < today.d)) y += 1;
  if (!valid(y)) return valid(y + 1) && date.m === 2 && date.d === 29 ? { y: y + 1, m: 2, d: 29 } : null;
  return { y, m: date.m, d: date.d };
}

/**
 * A duration typed as people type it: "90 phút", "2 tiếng", "2h", "1h30",
 * "3 tiếng rưỡi", "nửa tiếng", "120" (minutes), "2" (hours), in English "2 hours",
 * "1.5 hours", "90 min"; or an end time ("đến 11h", "tới 4 giờ chiều", "until
 * 11:30"), counted from `start`. Minutes (15 to 12 hours), or null.
 */
export function parseDuration(raw: string, opts: ParseOptions & { start?: Date } = {}): number | null {
  const s = foldKeep(raw.replace(/(\d),(\d)/g, '$1.$2'))
    .replace(/\band\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const ok = (minutes: number | null) => (minutes !== null && Number.isFinite(minutes) && minutes >= 15 && minutes <= 12 * 60 ? Math.round(minutes) : null);
  const end = /^(?:den|toi|until|till|to|-)\s*(.+)$/.exec(s);
  if (end) {
    if (!opts.start) return null;
    const typed = parseWhen(end[1]!, opts);
    if (!typed?.time || typed.date) return null;
    const from = localParts(opts.start);
    const startMin = from.h * 60 + from.mi;
    let endMin = typed.time.h * 60 + typed.time.mi;
    // "đến 4h" after a 13:30 start is 16:00.
    if (endMin <= startMin && typed.time.h < 12 && !typed.part) endMin += 12 * 60;
    return ok(endMin - startMin);
  }
  if (/^(?:nua tieng|nua gio|half an hour)$/.test(s)) return ok(30);
  const hour = '(?:h|g|gio|tieng|tieng dong ho|hours?|hrs?)';
  const minute = '(?:p|ph|phut|m|mins?|minutes?)';
  const one = new RegExp(`^(?:mot|an|one)\\s+${hour}(\\s+(?:ruoi|a half))?$`).exec(s);
  if (one) return ok(one[1] ? 90 : 60);
  const hm = new RegExp(`^(\\d{1,2}(?:\\.\\d{1,2})?)\\s*${hour}\\s*(?:(\\d{1,2})\\s*${minute}?|(ruoi|a half))?$`).exec(s);
  if (hm) return ok(Number(hm[1]) * 60 + (hm[3] ? 30 : hm[2] ? Number(hm[2]) : 0));
  const m = new RegExp(`^(\\d{1,3})\\s*${minute}$`).exec(s);
  if (m) return ok(Number(m[1]));
  const bare = /^(\d{1,3})$/.exec(s);
  if (bare) return ok(Number(bare[1]) <= 12 ? Number(bare[1]) * 60 : Number(bare[1]));
  return null;
}

/** A month typed, maybe with which part of it: "tháng 4", "cuối tháng 4 năm sau", "5/2027", "late April 2027". */
export interface TypedMonth {
  m: number;
  y?: number;
  nextYear?: boolean;
  part: 'early' | 'mid' | 'late' | null;
}

/** Parses a month (no day), as typed for a due date or a wedding; null when it is not one. */
export function parseMonth(raw: string, opts: ParseOptions = {}): TypedMonth | null {
  const en = opts.locale === 'en';
  const s = foldKeep(raw).replace(/^mid-/, 'mid ').replace(/[.]$/, '');
  const yearOf = (y: string | undefined) => (y === undefined ? {} : { y: y.length === 2 ? 2000 + Number(y) : Number(y) });
  const vi = new RegExp(
    `^(?:(dau|giua|cuoi)\\s+)?(?:thang\\s+)?${VI_MONTH}(?:\\s*(?:/|-|\\s)\\s*(?:nam\\s+)?(\\d{4}|\\d{2})|\\s+(nam sau|nam toi|nam nay))?$`,
  ).exec(s);
  if (vi && (vi[1] || /thang/.test(s) || /^\d/.test(vi[2]!))) {
    const m = viMonth(vi[2]!);
    if (m < 1 || m > 12) return null;
    const part = vi[1] === 'dau' ? 'early' : vi[1] === 'giua' ? 'mid' : vi[1] === 'cuoi' ? 'late' : null;
    return { m, ...yearOf(vi[3]), ...(vi[4] === 'nam sau' || vi[4] === 'nam toi' ? { nextYear: true } : {}), part };
  }
  if (!en) return null;
  const e = new RegExp(
    `^(?:(early|mid|middle of|the middle of|late|end of|the end of|beginning of|the beginning of|start of)\\s+)?${EN_MONTH}(?:\\s+(\\d{4}))?(\\s+next year)?$`,
  ).exec(s);
  if (!e) return null;
  const p = e[1] ?? '';
  const part = /early|beginning|start/.test(p) ? 'early' : /mid/.test(p) ? 'mid' : /late|end/.test(p) ? 'late' : null;
  return { m: enMonth(e[2]!), ...yearOf(e[3]), ...(e[4] ? { nextYear: true } : {}), part };
}

/** The month a typed month means: with no year, the next one to come (this month counts). */
export function resolveMonth(typed: TypedMonth, now: Date): { y: number; m: number } {
  const today = localParts(now);
  if (typed.y !== undefined) return { y: typed.y, m: typed.m };
  if (typed.nextYear) return { y: today.y + 1, m: typed.m };
  return { y: typed.m < today.m ? today.y + 1 : today.y, m: typed.m };
}

/** The day to suggest for a month said without one: early 5, middle 15, late 25 (the person confirms or types the day). */
export const approxDay = (part: TypedMonth['part']): number => (part === 'early' ? 5 : part === 'late' ? 25 : 15);

/**
 * The instant a typed date and time mean, seen from `now` (`fallbackDate` when
 * only a time was typed). 'past' for a moment already gone, null for nonsense.
 */
export function resolveWhen(typed: TypedWhen, now: Date, fallbackDate?: Day): Date | 'past' | 'need-date' | 'need-time' | null {
  const day = typed.date ? resolveDate(typed.date, now) : (fallbackDate ?? null);
  if (typed.date && !day) return null;
  if (!day) return 'need-date';
  if (!typed.time) return 'need-time';
  const at = fromLocal(day.y, day.m, day.d, typed.time.h, typed.time.mi);
  return at <= now ? 'past' : at;
}

/** "2/12": the local day `days` from today, for examples in prompts that must never lie in the past. */
export function hintDay(now: Date, days: number, withYear = false): string {
  const d = dayAfter(localParts(now), days);
  return withYear ? `${d.d}/${d.m}/${d.y}` : `${d.d}/${d.m}`;
}

/** "5/2027": the month `months` from this one, for examples in prompts. */
export function hintMonth(now: Date, months: number): string {
  const p = localParts(now);
  const at = new Date(Date.UTC(p.y, p.m - 1 + months, 1));
  return `${at.getUTCMonth() + 1}/${at.getUTCFullYear()}`;
}
