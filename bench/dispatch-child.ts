/**
 * One dispatcher process of the two-process benchmark (bench/dispatch.ts
 * `twoProcessRun`): a replica as production runs it — an advisory-lock leader
 * for Telegram, the dispatcher driven by startDispatchers — sending through
 * grammY's Api to the fake Bot API.
 * Usage: node --import tsx dispatch-child.ts <database-url> <api-root> <cap> <clock offset ms>
 * Tells its parent (IPC) 'leading' when it takes the lead; on 'stop' it stops
 * as production does (the batch in hand finished and recorded, leadership given
 * up) and exits.
 */
import { Api } from 'grammy';
import { createTelegramSender } from '../src/channels/telegram/sender.js';
import { openDatabase } from '../src/db/client.js';
import { Dispatcher } from '../src/outbox/dispatcher.js';
import { startDispatchers } from '../src/outbox/driver.js';
import { postgresLeaderLock, senderLockName, type LeaderLock } from '../src/outbox/leader.js';
import { defaultBurst } from '../src/outbox/rate-limit.js';

const [url, apiRoot, capArg, offsetArg] = process.argv.slice(2);
if (!url || !apiRoot || !capArg || !offsetArg || !process.send) throw new Error('usage: dispatch-child.ts <database-url> <api-root> <cap> <clock offset ms> (with an IPC channel)');
const cap = Number(capArg);
const offset = Number(offsetArg);
const tell = (m: string) => process.send?.(m);

const database = await openDatabase({ url, max: 3 });
const lock = postgresLeaderLock({ url, name: senderLockName('telegram') });
let leading = false;
const leader: LeaderLock = {
  async ensure() {
    const now = await lock.ensure();
    if (now && !leading) tell('leading');
    leading = now;
    return now;
  },
  close: () => lock.close(),
};
const dispatcher = new Dispatcher({
  db: database.db,
  channel: 'telegram',
  clock: { now: () => new Date(Date.now() + offset) },
  leader,
  limits: { perSecond: cap, perChatPerSecond: 1, burst: defaultBurst(cap) },
  sender: createTelegramSender(new Api('1:bench', { apiRoot }), (m) => ({ text: `${m.payload.key} ${JSON.stringify(m.payload.params)}` })),
  quietHours: false,
  concurrency: 64,
});
const driver = startDispatchers([dispatcher]);
process.on('message', (m) => {
  if (m !== 'stop') return;
  void (async () => {
    await driver.stop();
    await database.close();
    tell('stopped');
    process.exit(0);
  })();
});
process.on('disconnect', () => process.exit(1));
tell('ready');
