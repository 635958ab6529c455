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
