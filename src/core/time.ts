/**
 * Hải Phòng wall-clock time, the one place the time zone is worked out.
 * Asia/Ho_Chi_Minh has kept UTC+7 without daylight saving since 1975, so a
 * fixed offset converts both ways, whatever the machine's own zone.
 */
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
export const LOCAL_OFFSET_MS = 7 * 60 * 60 * 1000;
const DAY_MS = 86_400_000;

export interface LocalParts {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

export function localParts(at: Date): LocalParts {
  const l = new Date(at.getTime() + LOCAL_OFFSET_MS);
  return { y: l.getUTCFullYear(), m: l.getUTCMonth() + 1, d: l.getUTCDate(), h: l.getUTCHours(), mi: l.getUTCMinutes(), weekday: l.getUTCDay() };
}

/** The instant of a local wall-clock time (month 1-12; days and hours may overflow, like Date.UTC). */
export function fromLocal(y: number, m: number, d: number, h = 0, mi = 0): Date {
  return new Date(Date.UTC(y, m - 1, d, h, mi) - LOCAL_OFFSET_MS);
}

/** `daysBefore` days before `at`'s local day, at `hour`:00 local. */
export function localDayAt(at: Date, daysBefore: number, hour: number): Date {
  const p = localParts(at);
  return fromLocal(p.y, p.m, p.d - daysBefore, hour);
}

/** 7:30, 14:00 */
export const formatTime = (at: Date) => {
  const p = localParts(at);
  return `${p.h}:${String(p.mi).padStart(2, '0')}`;
};

/** 10/12 */
export const formatDate = (at: Date) => {
  const p = localParts(at);
  return `${p.d}/${p.m}`;
};

/** Whole local days from `now`'s day to `at`'s day (0 = today, 1 = tomorrow). */
export function daysFromToday(now: Date, at: Date): number {
  const a = localParts(now);
  const b = localParts(at);
  return Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / DAY_MS);
}

/** The calendar day in Hải Phòng, YYYY-MM-DD. */
export const localDate = (at: Date): string => {
  const p = localParts(at);
  return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
};

/** "20/5/2027" */
export const fullDate = (at: Date) => `${formatDate(at)}/${localParts(at).y}`;
