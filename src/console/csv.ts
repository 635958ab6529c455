/**
 * CSV as Excel opens it with Vietnamese intact: UTF-8 with a byte-order mark,
 * CRLF line ends, fields quoted when they hold a comma, quote or line break.
 * A text field that a spreadsheet would run as a formula (=, +, -, @ first) is
 * prefixed with an apostrophe: names typed by people are data, never formulas.
 */
export const BOM = '\uFEFF';

export type Field = string | number | null | undefined;

function field(v: Field): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(headers: readonly string[], body: readonly (readonly Field[])[]): string {
  const lines = [headers.map(field).join(','), ...body.map((r) => r.map(field).join(','))];
  return `${BOM}${lines.join('\r\n')}\r\n`;
}

/** The response headers of a CSV download named `name` (ASCII, .csv). */
export const csvHeaders = (name: string) => ({
  'content-type': 'text/csv; charset=utf-8',
  'content-disposition': `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`,
});
