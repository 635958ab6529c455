import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { loadContent } from '../core/content.js';
import type { Tx } from '../db/client.js';
import { daysFromToday, fromLocal, localParts } from '../core/time.js';
import { PROGRAMMES } from '../core/programmes.js';
import { enqueueSelect } from '../outbox/enqueue.js';
import type { ClusterJob } from '../outbox/scheduler.js';
import { PRIORITY, type OutboxPayload } from '../outbox/types.js';
import { encodeAction } from '../core/actions.js';

/** An awareness day's template (content/campaigns/*.yaml): Vietnamese text to edit and send, its programmes, its source. */
export const Campaign = z.object({
  /** Short (it rides in a button's callback data, ≤ 64 bytes). */
  id: z.string().regex(/^[a-z0-9-]{2,24}$/),
  title: z.string().min(3),
  month: z.number().int().min(1).max(12),
  /** Absent: the whole month (an action month), suggested before its first day. */
  day: z.number().int().min(1).max(31).optional(),
  programmes: z.array(z.enum(PROGRAMMES)).min(1),
  suggest_days_before: z.number().int().min(1).max(30).default(5),
  text: z.string().min(20).max(1500),
  source: z.string().min(5),
});
export type Campaign = z.infer<typeof Campaign>;

export function loadCampaigns(dir = join(contentDir, 'campaigns')): Campaign[] {
  const list = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => loadContent(join(dir, f), Campaign));
  const ids = new Set(list.map((c) => c.id));
  if (ids.size !== list.length) throw new Error('content/campaigns: two templates share an id');
  return list;
}

let cached: Campaign[] | undefined;
export const campaigns = () => (cached ??= loadCampaigns());
export const findCampaign = (id: string | undefined) => (id ? campaigns().find((c) => c.id === id) : undefined);

/** The campaign's next day on or after today (local), at 08:00. */
export function nextOccurrence(c: Campaign, now: Date): Date {
  const { y } = localParts(now);
  const at = fromLocal(y, c.month, c.day ?? 1, 8);
  return daysFromToday(now, at) >= 0 ? at : fromLocal(y + 1, c.month, c.day ?? 1, 8);
}

/** The campaigns to suggest today: those whose day is exactly `suggest_days_before` days away. */
export function dueSuggestions(list: readonly Campaign[], now: Date): { campaign: Campaign; at: Date }[] {
  return list
    .map((campaign) => ({ campaign, at: nextOccurrence(campaign, now) }))
    .filter(({ campaign, at }) => daysFromToday(now, at) === campaign.suggest_days_before);
}

/**
 * Enqueues today's suggestions to every live collaborator and station staff
 * member: one row per person and campaign and year (`camp:<id>:<year>:<contact>`),
 * with a button that opens the broadcast wizard on the template.
 */
export async function suggestCampaigns(tx: Tx, now: Date, list: readonly Campaign[] = campaigns()): Promise<number> {
  let n = 0;
  for (const { campaign, at } of dueSuggestions(list, now)) {
    const p = localParts(at);
    const payload: OutboxPayload = {
      key: campaign.day ? 'campaign.suggest' : 'campaign.suggestMonth',
      params: { title: campaign.title, date: `${p.d}/${p.m}`, month: p.m, days: campaign.suggest_days_before },
      choices: [{ key: 'campaign.use', value: encodeAction({ type: 'broadcast', campaign: campaign.id }) }],
    };
    n += await enqueueSelect(
      tx,
      sql`select ${`camp:${campaign.id}:${p.y}:`} || r.contact_id::text as dedupe_key, r.contact_id, 'campaign' as kind,
                 ${JSON.stringify(payload)}::jsonb as payload, ${PRIORITY.invite}::smallint as priority, ${now.toISOString()}::timestamptz as due_at
          from staff_roles r where r.revoked_at is null and r.role in ('collaborator', 'staff')`,
    );
  }
  return n;
}

/** The cluster job (add it to the scheduler's jobs in src/main.ts): every morning at 08:00. */
export const campaignJob: ClusterJob = {
  name: 'broadcast.campaigns',
  cron: '0 8 * * *',
  run: (tx, now) => suggestCampaigns(tx, now),
};
