import { sql } from 'drizzle-orm';
import type { Api } from 'grammy';
import type { Update } from 'grammy/types';
import type { ZaloApi } from '../../src/channels/zalo/api.js';
import { createTelegramSender } from '../../src/channels/telegram/sender.js';
import { createZaloSender, zaloLimits } from '../../src/channels/zalo/sender.js';
import { telegramLimits } from '../../src/channels/telegram/sender.js';
import { BroadcastProgress, type ProgressSink } from '../../src/broadcasts/progress.js';
import { BroadcastTexts } from '../../src/broadcasts/render.js';
import { rows } from '../../src/db/client.js';
import type { Choice } from '../../src/core/messages.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { singleProcessLock } from '../../src/outbox/leader.js';
import { i18nRender } from '../../src/outbox/render.js';
import type { ClaimedMessage, SendResult } from '../../src/outbox/types.js';
import type { TestApp } from '../support/app.js';

/** `n` subscribers of a programme in a ward, straight into the tables (chat ids `<prefix><i>`). */
export async function seedSubscribers(app: TestApp, o: { n: number; prefix: string; ward: string; programme?: string; channel?: 'telegram' | 'zalo' }) {
  const db = app.database.db;
  await rows(db, sql`insert into contacts (channel, platform_user_id, chat_id, locale, ward_code)
    select ${o.channel ?? 'telegram'}, ${o.prefix} || g, ${o.prefix} || g, 'vi', ${o.ward} from generate_series(1, ${o.n}::int) g`);
  await rows(db, sql`insert into subscriptions (contact_id, programme, ward_code)
    select id, ${o.programme ?? 'elderly'}, ${o.ward} from contacts where platform_user_id like ${`${o.prefix}%`}`);
}

export interface Delivery {
  chatId: string;
  key: string;
  text: string;
}

/** A dispatcher on the app's manual clock whose "platform" records what each person would read. */
export function recordingDispatcher(app: TestApp, opts: { batchSize?: number; perSecond?: number; answer?: (m: ClaimedMessage) => SendResult } = {}) {
  const got: Delivery[] = [];
  const texts = new BroadcastTexts(app.database.db, app.i18n, app.settings);
  const render = texts.render(i18nRender(app.i18n));
  const sender = texts.sender({
    async send(m) {
      const answer = opts.answer?.(m) ?? { kind: 'ok' };
      if (answer.kind === 'ok') got.push({ chatId: m.chatId, key: m.dedupeKey, text: render(m, m.locale).text });
      return answer;
    },
  });
  const dispatcher = new Dispatcher({
    db: app.database.db,
    channel: 'telegram',
    sender,
    clock: app.clock,
    leader: singleProcessLock(),
    limits: { perSecond: opts.perSecond ?? 25, perChatPerSecond: 1, burst: 1 },
    batchSize: opts.batchSize ?? 10,
    sleep: async (ms) => app.clock.advance(ms),
  });
  return { got, dispatcher, render };
}

/** A sink that remembers every post and edit with the (manual) time it happened. */
export function recordingSink(app: TestApp) {
  const calls: { kind: 'post' | 'edit'; chatId: string; text: string; choices: Choice[]; at: number }[] = [];
  const sink: ProgressSink = {
    async post(chatId, text, choices) {
      calls.push({ kind: 'post', chatId, text, choices, at: app.clock.now().getTime() });
      return String(calls.length);
    },
    async edit(chatId, _id, text, choices) {
      calls.push({ kind: 'edit', chatId, text, choices, at: app.clock.now().getTime() });
    },
  };
  return { calls, sink, progress: new BroadcastProgress({ db: app.database.db, i18n: app.i18n, sinks: { telegram: sink } }) };
}

let photoUpdateId = 900_000;
/** A Telegram photo message as the Bot API delivers it: sizes small to large, an optional caption. */
export function telegramPhoto(userId: number, fileId: string, caption?: string): Update {
  const id = photoUpdateId++;
  const who = { id: userId, is_bot: false, first_name: 'Hoa', language_code: 'vi' };
  return {
    update_id: id,
    message: {
      message_id: id,
      date: 1_790_000_000,
      chat: { id: userId, type: 'private', first_name: 'Hoa' },
      from: who,
      photo: [
        { file_id: `${fileId}-s`, file_unique_id: 'u-s', width: 90, height: 68, file_size: 1_500 },
        { file_id: fileId, file_unique_id: 'u-l', width: 1280, height: 960, file_size: 98_000 },
        { file_id: `${fileId}-m`, file_unique_id: 'u-m', width: 320, height: 240, file_size: 12_000 },
      ],
      ...(caption ? { caption } : {}),
    },
  } as Update;
}

/** Telegram and Zalo dispatchers with the real senders (against the fake platforms), as main.ts wires them. */
export function chatDispatchers(app: TestApp, o: { telegramApi: Api; zaloApi: ZaloApi }) {
  const texts = new BroadcastTexts(app.database.db, app.i18n, app.settings);
  const render = texts.render(i18nRender(app.i18n));
  const common = { db: app.database.db, clock: app.clock, leader: singleProcessLock(), sleep: async (ms: number) => app.clock.advance(ms) };
  return {
    telegram: new Dispatcher({ ...common, channel: 'telegram', limits: telegramLimits(), sender: texts.sender(createTelegramSender(o.telegramApi, render)) }),
    zalo: new Dispatcher({ ...common, channel: 'zalo', limits: zaloLimits(), sender: texts.sender(createZaloSender({ api: o.zaloApi, render, i18n: app.i18n })) }),
  };
}
