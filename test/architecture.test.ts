import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/config/paths.js';

/**
 * The shape, checked: imports go from higher layers to lower ones only, and
 * no module needs itself at run time through a cycle. A new folder under src/
 * must be given a layer here, so its place is decided, not drifted into.
 */
const LAYERS: Record<string, { may: readonly string[] }> = {
  core: { may: [] },
  config: { may: ['core'] },
  log: { may: ['core', 'config'] },
  i18n: { may: ['core', 'config'] },
  db: { may: ['core', 'config'] },
  http: { may: ['core', 'config'] },
  outbox: { may: ['core', 'config', 'log', 'i18n', 'db'] },
  /** Webhook events, durable before they are acknowledged. */
  inbox: { may: ['core', 'config', 'log', 'db'] },
  faq: { may: ['core', 'config', 'log'] },
  /** Domain rules and their SQL, by feature (src/domain, src/broadcasts, …): no engine, no platform. */
  features: { may: ['core', 'config', 'log', 'i18n', 'db', 'http', 'outbox'] },
  engine: { may: ['core', 'config', 'log', 'i18n', 'db', 'faq', 'features'] },
  /** Conversations: words and domain services, never SQL or a platform. */
  flows: { may: ['core', 'config', 'log', 'i18n', 'faq', 'features', 'engine', 'outbox'] },
  /** Platforms: render and parse, no business rules (they get the engine's handle() injected). */
  channels: { may: ['core', 'config', 'log', 'i18n', 'db', 'http', 'outbox', 'inbox'] },
  /** The composition root and command-line tools: may use everything. */
  root: { may: ['core', 'config', 'log', 'i18n', 'db', 'http', 'outbox', 'inbox', 'faq', 'features', 'engine', 'flows', 'channels', 'console'] },
  console: { may: ['core', 'config', 'log', 'i18n', 'db', 'http', 'outbox', 'features'] },
};

const FOLDERS: Record<string, string> = {
  'src/core': 'core',
  'src/config': 'config',
  'src/log.ts': 'log',
  'src/i18n': 'i18n',
  'src/db': 'db',
  'src/http': 'http',
  'src/outbox': 'outbox',
  'src/inbox': 'inbox',
  'src/faq': 'faq',
  'src/domain': 'features',
  'src/broadcasts': 'features',
  'src/engine': 'engine',
  flows: 'flows',
  'src/channels': 'channels',
  'src/console': 'console',
  'src/app.ts': 'root',
  'src/main.ts': 'root',
  'src/process.ts': 'root',
  'src/cli': 'root',
};

function layerOf(file: string): string | null {
  const key = Object.keys(FOLDERS)
    .filter((k) => file === k || file.startsWith(`${k}/`))
    .sort((a, b) => b.length - a.length)[0];
  return key ? FOLDERS[key]! : null;
}

function sources(dir: string): string[] {
  return readdirSync(join(projectRoot, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(join(projectRoot, rel)).isDirectory()) return sources(rel);
    return rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Every relative import of a file, resolved to a repository path; `import type` marked (it does not run). */
function importsOf(file: string): Edge[] {
  const text = readFileSync(join(projectRoot, file), 'utf8');
  const out: Edge[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[3] ?? m[4]!;
    const to = relative(projectRoot, resolve(dirname(join(projectRoot, file)), spec)).replace(/\.js$/, '.ts');
    out.push({ from: file, to, typeOnly: Boolean(m[2]) });
  }
  return out;
}

const files = [...sources('src'), ...sources('flows')];
const edges = files.flatMap(importsOf);

describe('the shape of the code', () => {
  it('every source file has a layer', () => {
    expect(files.filter((f) => layerOf(f) === null)).toEqual([]);
  });

  it('imports go only to the layers a layer may use', () => {
    const wrong = edges
      .filter((e) => {
        const from = layerOf(e.from)!;
        const to = layerOf(e.to);
        return to !== null && to !== from && !LAYERS[from]!.may.includes(to);
      })
      .map((e) => `${e.from} (${layerOf(e.from)}) → ${e.to} (${layerOf(e.to)})`);
    expect(wrong).toEqual([]);
  });

  it('no module needs itself through a cycle of run-time imports', () => {
    const next = new Map<string, string[]>();
    for (const e of edges) if (!e.typeOnly) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const t of next.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('the check sees imports of every kind (a fixture of the parser)', () => {
    const kinds = edges.filter((e) => e.from === 'src/app.ts');
    expect(kinds.some((e) => e.to === 'flows/index.ts')).toBe(true);
    expect(edges.some((e) => e.typeOnly)).toBe(true);
  });
});
