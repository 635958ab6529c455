import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { openDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { loadWards, syncWards } from '../../src/domain/wards.js';
import { startThrowawayPostgres } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    /** A database migrated and holding the 114 wards: each test file's database is a copy of it. */
    pgTemplate: string;
  }
}

let stop: (() => Promise<void>) | undefined;

/**
 * One real Postgres for the run (the configured one, or a throwaway server
 * started here) and one pre-migrated template database in it: a test file's
 * database is `CREATE DATABASE … TEMPLATE`, a file copy, instead of running
 * every migration again.
 */
export async function setup(project: TestProject): Promise<void> {
  let url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) {
    const server = await startThrowawayPostgres();
    stop = server.stop;
    url = server.url;
  }
  const template = `hp_template_${process.pid}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${template} with (force)`);
  await admin.unsafe(`create database ${template}`);
  const at = new URL(url);
  at.pathname = `/${template}`;
  const database = await openDatabase({ url: at.toString(), max: 1 });
  await migrate(database.db);
  await syncWards(database.db, loadWards());
  await database.close();
  await admin.end();
  project.provide('pgUrl', url);
  project.provide('pgTemplate', template);
  const dropTemplate = async () => {
    const a = postgres(url, { max: 1, onnotice: () => {} });
    await a.unsafe(`drop database if exists ${template} with (force)`);
    await a.end();
  };
  const stopServer = stop;
  stop = async () => {
    await dropTemplate().catch(() => {});
    await stopServer?.();
  };
}

export async function teardown(): Promise<void> {
  await stop?.();
}
