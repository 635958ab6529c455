import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createZaloChannel, parseZaloUpdate, zaloPhoto, type ZaloChannel } from '../src/channels/zalo/channel.js';
import { renderZalo, sendZalo, splitMessage } from '../src/channels/zalo/render.js';
import { isBlockedError, ZaloApi, ZaloApiError } from '../src/channels/zalo/api.js';
import { contacts } from '../src/db/schema.js';
import type { InboundEvent, OutboundMessage } from '../src/core/messages.js';
import { zaloWebhook } from '../src/channels/zalo/index.js';
import type { Listening } from '../src/http/server.js';
import { createLogger } from '../src/log.js';
import { translate } from '../src/i18n/index.js';
import { Inbox } from '../src/inbox/index.js';
import { serveRoutes, testApp, type TestApp } from './support/app.js';
import { fakeZalo, ZALO_BASE, ZALO_SECRET, ZALO_TOKEN, zaloEvents } from './support/zalo.js';

const zalo = fakeZalo();
const log = createLogger('silent');
let app: TestApp;
let channel: ZaloChannel;
let server: Listening;
let port: number;
const sleeps: number[] = [];

const api = () =>
  new ZaloApi({
    token: ZALO_TOKEN,
    baseUrl: ZALO_BASE,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });

beforeAll(async () => {
  // Requests to our own webhook server on loopback pass through; anything else unexpected fails.
  zalo.server.listen({
    onUnhandledRequest: (req, print) => {
      if (new URL(req.url).hostname !== '127.0.0.1') print.error();
    },
  });
  app = await testApp();
  // Durable, as in production: every webhook event goes through the inbox.
  const inbox = new Inbox({ db: app.database.db, clock: app.clock, log });
  channel = createZaloChannel({
    token: ZALO_TOKEN,
    apiBase: ZALO_BASE,
    secret: ZALO_SECRET,
    handle: (e) => app.engine.handle(e),
    durable: { inbox, handle: (e, record) => app.engine.handle(e, { record }) },
    i18n: app.i18n,
    log,
    api: api(),
  });
  server = await serveRoutes((http) => zaloWebhook(http, channel));
  port = server.port;
});
afterEach(() => {
  zalo.reset();
  sleeps.length = 0;
});
afterAll(async () => {
  await server.close();
  zalo.server.close();
  await app.close();
});

const t = (key: string, params?: Record<string, unknown>) => translate(app.i18n, 'vi')(key, params);

function post(body: unknown, headers: Record<string, string> = { 'X-Bot-Api-Secret-Token': ZALO_SECRET }, to = port) {
  return fetch(`http://127.0.0.1:${to}/webhooks/zalo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Posts an event and waits until the channel has handled it (the webhook answers first). */
async function deliver(body: unknown) {
  const res = await post(body);
  expect(res.status).toBe(200);
  await channel.idle();
  return res;
}

const contactOf = async (userId: string) =>
  (await app.database.db.select().from(contacts).where(and(eq(contacts.channel, 'zalo'), eq(contacts.platformUserId, userId))))[0];

describe('Zalo webhook', () => {
  it('refuses a missing or wrong secret with 401 and handles nothing', async () => {
    const body = zaloEvents.text('a1000', '/start');
    expect((await post(body, {})).status).toBe(401);
    expect((await post(body, { 'X-Bot-Api-Secret-Token': 'wrong' })).status).toBe(401);
    expect((await post(body, { 'X-Bot-Api-Secret-Token': `${ZALO_SECRET}x` })).status).toBe(401);
    await channel.idle();
    expect(zalo.calls).toHaveLength(0);
    expect(await contactOf('a1000')).toBeUndefined();
  });

  it('answers an unwrapped text event with numbered choices and the reply hint', async () => {
    const res = await deliver(zaloEvents.text('a1001', '/start'));
    expect(await res.json()).toEqual({ ok: true });
    const sent = zalo.sent();
    expect(sent).toHaveLength(2);
    expect(sent[0]!.body).toEqual({ chat_id: 'a1001', text: t('welcome.intro') });
    const menu = sent[1]!.body.text as string;
    expect(menu).toContain(`  1. ${t('programmes.premarital.label')}`);
    expect(menu).toContain(`  5. ${t('programmes.familyplanning.label')}`);
    expect(menu).toContain(`  7. ${t('menu.relatives')}`);
    expect(menu).toContain(`  8. ${t('menu.ask')}`);
    expect(menu.split('\n').at(-1)).toBe(t('zalo.replyHintRange', { max: 8 }));
  });

  it('the reply hint is in the person\'s language, from the reply that switches it on', async () => {
    const user = 'a1099';
    await deliver(zaloEvents.text(user, '/ngonngu'));
    expect((zalo.sent()[0]!.body.text as string).split('\n').at(-1)).toBe(t('zalo.replyHint', { list: '1', last: '2' }));
    zalo.reset();
    await deliver(zaloEvents.text(user, '2'));
    const en = translate(app.i18n, 'en');
    const replies = zalo.sent().map((s) => s.body.text as string);
    expect(replies[0]).toContain(en('language.changed'));
    zalo.reset();
    await deliver(zaloEvents.text(user, '/start'));
    const menu = zalo.sent().at(-1)!.body.text as string;
    expect(menu).toContain(`  1. ${en('programmes.premarital.label')}`);
    expect(menu.split('\n').at(-1)).toBe(en('zalo.replyHintRange', { max: 8 }));
  });

  it('accepts the wrapped { ok, result } body too', async () => {
    await deliver(zaloEvents.wrap(zaloEvents.text('a1002', '/help')));
    expect(zalo.sent()[0]!.body.text).toContain('/huy');
  });

  it('goes through a numbered menu end to end: /start → "1" → the programme page → "3" (a words answer)', async () => {
    const user = 'a1003';
    await deliver(zaloEvents.text(user, '/start'));
    zalo.reset();
    await deliver(zaloEvents.text(user, '1'));
    const page = zalo.sent()[0]!.body.text as string;
    expect(page.startsWith(t('programmes.premarital.about'))).toBe(true);
    expect(page).toContain(`  1. ${t('programmes.premarital.journey')}`);
    expect(page).toContain(`  2. ${t('programmes.subscribe')}`);
    expect(page).toMatch(/Trả lời/);
    // The words of a choice work as well as its number.
    zalo.reset();
    await deliver(zaloEvents.text(user, 'menu'));
    expect(zalo.sent().at(-1)!.body.text).toContain(t('menu.title'));
    // A number out of range gets a kind reply and the menu again.
    zalo.reset();
    await deliver(zaloEvents.text(user, '9'));
    expect(zalo.sent()[0]!.body.text).toBe(t('errors.outOfRange', { n: 9, max: 8 }));
  });

  it('replies kindly to an image, a sticker and a voice message', async () => {
    for (const [i, event] of [zaloEvents.image('a1004'), zaloEvents.sticker('a1005'), zaloEvents.voice('a1006')].entries()) {
      zalo.reset();
      await deliver(event);
      expect(zalo.sent()[0]!.body, `event ${i}`).toEqual({ chat_id: `a100${4 + i}`, text: t('errors.media') });
    }
  });

  it('answers withheld content (message.unsupported.received) with what the bot can do and the ward station, storing nothing', async () => {
    await deliver(zaloEvents.unsupported('a1007'));
    const sent = zalo.sent();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual({ chat_id: 'a1007', text: t('zalo.unsupported') });
    expect(sent[0]!.body.text).toContain('trạm y tế');
    expect(await contactOf('a1007')).toBeUndefined();
    // Without a message there is nobody to answer: acknowledged, nothing sent.
    zalo.reset();
    await deliver(zaloEvents.unsupportedBare());
    await deliver(zaloEvents.wrap(zaloEvents.unsupportedBare()));
    expect(zalo.calls).toHaveLength(0);
  });

  it('answers a redelivered event (same event_name:message_id, either body shape) once', async () => {
    const event = zaloEvents.text('a1008', '/menu');
    await deliver(event);
    await deliver(event);
    await deliver(zaloEvents.wrap(event));
    expect(zalo.sent()).toHaveLength(1);
  });

  it('answers 400 to a body that is not JSON, null or empty, 413 over 256 kB, and 200 (ignored) to JSON in no known shape', async () => {
    expect((await post('{not json')).status).toBe(400);
    expect((await post('null')).status).toBe(400);
    expect((await post('')).status).toBe(400);
    expect((await post(JSON.stringify({ event_name: 'message.text.received', message: { text: 'a'.repeat(300_000) } }))).status).toBe(413);
    expect((await post({ hello: 'world' })).status).toBe(200);
    await channel.idle();
    expect(zalo.calls).toHaveLength(0);
  });

  it('retries a sendMessage refused with 429 after the given delay', async () => {
    let first = true;
    zalo.fail((call) => {
      if (call.method !== 'sendMessage' || !first) return undefined;
      first = false;
      return { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 2 } } };
    });
    await deliver(zaloEvents.text('a1009', '/help'));
    const sends = zalo.sent();
    expect(sends).toHaveLength(2);
    expect(sends[0]!.body.text).toBe(sends[1]!.body.text);
    expect(sleeps).toEqual([2000]);
  });

  it('marks the contact blocked when Zalo refuses because the person blocked the bot', async () => {
    const user = 'a1010';
    await deliver(zaloEvents.text(user, '/start')); // creates the contact
    expect((await contactOf(user))?.blockedAt).toBeNull();
    zalo.fail((call) =>
      call.method === 'sendMessage' ? { status: 403, body: { ok: false, error_code: 403, description: 'User has blocked the bot' } } : undefined,
    );
    await deliver(zaloEvents.text(user, '/menu'));
    expect((await contactOf(user))!.blockedAt).toBeInstanceOf(Date);
  });

  it('ignores group chats and other bots', async () => {
    const group = zaloEvents.text('a1011', '/start');
    group.message.chat.chat_type = 'GROUP';
    const bot = zaloEvents.text('a1012', '/start');
    bot.message.from.is_bot = true;
    await deliver(group);
    await deliver(bot);
    expect(zalo.calls).toHaveLength(0);
  });
});

describe('Zalo channel with a stand-in engine', () => {
  const standIn = (handle: (e: InboundEvent) => Promise<OutboundMessage[]>) => {
    const blocked: string[] = [];
    const ch = createZaloChannel({
      token: ZALO_TOKEN,
      apiBase: ZALO_BASE,
      secret: ZALO_SECRET,
      handle: async (e) => {
        if (e.kind === 'blocked') blocked.push(e.userId);
        return handle(e);
      },
      i18n: app.i18n,
      log,
      api: api(),
    });
    return { ch, blocked };
  };

  it('answers 200 before the engine has finished', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: InboundEvent[] = [];
    const { ch } = standIn(async (e) => {
      seen.push(e);
      await gate;
      return [{ text: 'xong' }];
    });
    const srv = await serveRoutes((http) => zaloWebhook(http, ch));
    const p = srv.port;
    try {
      const res = await post(zaloEvents.text('a2001', 'xin chào'), undefined, p);
      expect(res.status).toBe(200);
      expect(zalo.sent()).toHaveLength(0); // the engine is still working
      release();
      await ch.idle();
      expect(seen[0]).toMatchObject({ channel: 'zalo', userId: 'a2001', chatId: 'a2001', kind: 'text', text: 'xin chào', displayName: 'Nguyễn Thị Lan' });
      expect(zalo.sent().map((c) => c.body.text)).toEqual(['xong']);
    } finally {
      await srv.close();
    }
  });

  it('keeps one person’s events in order even when the first is slow', async () => {
    const order: string[] = [];
    const { ch } = standIn(async (e) => {
      const text = e.kind === 'text' ? e.text : '';
      if (text === 'một') await new Promise((r) => setTimeout(r, 50));
      order.push(text);
      return [{ text }];
    });
    const a = parseZaloUpdate(zaloEvents.text('a2002', 'một'))!;
    const b = parseZaloUpdate(zaloEvents.text('a2002', 'hai'))!;
    void ch.handleUpdate(a);
    void ch.handleUpdate(b);
    await ch.idle();
    expect(order).toEqual(['một', 'hai']);
    expect(zalo.sent().map((c) => c.body.text)).toEqual(['một', 'hai']);
  });

  it('splits a reply longer than 2,000 characters at sentence boundaries', async () => {
    const sentence = 'Khám sàng lọc trước sinh giúp phát hiện sớm một số bệnh, tật bẩm sinh của thai nhi. ';
    const long = sentence.repeat(60).trim(); // about 5,100 characters
    const { ch } = standIn(async () => [{ text: long, choices: [{ label: 'Menu', value: 'a:menu' }] }]);
    await ch.handleUpdate(parseZaloUpdate(zaloEvents.text('a2003', 'dài'))!);
    const pieces = zalo.sent().map((c) => c.body.text as string);
    expect(pieces.length).toBe(3);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(2000);
      expect(p.startsWith('Khám')).toBe(true);
    }
    expect(pieces.slice(0, -1).every((p) => p.endsWith('thai nhi.'))).toBe(true);
    expect(pieces.at(-1)!.endsWith(t('zalo.replyHintOne'))).toBe(true);
    expect(pieces.join(' ').replace(/\s+/g, ' ')).toBe(renderZalo({ text: long, choices: [{ label: 'Menu', value: 'a:menu' }] }, t).replace(/\s+/g, ' '));
  });

  it('a blocked recipient is reported to the engine once, and no more pieces are sent', async () => {
    zalo.fail((call) => (call.method === 'sendMessage' ? { status: 200, body: { ok: false, error_code: 403, description: 'forbidden' } } : undefined));
    const { ch, blocked } = standIn(async () => [{ text: 'một' }, { text: 'hai' }]);
    await ch.handleUpdate(parseZaloUpdate(zaloEvents.text('a2004', 'x'))!);
    expect(blocked).toEqual(['a2004']);
    expect(zalo.sent()).toHaveLength(1);
  });
});

describe('splitMessage', () => {
  it('leaves short text alone and never exceeds the limit', () => {
    expect(splitMessage('ngắn thôi')).toEqual(['ngắn thôi']);
    const words = Array.from({ length: 900 }, (_, i) => `từ${i}`).join(' ');
    const parts = splitMessage(words, 100);
    expect(parts.every((p) => p.length <= 100)).toBe(true);
    expect(parts.join(' ')).toBe(words);
  });

  it('prefers a paragraph, then a sentence, then a word boundary, and cuts one huge word hard', () => {
    const para = `${'a'.repeat(70)}\n\n${'b'.repeat(50)}`;
    expect(splitMessage(para, 100)).toEqual(['a'.repeat(70), 'b'.repeat(50)]);
    const sentences = `${'Câu một dài. '.repeat(6)}Câu cuối không có dấu chấm mà rất dài dài dài`;
    const [first] = splitMessage(sentences, 100);
    expect(first!.endsWith('.')).toBe(true);
    expect(splitMessage('x'.repeat(250), 100)).toEqual(['x'.repeat(100), 'x'.repeat(100), 'x'.repeat(50)]);
    // No surrogate pair is cut in two.
    const emoji = '😀'.repeat(80);
    const cut = splitMessage(emoji, 101);
    expect(cut.join('')).toBe(emoji);
    expect(cut.every((p) => p.length <= 101 && !/[\ud800-\udbff]$/.test(p))).toBe(true);
  });
});

describe('photos on Zalo', () => {
  it('an image event gives its photo_url (or photo) and caption; anything but an http(s) URL is no photo', () => {
    const msg = (extra: object) => parseZaloUpdate({ event_name: 'message.image.received', message: { ...zaloEvents.text('a4001', '').message, ...extra } })!.message!;
    expect(zaloPhoto(msg({ photo_url: 'https://photo-stal.zadn.vn/a.jpg', caption: ' Mời bác đi khám ' }))).toEqual({ photo: { url: 'https://photo-stal.zadn.vn/a.jpg' }, caption: 'Mời bác đi khám' });
    expect(zaloPhoto(msg({ photo: 'https://photo-stal.zadn.vn/b.jpg', caption: '' }))).toEqual({ photo: { url: 'https://photo-stal.zadn.vn/b.jpg' } });
    expect(zaloPhoto(msg({ photo_url: 'file:///etc/passwd' }))).toBeNull();
    expect(zaloPhoto(msg({ photo_url: 42 }))).toBeNull();
    expect(zaloPhoto(msg({}))).toBeNull();
  });

  it('a reply with a photo: the text as caption; longer than Zalo takes, the photo then the text in pieces; no URL, the text alone', async () => {
    const client = api();
    const url = 'https://bot.example.vn/media/abc';
    await sendZalo(client, 'a4002', { text: 'Mời bác đi khám.', photo: { url } }, t);
    const long = `${'Khám sớm giúp phát hiện bệnh sớm. '.repeat(70)}`.trim();
    await sendZalo(client, 'a4002', { text: long, photo: { url } }, t);
    await sendZalo(client, 'a4002', { text: 'Chỉ có chữ.', photo: { fileId: 'AgACAgIAAxkBAAIB' } }, t);
    const pieces = splitMessage(long);
    expect(pieces.length).toBe(2);
    expect(zalo.calls.map((c) => c.body)).toEqual([
      { chat_id: 'a4002', photo: url, caption: 'Mời bác đi khám.' },
      { chat_id: 'a4002', photo: url },
      ...pieces.map((text) => ({ chat_id: 'a4002', text })),
      { chat_id: 'a4002', text: 'Chỉ có chữ.' },
    ]);
  });
});

describe('ZaloApi', () => {
  it('calls POST {base}/bot<TOKEN>/<method> and validates the answer', async () => {
    const client = api();
    expect((await client.getMe()).id).toBe('9001');
    await client.setWebhook({ url: 'https://bot.example.vn/webhooks/zalo', secret_token: ZALO_SECRET });
    await client.sendPhoto('a3001', 'https://example.vn/a.jpg', 'chú thích');
    await client.sendChatAction('a3001');
    expect((await client.getWebhookInfo()).url).toBe('https://bot.example.vn/webhooks/zalo');
    await client.deleteWebhook();
    expect(zalo.calls.map((c) => c.method)).toEqual(['getMe', 'setWebhook', 'sendPhoto', 'sendChatAction', 'getWebhookInfo', 'deleteWebhook']);
    expect(zalo.calls[1]!.body).toEqual({ url: 'https://bot.example.vn/webhooks/zalo', secret_token: ZALO_SECRET });
    expect(zalo.calls[2]!.body).toEqual({ chat_id: 'a3001', photo: 'https://example.vn/a.jpg', caption: 'chú thích' });
    expect(zalo.calls[3]!.body).toEqual({ chat_id: 'a3001', action: 'typing' });
  });

  it('throws a typed error with error_code; a 429 uses Retry-After, then gives up after the bounded retries', async () => {
    zalo.fail((c) => (c.method === 'sendMessage' ? { status: 400, body: { ok: false, error_code: 400, description: 'chat not found' } } : undefined));
    const err = await api().sendMessage('x', 'y').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZaloApiError);
    expect((err as ZaloApiError).errorCode).toBe(400);
    expect(isBlockedError(err)).toBe(false);

    zalo.reset();
    zalo.fail((c) => (c.method === 'getMe' ? { status: 429, body: { ok: false, error_code: 429, description: 'slow down' }, headers: { 'retry-after': '3' } } : undefined));
    const limited = await api().getMe().catch((e: unknown) => e);
    expect((limited as ZaloApiError).errorCode).toBe(429);
    expect(zalo.calls).toHaveLength(4); // 1 + 3 retries
    expect(sleeps).toEqual([3000, 3000, 3000]);

    zalo.reset();
    zalo.fail(() => ({ status: 502, body: '<html>bad gateway</html>' }));
    const bad = await api().getMe().catch((e: unknown) => e);
    expect((bad as ZaloApiError).errorCode).toBe(502);
  });

  it('the configured base URL is honoured (the older host still appears in the wild)', async () => {
    const calls: string[] = [];
    const client = new ZaloApi({
      token: 'T',
      baseUrl: 'https://bot-api.zapps.me/',
      fetch: async (url) => {
        calls.push(url);
        return new Response(JSON.stringify({ ok: true, result: { id: 1 } }));
      },
    });
    expect((await client.getMe()).id).toBe('1');
    expect(calls).toEqual(['https://bot-api.zapps.me/botT/getMe']);
  });
});
