/**
 * Vietnamese phone numbers as people type them: 0912 345 678, 0912.345.678,
 * +84 912 345 678, 84912345678, (+84) 912-345-678 → one form, +84912345678.
 * Mobile numbers have 9 digits after the 0 (3, 5, 7, 8, 9…); landlines 10 (02…).
 */
export function normalisePhone(raw: string): string | null {
  const t = raw.trim();
  if (!/^[+()\d\s.-]+$/.test(t)) return null;
  let digits = t.replace(/\D/g, '');
  if (t.replace(/[\s(]/g, '').startsWith('+') && !digits.startsWith('84')) return null;
  if (digits.startsWith('84') && (digits.length === 11 || digits.length === 12)) digits = digits.slice(2);
  else if (digits.startsWith('0')) digits = digits.slice(1);
  else return null;
  if (/^[35789]\d{8}$/.test(digits) || /^2\d{9}$/.test(digits)) return `+84${digits}`;
  return null;
}

/** +84912345678 → 0912 345 678, as people write it (landlines: 0225 3 123 456 → 02253 123 456). */
export function displayPhone(phone: string): string {
  const national = phone.startsWith('+84') ? `0${phone.slice(3)}` : phone;
  return national.replace(/^(\d+)(\d{3})(\d{3})$/, '$1 $2 $3');
}

/** A Vietnamese mobile number (+84 3/5/7/8/9 + 8 digits): the only kind a Zalo account hangs on. */
export const isMobilePhone = (phone: string): boolean => /^\+84[35789]\d{8}$/.test(phone);
