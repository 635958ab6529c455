/**
 * A dispatcher process for the SIGKILL test: sends what is due through a fake
 * platform that writes each delivery to a file (synchronously, so a delivery
 * is on disk before the next one starts), until it is killed.
 * Usage: node --import tsx crash-child.ts <database-url> <deliveries-file> [clock offset ms]
 */
import { appendFileSync } from 'node:fs';
import { openDatabase } from '../../src/db/client.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { postgresLeaderLock, senderLockName } from '../../src/outbox/leader.js';

const [url, file, offset = '0'] = process.argv.slice(2);
if (!url || !file) throw new Error('usage: crash-child.ts <database-url> <deliveries-file>');

const database = await openDatabase({ url, max: 3 });
const dispatcher = new Dispatcher({
  db: database.db,
  channel: 'telegram',
  // The test's clock (real time, shifted to the daytime: see daytimeClock).
  clock: { now: () => new Date(Date.now() + Number(offset)) },
  leader: postgresLeaderLock({ url, name: senderLockName('telegram') }),
  limits: { perSecond: 200, perChatPerSecond: 1, burst: 10 },
  batchSize: 50,
  sender: {
    async send(m) {
      appendFileSync(file, `${m.dedupeKey}\n`);
      await new Promise((r) => setTimeout(r, 2));
      return { kind: 'ok' };
    },
  },
});
await dispatcher.run({ idleMs: 20 });
