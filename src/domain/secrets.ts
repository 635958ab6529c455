import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { appSecrets } from '../db/schema.js';

/**
 * A key this installation makes for itself, once (32 random bytes), kept in
 * the database every replica shares: the same on each replica and after a
 * restart, never in configuration or logs.
 */
export async function appSecret(q: Queryable, name: string): Promise<string> {
  await q.insert(appSecrets).values({ name, value: randomBytes(32).toString('base64url') }).onConflictDoNothing();
  const [row] = await q.select({ value: appSecrets.value }).from(appSecrets).where(eq(appSecrets.name, name));
  if (!row) throw new Error(`app secret ${name} could not be read`);
  return row.value;
}
