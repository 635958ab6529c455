import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { Api, type Bot } from 'grammy';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { mediaRoutes, registerMedia } from '../../src/broadcasts/media.js';
import { MEDIA_MAX_BYTES } from '../../src/core/files.js';
import { telegramFileFetcher } from '../../src/channels/telegram/media.js';
import { broadcastText } from '../../src/broadcasts/render.js';
import { getBroadcast } from '../../src/broadcasts/store.js';
import { createTelegramBot } from '../../src/channels/telegram/bot.js';
import { ZaloApi } from '../../src/channels/zalo/api.js';
import { createZaloChannel, parseZaloUpdate } from '../../src/channels/zalo/channel.js';
import type { Listening } from '../../src/http/server.js';
import { translator } from '../../src/i18n/index.js';
import { createLogger } from '../../src/log.js';
import { serveRoutes, type TestApp } from '../support/app.js';
import { LE_CHAN, grantRole, sql$, staffApp } from '../support/staff.js';
import { API_ROOT, fakeTelegram, TOKEN, updates } from '../support/telegram.js';
import { fakeZalo, ZALO_BASE, ZALO_SECRET, ZALO_TOKEN, zaloEvents } from '../support/zalo.js';
import { chatDispatchers, recordingDispatcher, recordingSink, seedSubscribers, telegramPhoto } from './support.js';

const tg = fakeTelegram();
const zalo = fakeZalo();
const FILE = 'AgACAgIAAxkBAAIBZ2dPhoto-large';
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);
let getFiles = 0;
// One msw server for both platforms (two would fight over the interceptors), plus Telegram's file API.
const server = setupServer(
  http.post(`${API_ROOT}/bot${TOKEN}/getFile`, async ({ request }) => {
    getFiles++;
    const { file_id } = (await request.json()) as { file_id: string };
    const big = file_id === 'huge-photo';
    return HttpResponse.json({ ok: true, result: { file_id, file_unique_id: 'u', file_size: big ? MEDIA_MAX_BYTES + 1 : JPEG.length, file_path: 'photos/file_7.jpg' } });
  }),
  http.get(`${API_ROOT}/file/bot${TOKEN}/photos/file_7.jpg`, () => new HttpResponse(JPEG, { headers: { 'content-type': 'image/jpeg' } })),
  ...tg.server.listHandlers(),
  ...zalo.server.listHandlers(),
);

let app: TestApp;
let bot: Bot;
const TG_AUTHOR = 7301;
const ZL_AUTHOR = 'zl-author-1';
const t = () => translator(app.i18n, 'vi');
const log = createLogger('silent');
const telegramApi = new Api(TOKEN, { apiRoot: API_ROOT });
const zaloApi = new ZaloApi({ token: ZALO_TOKEN, baseUrl: ZALO_BASE, retries: 0 });

beforeAll(async () => {
  server.listen({ onUnhandledRequest: (req, print) => void (new URL(req.url).hostname !== '127.0.0.1' && print.error()) });
  app = await staffApp();
  app.settings.broadcastDailyCap = 100;
  bot = createTelegramBot({ token: TOKEN, apiRoot: API_ROOT, handle: (e) => app.engine.handle(e), log });
  await bot.init();
  await grantRole(app, String(TG_AUTHOR), 'collaborator', [LE_CHAN]);
  await grantRole(app, ZL_AUTHOR, 'collaborator', [LE_CHAN], 'zalo');
  // Elderly subscribers of Lê Chân: two on Telegram, two on Zalo.
  await seedSubscribers(app, { n: 2, prefix: 'ph-tg-', ward: LE_CHAN, programme: 'elderly' });
  await seedSubscribers(app, { n: 2, prefix: 'ph-zl-', ward: LE_CHAN, programme: 'elderly', channel: 'zalo' });
});
beforeEach(async () => {
  app.clock.set(new Date('2026-11-24T02:00:00Z')); // 09:00 local
  await sql$(app, sql`update broadcasts set status = 'done', reported_at = now() where reported_at is null`);
});
afterEach(() => {
  tg.reset();
  zalo.reset();
  app.settings.mediaBaseUrl = null;
});
afterAll(async () => {
  server.close();
  await app.close();
});

type Call = { method: string; body: Record<string, any> };
/** What one chat was sent, in order: the method and what a person sees (reply markup left out). */
const seen = (calls: Call[], chatId: string | number) =>
  calls
    .filter((c) => (c.method === 'sendMessage' || c.method === 'sendPhoto') && String(c.body.chat_id) === String(chatId))
    .map(({ method, body: { photo, caption, text } }) => ({ method, ...(photo ? { photo } : {}), ...(caption ? { caption } : {}), ...(text ? { text } : {}) }));

/** The Telegram author goes through the wizard up to the photo step (elderly subscribers of the ward). */
async function telegramToPhotoStep(text: string) {
  await bot.handleUpdate(updates.text(TG_AUTHOR, '/guitin'));
  await bot.handleUpdate(updates.press(TG_AUTHOR, 'f:broadcast:audience:elderly'));
  await bot.handleUpdate(updates.press(TG_AUTHOR, 'f:broadcast:audience:done'));
  await bot.handleUpdate(updates.text(TG_AUTHOR, text));
  expect(tg.sent().at(-1)!.body.text).toBe(t()('broadcast.photoAsk'));
  tg.reset();
}

/** "Gửi ngay" from the preview; the broadcast's id. */
async function sendNowOnTelegram(): Promise<number> {
  tg.reset();
  await bot.handleUpdate(updates.press(TG_AUTHOR, 'f:broadcast:preview:now'));
  const id = Number(/#(\d+)/.exec(tg.sent().at(-1)!.body.text)![1]);
  tg.reset();
  zalo.reset();
  return id;
}

/** Zalo's image event, its message open to edits (caption, URL). */
const zaloImage = () => zaloEvents.image(ZL_AUTHOR) as unknown as { event_name: string; message: Record<string, string> };

/** The Zalo author's button presses and typing, straight to the engine (the replies are not needed). */
const zaloPress = (value: string) => app.engine.handle({ channel: 'zalo', userId: ZL_AUTHOR, chatId: ZL_AUTHOR, kind: 'choice', value });
const zaloType = (text: string) => app.engine.handle({ channel: 'zalo', userId: ZL_AUTHOR, chatId: ZL_AUTHOR, kind: 'text', text });

async function deliverAll() {
  const d = chatDispatchers(app, { telegramApi, zaloApi });
  await d.telegram.drain();
  await d.zalo.drain();
}

describe('a Telegram collaborator’s broadcast with a photo', () => {
  it('the photo step takes the largest size; the preview is the very photo message Telegram recipients get; Zalo gets the text and the preview says so', async () => {
    const text = 'Ngày 1/10 là Ngày Quốc tế Người cao tuổi. Mời bác đi khám sức khỏe định kỳ tại trạm y tế phường.';
    const body = broadcastText(t(), text);
    await telegramToPhotoStep(text);
    await bot.handleUpdate(telegramPhoto(TG_AUTHOR, FILE));
    const preview = seen(tg.calls, TG_AUTHOR);
    expect(preview).toHaveLength(3);
    expect(preview[0]!.text).toMatch(/^Xem trước \(4 người sẽ nhận/);
    expect(preview[1]).toEqual({ method: 'sendPhoto', photo: FILE, caption: body });
    // No PUBLIC_URL: a Telegram photo cannot reach Zalo, and the author is told before sending.
    expect(preview[2]!.text).toBe(`${t()('broadcast.zaloTextOnly')}\n\n${t()('broadcast.previewAsk')}`);
    const buttons = tg.sent().at(-1)!.body.reply_markup.inline_keyboard.flat().map((b: { callback_data: string }) => b.callback_data);
    expect(buttons).toContain('f:broadcast:preview:photo');

    const id = await sendNowOnTelegram();
    expect((await getBroadcast(app.database.db, id))!.photo).toMatchObject({ fileId: FILE, media: expect.stringMatching(/^[\w-]{24}$/) });
    await deliverAll();
    for (const chat of ['ph-tg-1', 'ph-tg-2']) expect(seen(tg.calls, chat)).toEqual([preview[1]]);
    for (const chat of ['ph-zl-1', 'ph-zl-2']) expect(seen(zalo.calls, chat)).toEqual([{ method: 'sendMessage', text: body }]);
  });

  it('over Telegram’s 1,024-character caption: the photo, then the text, in the preview and for recipients alike; Zalo (2,000) keeps it as a caption', async () => {
    app.settings.mediaBaseUrl = 'https://bot.example.vn';
    const text = `Mời bác đi khám sức khỏe định kỳ tại trạm y tế phường. ${'Khám sớm giúp phát hiện bệnh sớm. '.repeat(32)}`.trim();
    const body = broadcastText(t(), text);
    expect(body.length).toBeGreaterThan(1024);
    expect(body.length).toBeLessThan(2000);
    await telegramToPhotoStep(text);
    await bot.handleUpdate(telegramPhoto(TG_AUTHOR, FILE));
    const preview = seen(tg.calls, TG_AUTHOR);
    expect(preview.slice(1, 3)).toEqual([{ method: 'sendPhoto', photo: FILE }, { method: 'sendMessage', text: body }]);
    expect(preview[3]!.text).toBe(`${t()('broadcast.photoSplit', { max: 1024 })}\n\n${t()('broadcast.previewAsk')}`);

    const id = await sendNowOnTelegram();
    const token = (await getBroadcast(app.database.db, id))!.photo!.media!;
    await deliverAll();
    expect(seen(tg.calls, 'ph-tg-1')).toEqual(preview.slice(1, 3));
    // Zalo has a URL now (PUBLIC_URL): the bot's own copy of the photo, with the text as caption.
    expect(seen(zalo.calls, 'ph-zl-1')).toEqual([{ method: 'sendPhoto', photo: `https://bot.example.vn/media/${token}`, caption: body }]);
  });

  it('a photo with a caption instead of the text goes straight to the preview; a caption too short gets a second chance, the photo kept', async () => {
    await bot.handleUpdate(updates.text(TG_AUTHOR, '/guitin'));
    await bot.handleUpdate(updates.press(TG_AUTHOR, 'f:broadcast:audience:elderly'));
    await bot.handleUpdate(updates.press(TG_AUTHOR, 'f:broadcast:audience:done'));
    expect(tg.sent().at(-1)!.body.text).toContain(t()('broadcast.writePhoto'));
    tg.reset();
    await bot.handleUpdate(telegramPhoto(TG_AUTHOR, FILE, 'Ngắn'));
    expect(tg.sent().map((c) => c.body.text)).toEqual([t()('broadcast.photoReceived'), t()('broadcast.tooShort'), expect.stringContaining('người sẽ nhận')]);
    await bot.handleUpdate(updates.text(TG_AUTHOR, 'Mời bác đi khám sức khỏe định kỳ miễn phí tại trạm y tế.'));
    expect(seen(tg.calls, TG_AUTHOR).find((c) => c.method === 'sendPhoto')).toMatchObject({ photo: FILE });
    tg.reset();

    // The same from the start, captioned: the caption is the text.
    await bot.handleUpdate(updates.text(TG_AUTHOR, '/guitin'));
    await bot.handleUpdate(updates.press(TG_AUTHOR, 'f:broadcast:audience:elderly'));
    await bot.handleUpdate(updates.press(TG_AUTHOR, 'f:broadcast:audience:done'));
    tg.reset();
    const caption = 'Tuần này trạm y tế phường khám sức khỏe miễn phí cho người cao tuổi.';
    await bot.handleUpdate(telegramPhoto(TG_AUTHOR, FILE, caption));
    expect(seen(tg.calls, TG_AUTHOR)[1]).toEqual({ method: 'sendPhoto', photo: FILE, caption: broadcastText(t(), caption) });
    // "Bỏ ảnh" from the preview: back to one text message.
    await bot.handleUpdate(updates.press(TG_AUTHOR, 'f:broadcast:preview:photo'));
    tg.reset();
    await bot.handleUpdate(updates.press(TG_AUTHOR, 'f:broadcast:photo:none'));
    expect(seen(tg.calls, TG_AUTHOR)).toEqual([{ method: 'sendMessage', text: expect.stringMatching(/^Xem trước[\s\S]*\n\nTuần này trạm y tế/) }]);
    await bot.handleUpdate(updates.press(TG_AUTHOR, 'f:broadcast:preview:cancel'));
  });

  it('text where a photo is asked for gets a kind second chance; other flows still say they read only text', async () => {
    await telegramToPhotoStep('Mời bác đi khám sức khỏe định kỳ tại trạm y tế phường.');
    await bot.handleUpdate(updates.text(TG_AUTHOR, 'ảnh đây'));
    expect(tg.sent().map((c) => c.body.text)).toEqual([t()('broadcast.photoExpected'), t()('broadcast.photoAsk')]);
    await bot.handleUpdate(updates.text(TG_AUTHOR, '/menu'));
    tg.reset();
    await bot.handleUpdate(telegramPhoto(TG_AUTHOR, FILE));
    expect(tg.sent()[0]!.body.text).toBe(t()('errors.media'));
    expect(tg.calls.some((c) => c.method === 'sendPhoto')).toBe(false);
  });

  it('a photo Telegram refuses (400) fails that row with its reason; the others go out', async () => {
    await telegramToPhotoStep('Mời bác đi khám sức khỏe định kỳ tại trạm y tế phường Lê Chân.');
    await bot.handleUpdate(telegramPhoto(TG_AUTHOR, FILE));
    const id = await sendNowOnTelegram();
    tg.fail((c) =>
      c.method === 'sendPhoto' && c.body.chat_id === 'ph-tg-1'
        ? { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: wrong file identifier/HTTP URL specified' } }
        : undefined,
    );
    await deliverAll();
    const rows = await sql$<{ chat_id: string; status: string; last_error: string | null }>(
      app,
      sql`select chat_id, status, last_error from outbox where dedupe_key like ${`bc:${id}:%`} order by chat_id`,
    );
    expect(rows.find((r) => r.chat_id === 'ph-tg-1')).toMatchObject({ status: 'failed', last_error: '400 Bad Request: wrong file identifier/HTTP URL specified' });
    expect(rows.filter((r) => r.status === 'sent').map((r) => r.chat_id)).toEqual(['ph-tg-2', 'ph-zl-1', 'ph-zl-2']);
  });
});

describe('GET /media/<token>: a Telegram photo for Zalo', () => {
  let http$: Listening;
  let base: string;
  beforeAll(async () => {
    const fetchFile = telegramFileFetcher({ api: telegramApi, token: TOKEN, apiRoot: API_ROOT });
    http$ = await serveRoutes((http) => mediaRoutes(http, { db: app.database.db, fetchFile, log }));
    base = `http://127.0.0.1:${http$.port}`;
  });
  afterAll(() => http$.close());

  it('is fetched from Telegram once, then served from Postgres; unknown tokens and oversized photos are refused', async () => {
    const token = await registerMedia(app.database.db, FILE, app.clock.now());
    getFiles = 0;
    const first = await fetch(`${base}/media/${token}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/jpeg');
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(JPEG);
    const again = await fetch(`${base}/media/${token}`);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(JPEG);
    expect(getFiles).toBe(1);
    const [row] = await sql$<{ n: number }>(app, sql`select octet_length(bytes) as n from broadcast_media where token = ${token}`);
    expect(Number(row!.n)).toBe(JPEG.length);

    expect((await fetch(`${base}/media/${'x'.repeat(24)}`)).status).toBe(404);
    expect((await fetch(`${base}/media/a%2F..%2Fhealthz`)).status).toBe(404);
    expect((await fetch(`${base}/media/${token}`, { method: 'POST' })).status).toBe(405);
    const huge = await registerMedia(app.database.db, 'huge-photo', app.clock.now());
    expect((await fetch(`${base}/media/${huge}`)).status).toBe(413);
  });
});

describe('a Zalo collaborator’s broadcast with a photo', () => {
  /** An event through the Zalo channel, so its replies reach the (fake) Zalo API. */
  const zaloSays = (event: object) =>
    createZaloChannel({ token: ZALO_TOKEN, apiBase: ZALO_BASE, secret: ZALO_SECRET, handle: (e) => app.engine.handle(e), i18n: app.i18n, log, api: zaloApi }).handleUpdate(parseZaloUpdate(event)!);

  it('an image with a caption is the photo and the text; the preview is what Zalo recipients get; Telegram recipients get the same photo by URL', async () => {
    await zaloSays(zaloEvents.text(ZL_AUTHOR, '/guitin'));
    await zaloPress('f:broadcast:audience:elderly');
    await zaloPress('f:broadcast:audience:done');
    zalo.reset();
    const caption = 'Thứ Bảy này trạm y tế phường Lê Chân khám sức khỏe miễn phí cho người cao tuổi.';
    const image = zaloImage();
    image.message.caption = caption;
    await zaloSays(image);
    const body = broadcastText(t(), caption);
    const preview = seen(zalo.calls, ZL_AUTHOR);
    expect(preview[0]!.text).toMatch(/^Xem trước \(4 người sẽ nhận/);
    expect(preview[1]).toEqual({ method: 'sendPhoto', photo: image.message.photo_url, caption: body });
    expect(preview[2]!.text).toContain(t()('broadcast.previewAsk'));
    expect(preview[2]!.text).toContain('  4. Đổi ảnh');

    const started = await zaloPress('f:broadcast:preview:now');
    const id = Number(/#(\d+)/.exec(started[0]!.text)![1]);
    expect((await getBroadcast(app.database.db, id))!.photo).toEqual({ url: image.message.photo_url });
    zalo.reset();
    await deliverAll();
    for (const chat of ['ph-zl-1', 'ph-zl-2']) expect(seen(zalo.calls, chat)).toEqual([preview[1]]);
    for (const chat of ['ph-tg-1', 'ph-tg-2']) expect(seen(tg.calls, chat)).toEqual([{ method: 'sendPhoto', photo: image.message.photo_url, caption: body }]);
    // A small broadcast: no progress notes, only the final report.
    expect(await sql$(app, sql`select 1 from outbox where dedupe_key like ${`bcp:${id}:%`}`)).toHaveLength(0);
  });

  it('an image event without a usable URL is not taken as a photo', async () => {
    await zaloSays(zaloEvents.text(ZL_AUTHOR, '/guitin'));
    await zaloPress('f:broadcast:audience:elderly');
    await zaloPress('f:broadcast:audience:done');
    zalo.reset();
    const image = zaloImage();
    image.message.photo_url = 'javascript:alert(1)';
    await zaloSays(image);
    expect(zalo.calls.map((c) => c.method)).toEqual(['sendMessage', 'sendMessage']);
    expect(zalo.calls[0]!.body.text).toBe(t()('errors.media'));
    await zaloSays(zaloEvents.text(ZL_AUTHOR, '/menu'));
  });
});

describe('progress for an author on Zalo (no editable status message)', () => {
  it('a short note at 25/50/75 %, at most every 2 minutes, then the report; never the Telegram status message', async () => {
    const N = 60;
    await seedSubscribers(app, { n: N, prefix: 'ms-', ward: LE_CHAN, programme: 'newborn' });
    await zaloType('/guitin');
    await zaloPress('f:broadcast:audience:newborn');
    await zaloPress('f:broadcast:audience:done');
    await zaloType('Sàng lọc sơ sinh giúp phát hiện sớm bệnh bẩm sinh.');
    await zaloPress('f:broadcast:photo:none');
    const started = await zaloPress('f:broadcast:preview:now');
    const id = Number(/#(\d+)/.exec(started[0]!.text)![1]);
    const startedAt = app.clock.now().getTime();

    // 60 people at one message every 5 s: five minutes of sending.
    const { dispatcher } = recordingDispatcher(app, { perSecond: 0.2, batchSize: 1 });
    const { calls, progress } = recordingSink(app);
    for (let i = 0; i < 500 && !(await getBroadcast(app.database.db, id))!.reportedAt; i++) {
      await dispatcher.runBatch();
      await progress.tick(app.clock.now());
    }
    expect(calls).toHaveLength(0); // the Telegram sink is never used for a Zalo author
    const notes = await sql$<{ dedupe_key: string; due_at: Date; channel: string; priority: number; payload: any }>(
      app,
      sql`select dedupe_key, due_at, channel, priority, payload from outbox where dedupe_key like ${`bcp:${id}:%`} order by id`,
    );
    const pcts = notes.map((n) => Number(n.dedupe_key.split(':')[2]));
    expect(pcts.length).toBeGreaterThanOrEqual(1);
    expect(pcts.length).toBeLessThanOrEqual(3);
    expect(pcts.every((p) => [25, 50, 75].includes(p))).toBe(true);
    expect([...pcts].sort((a, b) => a - b)).toEqual(pcts);
    let last = startedAt;
    for (const n of notes) {
      const at = new Date(n.due_at).getTime();
      expect(at - last).toBeGreaterThanOrEqual(2 * 60_000);
      last = at;
    }
    const note = notes[0]!;
    expect(note).toMatchObject({ channel: 'zalo', priority: 2 });
    const payload = typeof note.payload === 'string' ? JSON.parse(note.payload) : note.payload;
    const { done, pct } = payload.params as { done: number; pct: number };
    expect(pct).toBe(Math.floor((done * 100) / N));
    expect(pct).toBeGreaterThanOrEqual(pcts[0]!);
    expect(t()(payload.key, payload.params)).toBe(`Tin #${id} đang gửi: ${pct}% (${done}/${N} người). Mình sẽ báo khi gửi xong.`);
    expect(await sql$(app, sql`select 1 from outbox where dedupe_key = ${`bcr:${id}`}`)).toHaveLength(1);
  });
});
