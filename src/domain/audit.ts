import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';

export interface AuditEntry {
  actorContactId: number | null;
  action: string;
  target?: string;
  details?: Record<string, unknown>;
  at: Date;
}

export async function audit(q: Queryable, entry: AuditEntry): Promise<void> {
  await q.execute(auditStatement(entry));
}

/** The audit row's statement; `onlyIf` gates it (inside a WITH: written only if the audited write was). */
export function auditStatement(entry: AuditEntry, onlyIf: SQL = sql`true`): SQL {
  return sql`insert into audit_log (actor_contact_id, action, target, details, at)
    select ${entry.actorContactId}::integer, ${entry.action}, ${entry.target ?? null}::text,
           ${entry.details === undefined ? null : JSON.stringify(entry.details)}::jsonb, ${entry.at.toISOString()}::timestamptz
    where ${onlyIf}`;
}
