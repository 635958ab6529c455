import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binariesFor, findBinaries } from './support/postgres-server.js';

// npm test must work where people run it: as root from a checkout under /root or a `mktemp -d` folder.
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hidden = mkdtempSync(join(tmpdir(), 'hp-bot-hidden-'));
afterAll(() => rmSync(hidden, { recursive: true, force: true }));

describe('the throwaway Postgres', () => {
  it('finds server binaries without any set-up', () => {
    const bin = findBinaries();
    expect(spawnSync(bin.postgres, ['--version'], { encoding: 'utf8' }).stdout).toMatch(/postgres \(PostgreSQL\) \d+/);
  });

  it('as root, binaries in a folder the postgres user cannot enter are copied where it can run them', () => {
    const bin = findBinaries();
    // A checkout inside a mode-700 folder, as under /root or from mktemp -d.
    const native = join(hidden, 'checkout', 'native');
    cpSync(dirname(dirname(bin.postgres)), native, { recursive: true, verbatimSymlinks: true });
    chmodSync(hidden, 0o700);
    const inside = { initdb: join(native, 'bin', 'initdb'), postgres: join(native, 'bin', 'postgres'), source: native };
    const id = (flag: string) => Number(spawnSync('id', [flag, isRoot ? 'postgres' : String(process.getuid?.())], { encoding: 'utf8' }).stdout.trim());
    const user = { uid: id('-u'), gid: id('-g') };
    const usable = binariesFor(user, inside);
    if (isRoot) expect(usable.postgres.startsWith(hidden)).toBe(false);
    else expect(usable).toEqual(inside); // our own user can always enter our own folders
    expect(spawnSync(usable.postgres, ['--version'], { uid: user.uid, gid: user.gid }).status).toBe(0);
  });
});
