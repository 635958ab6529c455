import { and, asc, eq } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { walkIns } from '../db/schema.js';
import type { Session } from './sessions.js';
import { sessionTallies, tally } from './tallies.js';

/**
 * People examined at a session without a booking, added by staff on the day:
 * a name and perhaps a birth year, no contact (nobody to remind, nothing to
 * consent to in chat). Counted in `walkins` with the session, in the same
 * transaction. Who may add or remove one is decided in staff.ts.
 */
export type WalkIn = typeof walkIns.$inferSelect;

export const WALK_IN_NAME_MAX = 80;

export async function addWalkIn(q: Queryable, s: Session, input: { name: string; birthYear: number | null }, by: number | null, now: Date): Promise<WalkIn> {
  const [row] = await q.insert(walkIns).values({ sessionId: s.id, name: input.name, birthYear: input.birthYear, createdBy: by, createdAt: now }).returning();
  await tally(q, sessionTallies(s, { walkins: 1 }));
  return row!;
}

/** Removes one added by mistake; false when it is not this session's. */
export async function removeWalkIn(q: Queryable, s: Session, id: number): Promise<boolean> {
  const gone = await q
    .delete(walkIns)
    .where(and(eq(walkIns.id, id), eq(walkIns.sessionId, s.id)))
    .returning({ id: walkIns.id });
  if (gone.length) await tally(q, sessionTallies(s, { walkins: -1 }));
  return gone.length > 0;
}

export function walkInsOf(q: Queryable, sessionId: number): Promise<WalkIn[]> {
  return q.select().from(walkIns).where(eq(walkIns.sessionId, sessionId)).orderBy(asc(walkIns.id));
}
