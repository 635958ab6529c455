/**
 * Lowercase Vietnamese without diacritics: "Thủy Nguyên" → "thuy nguyen".
 * đ has no Unicode decomposition, so it is mapped by hand.
 */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
