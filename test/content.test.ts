import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadMenu } from '../flows/menu.js';
import { loadCampaigns } from '../src/broadcasts/campaigns.js';
import { contentDir } from '../src/config/paths.js';
import { loadContent } from '../src/core/content.js';
import { loadWards } from '../src/domain/wards.js';
import { createI18n, hasKey } from '../src/i18n/index.js';
import { z } from 'zod';

/** Every leaf key of a locale tree, "a.b.c". */
function keys(tree: unknown, prefix = ''): string[] {
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) return [prefix];
  return Object.entries(tree).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe('content/ as staff edit it', () => {
  it('English has every key Vietnamese has, and no other (plural forms aside: Vietnamese has none)', () => {
    const Tree = z.record(z.string(), z.unknown());
    const plural = (k: string) => k.replace(/_(zero|one|two|few|many|other)$/, '');
    const vi = [...new Set(keys(loadContent(join(contentDir, 'locales', 'vi.json'), Tree)).map(plural))];
    const en = [...new Set(keys(loadContent(join(contentDir, 'locales', 'en.json'), Tree)).map(plural))];
    expect(en.filter((k) => !vi.includes(k))).toEqual([]);
    expect(vi.filter((k) => !en.includes(k))).toEqual([]);
  });

  it('menu.json names only words the locales have, and refuses a label they lack', () => {
    const i18n = createI18n();
    expect(loadMenu((k) => hasKey(i18n, k)).more.length).toBeGreaterThan(0);
    expect(() => loadMenu((k) => k !== 'menu.relatives')).toThrow(/menu\.json: no words in content\/locales for menu\.relatives/);
  });

  it('loads the 114 communes, wards and special zones, and every campaign template', () => {
    expect(loadWards()).toHaveLength(114);
    expect(loadCampaigns().length).toBeGreaterThan(5);
  });

  it('a bad content file is refused naming the file and the field', () => {
    expect(() => loadContent(join(contentDir, 'menu.json'), z.object({ nothere: z.string() }))).toThrow(/menu\.json: .*nothere/s);
  });
});
