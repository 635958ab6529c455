/**
 * Vietnamese text as people type it: folding for search and matching, and
 * cleaning at the channel boundary. The one place diacritics are taken off.
 */

const MARKS = /[\u0300-\u036f]/g;
/** Tone marks only (huyền, sắc, ngã, hỏi, nặng): vowel marks (â, ơ, ư…) stay. */
const TONE_MARKS = /[\u0300\u0301\u0303\u0309\u0323]/g;

/** Lowercase, no diacritics, đ → d; every other character kept. */
export function stripMarks(text: string): string {
  return text.normalize('NFD').replace(MARKS, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase().normalize('NFC');
}

/**
 * Words only, lowercase, without diacritics: "Thủy Nguyên!" → "thuy nguyen".
 * For search over names and typed choices.
 */
export function fold(text: string): string {
  return stripMarks(text)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Tone marks dropped, vowel marks kept: "huỷ" and "hủy" meet, "dừng" stays apart from "đúng"'s "dung". */
export function toneless(text: string): string {
  return text.normalize('NFD').replace(TONE_MARKS, '').normalize('NFC').toLowerCase();
}

/** Whether the text carries any diacritic (or đ, or any other non-ASCII letter). */
export const hasDiacritics = (text: string): boolean => /[\u0080-\uffff]/.test(text);

/**
 * Text from a platform made safe to store and show: NFC, no NUL or other C0
 * control characters (Postgres refuses NUL in text), no lone surrogates (half
 * an emoji cut off), line breaks and tabs kept.
 */
export function cleanText(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
      .normalize('NFC')
  );
}
