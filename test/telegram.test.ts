import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Bot } from 'grammy';
import { createTelegramBot } from '../src/channels/telegram/bot.js';
import { contacts } from '../src/db/schema.js';
import { telegramWebhook } from '../src/channels/telegram/index.js';
import { Inbox } from '../src/inbox/index.js';
import { inbox as inboxTable } from '../src/db/schema.js';
import { createLogger } from '../src/log.js';
import { serveRoutes, testApp, type TestApp } from './support/app.js';
import { API_ROOT, fakeTelegram, TOKEN, updates } from './support/telegram.js';

const api = fakeTelegram();
let app: TestApp;
let bot: Bot;

beforeAll(async () => {
  // Requests to our own webhook server on loopback pass through; anything else unexpected fails.
  api.server.listen({
    onUnhandledRequest: (req, print) => {
      if (new URL(req.url).hostname !== '127.0.0.1') print.error();
    },
  });
  app = await testApp();
  bot = createTelegramBot({ token: TOKEN, apiRoot: API_ROOT, handle: (e) => app.engine.handle(e), log: createLogger('silent') });
  await bot.init();
  api.reset(); // init's getMe is no test's call (the first test to run would see it first)
});
afterEach(() => api.reset());
afterAll(async () => {
  api.server.close();
  await app.close();
});

const contactOf = async (userId: number) =>
  (await app.database.db.select().from(contacts).where(eq(contacts.platformUserId, String(userId))))[0];

describe('Telegram channel', () => {
  it('calls getMe on the configured API root (TELEGRAM_API_ROOT is honoured)', () => {
    expect(bot.botInfo.username).toBe('hp_health_bot');
  });

  it('answers /start with text and an inline keyboard', async () => {
    await bot.handleUpdate(updates.text(5001, '/start'));
    const sent = api.sent();
    expect(sent).toHaveLength(2);
    expect(sent[0]!.body.chat_id).toBe('5001');
    expect(sent[0]!.body.text).toContain('Sở Y tế Hải Phòng');
    const keyboard = sent[1]!.body.reply_markup.inline_keyboard as { text: string; callback_data: string }[][];
    expect(keyboard.flat().map((b) => b.callback_data)).toEqual(['a:prog:premarital', 'a:prog:prenatal', 'a:prog:newborn', 'a:prog:elderly', 'a:prog:familyplanning', 'a:sub', 'a:rel', 'a:ask']);
    for (const b of keyboard.flat()) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);
  });

  it('answers the callback query of a pressed button, then replies', async () => {
    await bot.handleUpdate(updates.press(5002, 'a:prog:elderly'));
    expect(api.calls[0]!.method).toBe('answerCallbackQuery');
    expect(api.sent()[0]!.body.text).toContain('60 tuổi');
  });

  it('goes through subscription with buttons and typed words alike', async () => {
    const user = 5003;
    await bot.handleUpdate(updates.press(user, 'a:sub:elderly'));
    expect(api.sent().at(-1)!.body.text).toContain('cho ai');
    await bot.handleUpdate(updates.text(user, 'cho tôi'));
    expect(api.sent().at(-1)!.body.text).toContain('xã, phường hay đặc khu');
    await bot.handleUpdate(updates.text(user, 'le chan'));
    const pick = api.sent().at(-1)!.body.reply_markup.inline_keyboard.flat() as { text: string; callback_data: string }[];
    expect(pick[0]!.text).toBe('Phường Lê Chân');
    await bot.handleUpdate(updates.press(user, pick[0]!.callback_data));
    expect(api.sent().at(-1)!.body.text).toContain('Trước khi lưu');
    await bot.handleUpdate(updates.text(user, 'đồng ý'));
    expect(api.sent().at(-1)!.body.text).toContain('Đã xong');
    expect((await contactOf(user))!.wardCode).toBe(pick[0]!.callback_data.split(':').at(-1));
  });

  it('a toggle edits the message it belongs to; an answered question loses its buttons', async () => {
    const user = 5010;
    await bot.handleUpdate(updates.press(user, 'a:sub'));
    api.reset();
    // Ticking a programme shows the same question again: the pressed message is edited, nothing new is posted.
    await bot.handleUpdate(updates.press(user, 'f:subscribe:programmes:prenatal'));
    expect(api.calls.map((c) => c.method)).toEqual(['answerCallbackQuery', 'editMessageText']);
    expect(api.calls[1]!.body.message_id).toBe(1); // the pressed message (updates.press puts the buttons on message 1)
    expect(api.calls[1]!.body.reply_markup.inline_keyboard.flat()[1].text).toMatch(/^✅ /);
    api.reset();
    // "Xong" answers it: its buttons go, and the next question is a new message.
    await bot.handleUpdate(updates.press(user, 'f:subscribe:programmes:done'));
    expect(api.calls.map((c) => c.method)).toEqual(['answerCallbackQuery', 'editMessageReplyMarkup', 'sendMessage']);
    expect(api.calls[1]!.body).toMatchObject({ chat_id: String(user), message_id: 1 });
    expect(api.calls[1]!.body.reply_markup).toBeUndefined();
    // A stale menu button (not a step's) keeps the old message as it was.
    api.reset();
    await bot.handleUpdate(updates.press(user, 'a:prog:elderly'));
    expect(api.calls.map((c) => c.method)).toEqual(['answerCallbackQuery', 'sendMessage']);
  });

  it('a rating is given once: 👍 takes the rating buttons away; a menu button leaves its menu as it was', async () => {
    const user = 5011;
    await bot.handleUpdate(updates.text(user, 'kham tien hon nhan co bat buoc khong'));
    const answer = api.sent().at(-1)!.body.reply_markup.inline_keyboard.flat() as { callback_data: string }[];
    const up = answer.find((b) => b.callback_data.startsWith('a:fb:up:'))!;
    expect(up).toBeDefined();
    api.reset();
    await bot.handleUpdate(updates.press(user, up.callback_data));
    expect(api.calls.map((c) => c.method)).toEqual(['answerCallbackQuery', 'editMessageReplyMarkup', 'sendMessage']);
    expect(api.calls[1]!.body).toMatchObject({ chat_id: String(user), message_id: 1 });
    api.reset();
    await bot.handleUpdate(updates.press(user, 'a:menu'));
    expect(api.calls.map((c) => c.method)).toEqual(['answerCallbackQuery', 'sendMessage']);
  });

  it('replies kindly to a sticker', async () => {
    await bot.handleUpdate(updates.sticker(5004));
    expect(api.sent()[0]!.body.text).toContain('chỉ đọc được tin nhắn chữ');
  });

  it('a 403 "blocked by the user" marks the contact blocked', async () => {
    const user = 5005;
    await bot.handleUpdate(updates.press(user, 'a:sub:prenatal')); // creates the contact (flow state)
    api.fail((call) =>
      call.method === 'sendMessage' && call.body.chat_id === String(user)
        ? { status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } }
        : undefined,
    );
    await bot.handleUpdate(updates.text(user, 'le chan'));
    expect((await contactOf(user))!.blockedAt).toBeInstanceOf(Date);
  });

  it('a my_chat_member "kicked" update marks the contact blocked; writing again clears it', async () => {
    const user = 5006;
    await bot.handleUpdate(updates.press(user, 'a:sub:prenatal'));
    await bot.handleUpdate(updates.kicked(user));
    expect((await contactOf(user))!.blockedAt).toBeInstanceOf(Date);
    await bot.handleUpdate(updates.text(user, '/menu'));
    expect((await contactOf(user))!.blockedAt).toBeNull();
  });

  it('a 429 is retried after retry_after', async () => {
    let first = true;
    api.fail((call) => {
      if (call.method !== 'sendMessage' || !first) return undefined;
      first = false;
      return { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } };
    });
    await bot.handleUpdate(updates.text(5007, '/help'));
    const sends = api.sent();
    expect(sends.length).toBeGreaterThanOrEqual(2);
    expect(sends[0]!.body.text).toBe(sends[1]!.body.text);
  });

});

describe('webhook mode: every acknowledged update is answered, once', () => {
  const SECRET = 's3cret_token';
  const hook = (http: Parameters<typeof telegramWebhook>[0]) =>
    telegramWebhook(http, { api: bot.api, secret: SECRET, inbox: new Inbox({ db: app.database.db, clock: app.clock, log: createLogger('silent') }), handle: (e, record) => app.engine.handle(e, { record }), blocked: (e) => app.engine.handle(e), log: createLogger('silent') });
  const post = (port: number, body: string | undefined, headers: Record<string, string> = { 'X-Telegram-Bot-Api-Secret-Token': SECRET }) =>
    fetch(`http://127.0.0.1:${port}/webhooks/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body }) });

  it('enforces X-Telegram-Bot-Api-Secret-Token with 401, and serves the right one', async () => {
    let webhook!: ReturnType<typeof telegramWebhook>;
    const server = await serveRoutes((http) => (webhook = hook(http)));
    try {
      const body = JSON.stringify(updates.text(5009, '/menu'));
      expect((await post(server.port, body, {})).status).toBe(401);
      expect((await post(server.port, body, { 'X-Telegram-Bot-Api-Secret-Token': 'wrong' })).status).toBe(401);
      expect(api.sent()).toHaveLength(0);
      expect((await post(server.port, body)).status).toBe(200);
      await webhook.idle();
      expect(api.sent()).toHaveLength(1);
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers malformed JSON, null, an empty body or no update_id with 400, and more than 1 MB with 413', async () => {
    const server = await serveRoutes((http) => hook(http));
    try {
      for (const body of ['{"update_id": ', 'null', '', '[]', '{"message": {}}', '"text"']) expect((await post(server.port, body)).status, body).toBe(400);
      const huge = JSON.stringify({ update_id: 1, message: { text: 'a'.repeat(1_100_000) } });
      expect((await post(server.port, huge)).status).toBe(413);
      expect(api.sent()).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('a redelivered update (same update_id), on this replica or another sharing the database, is answered once', async () => {
    let one!: ReturnType<typeof telegramWebhook>;
    let two!: ReturnType<typeof telegramWebhook>;
    const a = await serveRoutes((http) => (one = hook(http)));
    const b = await serveRoutes((http) => (two = hook(http)));
    try {
      const body = JSON.stringify(updates.text(5011, '/menu'));
      expect((await post(a.port, body)).status).toBe(200);
      await one.idle();
      expect((await post(a.port, body)).status).toBe(200);
      expect((await post(b.port, body)).status).toBe(200);
      await Promise.all([one.idle(), two.idle()]);
      expect(api.sent()).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an update whose reply the platform refused is logged, kept, and answered on the next try; nothing is marked done that was not', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) });
    const inbox = new Inbox({ db: app.database.db, clock: app.clock, log });
    let webhook!: ReturnType<typeof telegramWebhook>;
    const server = await serveRoutes(
      (http) => (webhook = telegramWebhook(http, { api: bot.api, secret: SECRET, inbox, handle: (e, record) => app.engine.handle(e, { record }), blocked: (e) => app.engine.handle(e), log })),
    );
    api.fail((call) => (call.method === 'sendMessage' && call.body.chat_id === '5012' ? { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: try again later' } } : undefined));
    try {
      const update = updates.text(5012, '/menu');
      expect((await post(server.port, JSON.stringify(update))).status).toBe(200);
      await webhook.idle();
      expect(lines.join('')).toMatch(/"event":"inbox.failed".*"channel":"telegram".*"key":"telegram:\d+"/);
      expect(lines.join('')).not.toContain('/menu');
      const [row] = await app.database.db.select().from(inboxTable).where(eq(inboxTable.key, `telegram:${update.update_id}`));
      expect(row).toMatchObject({ sentAt: null, attempts: 1 });
      expect(row!.handledAt).not.toBeNull(); // the engine handled it once; only its replies are left to send
      api.reset(); // Telegram answers again
      app.clock.advance(inbox.leaseMs + 1);
      expect(await inbox.due('telegram')).toContain(row!.key);
      await webhook.process(row!.key);
      expect(api.sent().map((c) => c.body.chat_id)).toEqual(['5012']);
      expect(await inbox.due('telegram')).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
