import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Api } from 'grammy';
import { ManualClock } from '../../src/core/clock.js';
import { contacts, outbox } from '../../src/db/schema.js';
import { eq } from 'drizzle-orm';
import type { Contact } from '../../src/domain/contacts.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { singleProcessLock } from '../../src/outbox/leader.js';
import { telegramLimits } from '../../src/channels/telegram/sender.js';
import { createTelegramSender } from '../../src/channels/telegram/sender.js';
import type { RenderOutbox } from '../../src/outbox/types.js';
import type { ClaimedMessage } from '../../src/outbox/types.js';
import { API_ROOT, fakeTelegram, TOKEN } from '../support/telegram.js';
import { message, outboxDatabase, someContacts, statusCounts, travel } from './support.js';

const tg = fakeTelegram();
const api = new Api(TOKEN, { apiRoot: API_ROOT });

/** A stand-in for the app's i18next render: two languages, one key. */
const words: Record<string, Record<string, string>> = {
  vi: { 'reminder.d1': 'Nhắc lịch: ngày mai khám tại {place}', 'btn.cancel': 'Hủy lịch' },
  en: { 'reminder.d1': 'Reminder: checkup tomorrow at {place}', 'btn.cancel': 'Cancel booking' },
};
const render: RenderOutbox = (m, locale) => {
  const t = (key: string, params: Record<string, string | number> = {}) =>
    (words[locale]?.[key] ?? key).replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? ''));
  return {
    text: t(m.payload.key, m.payload.params),
    ...(m.payload.choices ? { choices: m.payload.choices.map((c) => ({ label: t(c.key, c.params), value: c.value })) } : {}),
  };
};

const claimed = (over: Partial<ClaimedMessage> = {}): ClaimedMessage => ({
  id: 1, dedupeKey: 'appt:1:d-1', contactId: 1, channel: 'telegram', chatId: '5001', kind: 'reminder',
  payload: { key: 'reminder.d1', params: { place: 'Trạm y tế Lê Chân' }, choices: [{ key: 'btn.cancel', value: 'bk:x:1' }] },
  priority: 2, dueAt: new Date(), attempts: 1, locale: 'vi', status: 'sending', ...over,
});

beforeAll(() => tg.server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => tg.reset());
afterAll(() => tg.server.close());

describe('Telegram sender', () => {
  const sender = createTelegramSender(api, render);

  it('renders in the recipient’s language, with the inline keyboard', async () => {
    expect(await sender.send(claimed())).toEqual({ kind: 'ok' });
    expect(await sender.send(claimed({ locale: 'en', chatId: '5002' }))).toEqual({ kind: 'ok' });
    const [vi, en] = tg.sent();
    expect(vi!.body).toMatchObject({ chat_id: '5001', text: 'Nhắc lịch: ngày mai khám tại Trạm y tế Lê Chân' });
    expect(vi!.body.reply_markup.inline_keyboard).toEqual([[{ text: 'Hủy lịch', callback_data: 'bk:x:1' }]]);
    expect(en!.body.text).toBe('Reminder: checkup tomorrow at Trạm y tế Lê Chân');
    expect(en!.body.reply_markup.inline_keyboard[0][0].text).toBe('Cancel booking');
    expect(vi!.body.allow_paid_broadcast).toBeUndefined();
  });

  it('asks for paid broadcast only when configured', async () => {
    await createTelegramSender(api, render, { paidBroadcast: true }).send(claimed());
    expect(tg.sent()[0]!.body.allow_paid_broadcast).toBe(true);
  });

  it('turns the Bot API’s errors into dispatcher outcomes', async () => {
    const fail = (status: number, description: string, parameters?: object) =>
      tg.fail(() => ({ status, body: { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) } }));
    fail(429, 'Too Many Requests: retry after 17', { retry_after: 17 });
    expect(await sender.send(claimed())).toEqual({ kind: 'retry_after', seconds: 17 });
    tg.reset();
    fail(403, 'Forbidden: bot was blocked by the user');
    expect(await sender.send(claimed())).toEqual({ kind: 'blocked' });
    tg.reset();
    fail(400, 'Bad Request: chat not found');
    expect(await sender.send(claimed())).toEqual({ kind: 'error', message: '400 Bad Request: chat not found', permanent: true });
    tg.reset();
    fail(502, 'Bad Gateway');
    expect(await sender.send(claimed())).toEqual({ kind: 'error', message: '502 Bad Gateway' });
  });
});

describe('dispatcher through the Bot API (msw)', () => {
  let database: Awaited<ReturnType<typeof outboxDatabase>>;
  let people: Contact[];
  const START = new Date('2026-11-23T02:00:00Z');
  beforeAll(async () => {
    database = await outboxDatabase();
    people = await someContacts(database.db, 10);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.db.delete(outbox);
  });

  it('a 429 storm, then a 403: every message sent exactly once, the blocked person marked', async () => {
    const clock = new ManualClock(START);
    const d = new Dispatcher({
      db: database.db, channel: 'telegram', clock, leader: singleProcessLock(), sleep: travel(clock),
      sender: createTelegramSender(api, render), limits: telegramLimits(),
    });
    await enqueue(database.db, people.map((p, i) => message(`storm:${i}`, p.id, START)));
    // Every third call is refused with 429 for a while; the last person has blocked the bot.
    const refused = new Set<object>();
    let calls = 0;
    tg.fail((call) => {
      if (call.method !== 'sendMessage') return undefined;
      if (call.body.chat_id === people[9]!.chatId) {
        refused.add(call);
        return { status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } };
      }
      calls++;
      if (calls % 3 === 0 && calls < 30) {
        refused.add(call);
        return { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 2 } } };
      }
      return undefined;
    });
    for (let i = 0; i < 50 && ((await statusCounts(database.db)).pending ?? 0) > 0; i++) {
      await d.drain();
      clock.advance(500);
    }
    const answered = tg.sent().filter((c) => !refused.has(c));
    const perChat = new Map<string, number>();
    for (const c of answered) perChat.set(String(c.body.chat_id), (perChat.get(String(c.body.chat_id)) ?? 0) + 1);
    expect([...perChat.values()]).toEqual(Array(9).fill(1)); // nine people, each exactly once
    expect([...refused].some((c) => (c as { body: { chat_id: string } }).body.chat_id !== people[9]!.chatId)).toBe(true); // there was a storm
    expect(await statusCounts(database.db)).toEqual({ sent: 9, skipped: 1 });
    const [blocked] = await database.db.select().from(contacts).where(eq(contacts.id, people[9]!.id));
    expect(blocked!.blockedAt).not.toBeNull();
  });
});
