import type { Queryable } from '../db/client.js';
import { auditLog } from '../db/schema.js';

export async function audit(
  q: Queryable,
  entry: { actorContactId: number | null; action: string; target?: string; details?: Record<string, unknown>; at: Date },
): Promise<void> {
  await q.insert(auditLog).values(entry);
}
