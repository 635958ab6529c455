import { getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';

/**
 * A table's row read as `to_jsonb(t)` (from a CTE, a join drizzle does not map,
 * or a function), turned into the row drizzle would have returned: each column
 * under its property name, through that column's own mapping (timestamps to
 * Dates, numbers from strings), so the two cannot drift apart.
 */
export function fromJsonRow<T extends Table>(table: T, json: Record<string, unknown> | string): InferSelectModel<T> {
  const j = (typeof json === 'string' ? JSON.parse(json) : json) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = j[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as InferSelectModel<T>;
}
