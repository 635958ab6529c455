import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { startThrowawayPostgres } from '../test/support/postgres-server.js';

/** Prints a figure the way every benchmark here does: `name value unit`. */
export function figure(name: string, value: number, unit: string): string {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
  return `${name} ${shown} ${unit}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The configured Postgres, or a throwaway one that runs as the production server
 * does: durable, with the settings compose.yaml gives it (read from there, so
 * the two cannot drift apart).
 */
export async function benchPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const configured = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (configured) return { url: configured, stop: async () => {} };
  // The run's one throwaway server (bench/run.ts starts it for its suites): a database of our own on it.
  const shared = process.env.BENCH_SHARED_SERVER;
  if (shared) {
    const { default: postgres } = await import('postgres');
    const name = `bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = postgres(shared, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(shared);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      stop: async () => {
        const a = postgres(shared, { max: 1, onnotice: () => {} });
        await a.unsafe(`drop database if exists ${name} with (force)`);
        await a.end();
      },
    };
  }
  return startThrowawayPostgres({ durable: true, settings: productionSettings() });
}

/** The `-c name=value` settings of compose.yaml's database service. */
export function productionSettings(): Record<string, string> {
  const compose = parse(readFileSync(new URL('../compose.yaml', import.meta.url), 'utf8')) as { services: { db: { command?: string[] } } };
  const command = compose.services.db.command ?? [];
  const settings: Record<string, string> = {};
  command.forEach((arg, i) => {
    if (command[i - 1] !== '-c') return;
    const eq = arg.indexOf('=');
    settings[arg.slice(0, eq)] = arg.slice(eq + 1);
  });
  return settings;
}

/** A seeded random generator, so every run pushes the same mix. */
export function rng(seed = 42): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** What the database server itself does at a given concurrency, measured beside our figures. */
export interface DbLimits {
  concurrency: number;
  /** Bare `select 1` round trips per second (prepared, as our reads are). */
  select1PerS: number;
  /** One-row INSERTs, each its own transaction with a durable commit, per second. */
  insertCommitPerS: number;
}

/**
 * The database's own limits on this server, now: `concurrency` connections
 * each run `select 1`, then a one-row insert + commit, back to back for
 * `seconds` each. Our figures are printed beside them and as ratios to them
 * (`*.db_ratio`), so a figure read on a slower or busier machine means the
 * same: the ratio moves when our code changes, not when the machine does.
 */
export async function dbLimits(url: string, concurrency: number, seconds: number): Promise<DbLimits> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(url, { max: concurrency, onnotice: () => {} });
  const table = `bench_db_limit_${process.pid}_${concurrency}`;
  try {
    await sql.unsafe(`create table if not exists ${table} (id bigserial primary key, v integer not null, at timestamptz not null default now())`);
    const rate = async (op: (i: number) => Promise<unknown>) => {
      // Every connection open and every statement prepared before the clock starts.
      await Promise.all(Array.from({ length: concurrency }, (_, i) => op(i)));
      let done = 0;
      const end = performance.now() + seconds * 1000;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async (_, w) => {
          for (let i = w; performance.now() < end; i += concurrency) {
            await op(i);
            done++;
          }
        }),
      );
      return done / ((performance.now() - start) / 1000);
    };
    const select1PerS = await rate(() => sql`select 1`);
    const insertCommitPerS = await rate((i) => sql`insert into ${sql(table)} (v) values (${i})`);
    return { concurrency, select1PerS: Math.round(select1PerS), insertCommitPerS: Math.round(insertCommitPerS) };
  } finally {
    await sql.unsafe(`drop table if exists ${table}`).catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

/**
 * The server's plainest bulk insert: `rows` narrow rows (a bigserial key, a
 * text, an integer) in one INSERT … SELECT and one durable commit, rows per
 * second. What a broadcast's enqueue is read against (enqueue.db_ratio): the
 * same path (heap, WAL, a key index per row, one commit), the least work it can be.
 */
export async function dbBulkInsertRate(url: string, rows: number): Promise<number> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const table = `bench_db_bulk_${process.pid}`;
  try {
    await sql.unsafe(`create table ${table} (id bigserial primary key, k text not null, v integer not null)`);
    await sql.unsafe('checkpoint');
    const t0 = performance.now();
    await sql.unsafe(`insert into ${table} (k, v) select 'k:' || g, g from generate_series(1, ${Math.round(rows)}) g`);
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    await sql.unsafe(`drop table if exists ${table}`).catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

/** The database's lines beside a suite's figures: `<suite>.db_select1_per_s_c<n>`, `<suite>.db_insert_commit_per_s_c<n>`. */
export function dbFigures(suite: string, limits: DbLimits): string[] {
  return [
    figure(`${suite}.db_select1_per_s_c${limits.concurrency}`, limits.select1PerS, 'statements/s'),
    figure(`${suite}.db_insert_commit_per_s_c${limits.concurrency}`, limits.insertCommitPerS, 'commits/s'),
  ];
}

/**
 * BENCH_CPU_PROFILE=file.cpuprofile: a CPU profile of a suite's measured phase
 * only (not the start-up or the warm-up), for Chrome DevTools or any
 * .cpuprofile reader. The pipeline and booking suites take it.
 */
export async function startProfile(file: string | undefined): Promise<{ stop(): Promise<void> } | null> {
  if (!file) return null;
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
