import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { contentDir, projectRoot } from '../../src/config/paths.js';
import { loadFaqContent } from '../../src/faq/matcher.js';
import { loadNlp } from '../../src/faq/nlp.js';
import { loadSigns } from '../../src/faq/safety.js';

const faqDir = join(contentDir, 'faq');

describe('FAQ content (content/faq)', () => {
  const content = loadFaqContent(faqDir);
  const ids = content.topics.topics.map((t) => t.id);

  it('has exactly one entry per topic id of topics.json', () => {
    const counts = new Map<string, number>();
    for (const e of content.entries) counts.set(e.topic, (counts.get(e.topic) ?? 0) + 1);
    const missing = ids.filter((id) => !counts.has(id));
    const doubled = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    expect(missing, 'topics without an entry').toEqual([]);
    expect(doubled, 'topics with several entries').toEqual([]);
  });

  it('uses no unknown topic ids, and related ids exist', () => {
    const known = new Set(ids);
    for (const e of content.entries) {
      expect(known.has(e.topic), e.topic).toBe(true);
      for (const r of e.related) expect(known.has(r), `${e.topic} → related ${r}`).toBe(true);
      expect(e.related.includes(e.topic), `${e.topic} relates to itself`).toBe(false);
    }
  });

  it('names each file after its topic', () => {
    content.entries.forEach((e, i) => {
      expect(content.files[i]?.endsWith(`${e.topic}.yaml`), content.files[i]).toBe(true);
    });
    expect(readdirSync(faqDir).filter((f) => f.endsWith('.yaml')).length).toBe(content.entries.length);
  });

  it('has unique topic ids in topics.json', () => {
    expect(new Set(ids).size).toBe(ids.length);
  });

  const shared = join(projectRoot, '..', 'shared', 'faq-eval', 'topics.json');
  it('topics.json equals the evaluation taxonomy (../shared/faq-eval/topics.json) when it is beside the project', () => {
    const ours: unknown = JSON.parse(readFileSync(join(faqDir, 'topics.json'), 'utf8'));
    if (existsSync(shared)) expect(ours).toEqual(JSON.parse(readFileSync(shared, 'utf8')));
    else expect(ids.length).toBeGreaterThan(0);
  });
});

describe('matcher resources (content/nlp, content/safety)', () => {
  it('load and validate', () => {
    const nlp = loadNlp();
    expect(nlp.abbr.simple.get('ko')).toEqual(['không']);
    expect(nlp.stop.exact.has('ạ')).toBe(true);
    expect(loadSigns().signs.length).toBeGreaterThan(5);
  });
});
