import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';

/**
 * A fresh database on the run's server, so test files never see each other's
 * rows: a copy of the migrated template (the wards in it), or an empty one.
 */
export async function freshDatabase(max = 10, opts: { empty?: boolean } = {}): Promise<Database & { url: string }> {
  const serverUrl = inject('pgUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(opts.empty ? `create database ${name}` : `create database ${name} template ${inject('pgTemplate')}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), max });
  return {
    ...database,
    url: url.toString(),
    close: async () => {
      await database.close();
      const drop = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await drop.unsafe(`drop database if exists ${name} with (force)`);
      await drop.end();
    },
  };
}
