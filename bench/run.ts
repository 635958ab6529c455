import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startThrowawayPostgres } from '../test/support/postgres-server.js';
import { productionSettings } from './support.js';

/**
 * `npm run bench` prints every figure as `name value unit`.
 * `npm run bench -- --quick` is a seconds-long smoke run for CI.
 * `npm run bench -- --only=dispatch,broadcast` runs just those suites.
 *
 * Each suite runs in a process of its own (this script again, with
 * `--in-process`), so no suite pays for another's heap, JIT or sockets: a
 * figure does not depend on what ran before it, and `rss.dispatch_mb` is the
 * memory of a process that dispatches, not of every benchmark before it. They
 * share one throwaway server (a database each), so the run starts Postgres once.
 */
const quick = process.argv.includes('--quick');
const inProcess = process.argv.includes('--in-process');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',').filter(Boolean);
// Imported when run, so a suite's process loads only what that suite uses.
const suites: { name: string; run: (o: { quick: boolean }) => Promise<string[]> }[] = [
  { name: 'faq', run: async (o) => (await import('./faq.js')).benchFaq(o) },
  { name: 'pipeline', run: async (o) => (await import('./pipeline.js')).benchPipeline(o) },
  { name: 'dispatch', run: async (o) => (await import('./dispatch.js')).benchDispatch(o) },
  { name: 'booking', run: async (o) => (await import('./booking.js')).benchBooking(o) },
  { name: 'broadcast', run: async (o) => (await import('./broadcast.js')).benchBroadcast(o) },
];

const unknown = only?.filter((name) => !suites.some((s) => s.name === name)) ?? [];
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(', ')}: one of ${suites.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

/** One suite in a fresh process (the same Node flags, so the same TypeScript loader); true if it passed. */
function runApart(name: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), `--only=${name}`, '--in-process', ...(quick ? ['--quick'] : [])];
  const child = spawn(process.execPath, args, { stdio: 'inherit', env });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code === 0)));
}

let failed = false;
const chosen = suites.filter((s) => !only || only.includes(s.name));
if (!inProcess) {
  // One throwaway server for the run (each suite gets a database of its own on it), unless one is configured.
  const configured = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  const server = configured ? null : await startThrowawayPostgres({ durable: true, settings: productionSettings() });
  const env = server ? { ...process.env, BENCH_SHARED_SERVER: server.url } : process.env;
  try {
    for (const suite of chosen) if (!(await runApart(suite.name, env))) failed = true;
  } finally {
    await server?.stop();
  }
} else {
  for (const suite of chosen) {
    try {
      for (const line of await suite.run({ quick })) console.log(line);
    } catch (err) {
      failed = true;
      console.error(`${suite.name}: ${(err as Error).stack ?? err}`);
    }
  }
}
process.exit(failed ? 1 : 0);
