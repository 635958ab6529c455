import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Bot } from 'grammy';
import { createTelegramBot } from '../src/channels/telegram/bot.js';
import { contacts } from '../src/db/schema.js';
import { telegramWebhook } from '../src/channels/telegram/index.js';
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
    expect(keyboard.flat().map((b) => b.callback_data)).toEqual(['a:prog:premarital', 'a:prog:prenatal', 'a:prog:newborn', 'a:prog:elderly', 'a:sub', 'a:rel', 'a:ask']);
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

  it('ignores a redelivered update', async () => {
    const u = updates.text(5008, '/menu');
    await bot.handleUpdate(u);
    await bot.handleUpdate(u);
    expect(api.sent()).toHaveLength(1);
  });
});

describe('webhook mode', () => {
  it('enforces X-Telegram-Bot-Api-Secret-Token with 401, and serves the right one', async () => {
    const server = await serveRoutes((http) => telegramWebhook(http, bot, 's3cret_token'));
    const { port } = server;
    const post = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${port}/webhooks/telegram`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(updates.text(5009, '/menu')),
      });
    try {
      expect((await post({})).status).toBe(401);
      expect((await post({ 'X-Telegram-Bot-Api-Secret-Token': 'wrong' })).status).toBe(401);
      expect(api.sent()).toHaveLength(0);
      expect((await post({ 'X-Telegram-Bot-Api-Secret-Token': 's3cret_token' })).status).toBe(200);
      expect(api.sent()).toHaveLength(1);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
