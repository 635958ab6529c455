import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { loadContent } from '../core/content.js';
import type { Queryable } from '../db/client.js';
import { wards } from '../db/schema.js';
import { fold } from '../core/text.js';

const WardFile = z.object({
  as_of: z.string(),
  counts: z.object({ total: z.number().int() }),
  units: z.array(
    z.object({
      code: z.string().regex(/^\d{5}$/),
      name: z.string().min(2),
      type: z.enum(['phường', 'xã', 'đặc khu']),
      short: z.string().min(1),
    }),
  ),
});

export interface Ward {
  code: string;
  name: string;
  short: string;
  type: string;
  folded: string;
}

/** Reads content/geo/haiphong-communes.json; staff complete or correct it there. */
export function loadWards(file = join(contentDir, 'geo', 'haiphong-communes.json')): Ward[] {
  const parsed = loadContent(file, WardFile);
  if (parsed.units.length !== parsed.counts.total) {
    throw new Error(`${file}: counts.total is ${parsed.counts.total} but ${parsed.units.length} units are listed`);
  }
  return parsed.units.map((u) => ({ ...u, folded: fold(u.short) }));
}

/** Keeps the wards table in step with the content file (idempotent; run at start). */
export async function syncWards(q: Queryable, list: readonly Ward[]): Promise<void> {
  if (list.length === 0) return;
  await q
    .insert(wards)
    .values([...list])
    .onConflictDoUpdate({
      target: wards.code,
      set: { name: sql`excluded.name`, short: sql`excluded.short`, type: sql`excluded.type`, folded: sql`excluded.folded` },
    });
}

/** Finds wards from what people type: "le chan", "Lê Chân", "phuong le chan", "thuy nguyen". */
export class WardDirectory {
  private readonly byCode: Map<string, Ward>;
  constructor(readonly list: readonly Ward[]) {
    this.byCode = new Map(list.map((w) => [w.code, w]));
  }

  get(code: string): Ward | undefined {
    return this.byCode.get(code);
  }

  search(typed: string, limit = 6): Ward[] {
    const q = fold(typed)
      .replace(/^(phuong|xa|dac khu|p|x)\s+/, '')
      .trim();
    if (q.length < 2) return [];
    const scored: { ward: Ward; rank: number }[] = [];
    for (const ward of this.list) {
      const name = ward.folded;
      let rank = -1;
      if (name === q) rank = 0;
      else if (name.startsWith(q)) rank = 1;
      else if (` ${name}`.includes(` ${q}`)) rank = 2;
      else if (name.includes(q)) rank = 3;
      else if (q.split(' ').every((part) => name.split(' ').some((w) => w.startsWith(part)))) rank = 4;
      if (rank >= 0) scored.push({ ward, rank });
    }
    return scored
      .sort((a, b) => a.rank - b.rank || a.ward.short.localeCompare(b.ward.short, 'vi'))
      .slice(0, limit)
      .map((s) => s.ward);
  }
}
