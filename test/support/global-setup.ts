import type { TestProject } from 'vitest/node';
import { startThrowawayPostgres } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

let stop: (() => Promise<void>) | undefined;

/** One real Postgres for the run: the configured one, or a throwaway server started here. */
export async function setup(project: TestProject): Promise<void> {
  const configured = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (configured) {
    project.provide('pgUrl', configured);
    return;
  }
  const server = await startThrowawayPostgres();
  stop = server.stop;
  project.provide('pgUrl', server.url);
}

export async function teardown(): Promise<void> {
  await stop?.();
}
