import { Api } from 'grammy';
import { sql } from 'drizzle-orm';
import { BroadcastTexts } from '../src/broadcasts/render.js';
import { createBroadcast } from '../src/broadcasts/store.js';
import { offsetClock } from '../src/core/clock.js';
import { openDatabase, rows, type Db } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { loadWards, syncWards } from '../src/domain/wards.js';
import { createI18n } from '../src/i18n/index.js';
import { Dispatcher } from '../src/outbox/dispatcher.js';
import { startDispatchers } from '../src/outbox/driver.js';
import { singleProcessLock } from '../src/outbox/leader.js';
import { defaultBurst } from '../src/outbox/rate-limit.js';
import { deferQuietHours } from '../src/outbox/quiet-hours.js';
import { i18nRender } from '../src/outbox/render.js';
import { createTelegramSender } from '../src/channels/telegram/sender.js';
import { fakeBotApi, scratchDatabase } from './dispatch.js';
import { benchPostgres, dbBulkInsertRate, dbFigures, dbLimits, figure } from './support.js';

const LE_CHAN = '11383';
const NGO_QUYEN = '11329';

/**
 * The broadcast benchmarks:
 * - enqueue.1m_s: a broadcast to 1,000,000 subscribers of one ward (quick:
 *   50,000, printed as enqueue.rows): the audience count, the broadcast row and
 *   the ONE INSERT … SELECT into the outbox, in one transaction.
 * - broadcast.cap_ratio: a 20,000-recipient broadcast (quick: 2,000) sent by
 *   the dispatcher through grammY's Api to a fake Bot API on loopback (as
 *   bench/dispatch.ts) at a 1,000 msg/s cap, rendered at send time (text +
 *   footer) through BroadcastTexts; the steady rate ÷ the cap.
 *   broadcast.duplicates: recipients who got it more than once (goal 0);
 *   broadcast.lost: recipients who did not get it.
 */
export async function benchBroadcast(opts: { quick: boolean }): Promise<string[]> {
  const pg = await benchPostgres();
  const target = await scratchDatabase(pg.url);
  const bot = await fakeBotApi();
  const database = await openDatabase({ url: target.url, max: 4 });
  try {
    const db = database.db;
    await migrate(db);
    await syncWards(db, loadWards());
    const i18n = createI18n();
    const out: string[] = [];

    const big = opts.quick ? 50_000 : 1_000_000;
    await seed(db, 'big-', big, LE_CHAN, 'elderly');
    // The seeding is set-up, not the broadcast's cost: settle it as a server that has
    // been running would be settled (vacuumed, checkpointed, its WAL segments there
    // to be reused rather than created and zeroed in the middle of the enqueue).
    await db.execute(sql`vacuum analyze`);
    // One connection, as the enqueue; and the server's plainest bulk insert, which the enqueue is read against.
    const limits = await dbLimits(target.url, 1, opts.quick ? 0.3 : 2);
    const bulk = await dbBulkInsertRate(target.url, big / 4);
    await db.execute(sql`checkpoint`);
    const t0 = performance.now();
    const b = await db.transaction((tx) =>
      createBroadcast(tx, {
        audience: { programmes: ['elderly'], wardCodes: [LE_CHAN], relatives: false },
        text: 'Ngày 1/10 là Ngày Quốc tế Người cao tuổi. Mời bác đi khám sức khỏe định kỳ tại trạm y tế phường.',
        campaign: null, scheduledAt: new Date(Date.now() + 86_400_000), progressChannel: 'telegram', progressChat: '1',
      }, null, new Date()),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (b.recipients !== big) throw new Error(`enqueued ${b.recipients} of ${big}`);
    out.push(figure('enqueue.1m_s', Number(seconds.toFixed(2)), 's'));
    out.push(figure('enqueue.rows', big, 'rows'));
    out.push(...dbFigures('enqueue', limits));
    out.push(figure('enqueue.db_bulk_insert_rows_per_s', Math.round(bulk), 'rows/s'));
    out.push(figure('enqueue.db_ratio', big / seconds / bulk, 'ratio'));
    // Those rows are due tomorrow: out of the way of the send below (the claim never touches future rows).

    const n = opts.quick ? 2_000 : 20_000;
    const cap = 1000;
    await seed(db, 'cap-', n, NGO_QUYEN, 'prenatal');
    // Sent now, or at 07:00 when now is in quiet hours: the dispatcher's clock starts
    // there (and runs in real time), so the bench works at any hour.
    const sendAt = new Date();
    const clock = offsetClock(deferQuietHours(sendAt));
    const bc = await db.transaction((tx) =>
      createBroadcast(tx, {
        audience: { programmes: ['prenatal'], wardCodes: [NGO_QUYEN], relatives: false },
        text: 'Sàng lọc trước sinh giúp phát hiện sớm một số bệnh, tật của thai nhi. Mời bạn hỏi trạm y tế phường.',
        campaign: null, scheduledAt: sendAt, progressChannel: 'telegram', progressChat: '1',
      }, null, sendAt),
    );
    const from = (await bot.dump()).got.length;
    const texts = new BroadcastTexts(db, i18n, { mediaBaseUrl: null });
    const api = new Api('1:bench', { apiRoot: bot.apiRoot });
    const dispatcher = new Dispatcher({
      db, channel: 'telegram', clock, leader: singleProcessLock(),
      limits: { perSecond: cap, perChatPerSecond: 1, burst: defaultBurst(cap) },
      sender: texts.sender(createTelegramSender(api, texts.render(i18nRender(i18n)))),
      quietHours: false, // the bench must not depend on the hour it runs at
      concurrency: 64,
    });
    const driver = startDispatchers([dispatcher]); // as production drives it
    const deadline = Date.now() + (n / cap) * 3000 + 10_000;
    for (;;) {
      const [left] = await rows<{ n: number }>(db, sql`select count(*)::int as n from outbox
        where id > ${bc.outboxFrom} and id <= ${bc.outboxTo} and status in ('pending', 'sending')`);
      if (!left || Number(left.n) === 0) break;
      if (Date.now() > deadline) throw new Error(`${left.n} broadcast messages not sent in time`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await driver.stop();

    const dump = await bot.dump();
    const got = dump.got.slice(from);
    const t = dump.times.slice(from);
    const chats = got.map((g) => g.split('|')[0]!);
    const unique = new Set(chats).size;
    if (!got.every((g) => g.endsWith('Gửi "dừng" để ngừng nhận tin.'))) throw new Error('a broadcast went out without its footer');
    const skip = defaultBurst(cap);
    const rate = (t.length - 1 - skip) / ((t[t.length - 1]! - t[skip]!) / 1000);
    out.push(figure('broadcast.cap_ratio', rate / cap, 'ratio'));
    out.push(figure('broadcast.duplicates', chats.length - unique, 'messages'));
    out.push(figure('broadcast.lost', n - unique, 'messages'));
    out.push(figure('broadcast.recipients', n, 'messages'));
    return out;
  } finally {
    await database.close();
    await bot.close();
    await target.drop();
    await pg.stop();
  }
}

/** `n` contacts subscribed to a programme in a ward (numeric chat ids, as Telegram's). */
async function seed(db: Db, prefix: string, n: number, ward: string, programme: string) {
  const base = prefix === 'big-' ? 1_000_000_000 : 2_000_000_000;
  for (let lo = 1; lo <= n; lo += 250_000) {
    const hi = Math.min(n, lo + 249_999);
    await rows(db, sql`with c as (
        insert into contacts (channel, platform_user_id, chat_id, locale, ward_code)
        select 'telegram', ${prefix} || g, (${base}::bigint + g)::text, 'vi', ${ward} from generate_series(${lo}::int, ${hi}::int) g
        returning id)
      insert into subscriptions (contact_id, programme, ward_code) select id, ${programme}, ${ward} from c`);
  }
}
