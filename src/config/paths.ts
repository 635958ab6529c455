import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, found by walking up, so paths hold from src/ and from dist/. */
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${start}`);
    dir = up;
  }
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const contentDir = join(projectRoot, 'content');
export const migrationsDir = join(projectRoot, 'migrations');
