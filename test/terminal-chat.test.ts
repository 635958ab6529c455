import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app.js';
import { encodeAction } from '../src/core/actions.js';
import { ManualClock } from '../src/core/clock.js';
import { rows } from '../src/db/client.js';
import { createLogger } from '../src/log.js';
import { enqueue } from '../src/outbox/enqueue.js';
import { testConfig, testFaq } from './support/app.js';
import { freshDatabase } from './support/db.js';

// `npm start` with no platform: the terminal is a channel like the others (#19).
const input = new PassThrough();
const output = new PassThrough();
let out = '';
output.on('data', (b: Buffer) => (out += b.toString('utf8')));
let app: App;
let database: Awaited<ReturnType<typeof freshDatabase>>;

/**
 * Waits until the terminal has printed `text` (the dispatcher and the engine run on their own),
 * after position `from` of the output: a test looks only at what it made the bot say.
 */
async function printed(text: string, timeoutMs = 10_000, from = 0): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!out.slice(from).includes(text)) {
    if (Date.now() > until) throw new Error(`not printed: ${text}\n--- output ---\n${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const type = (line: string) => input.write(`${line}\n`);

beforeAll(async () => {
  database = await freshDatabase();
  app = await createApp({
    config: testConfig({ PORT: '0' }),
    database,
    clock: new ManualClock(new Date('2026-11-23T03:00:00Z')), // Monday 10:00 in Hải Phòng
    log: createLogger('silent'),
    faq: testFaq(),
    terminal: { input, output, interactive: false },
  });
  await app.start();
});
afterAll(async () => {
  input.end();
  await app.stop();
  await database.close();
});

describe('the terminal as a real demo (#19)', () => {
  it('greets first, with the same welcome and menu as /start, before anything is typed', async () => {
    await printed('  1. Khám tiền hôn nhân');
    expect(out.startsWith('Xin chào! Mình là trợ lý tư vấn sức khỏe của Sở Y tế Hải Phòng.')).toBe(true);
  });

  it('has an outbox sender with limits, so the app runs a dispatcher for it', () => {
    expect(app.channels.find((c) => c.name === 'terminal')?.outbox?.limits.perChatPerSecond).toBe(1);
    expect(app.dispatchers).toHaveLength(1);
  });

  it('prints a reminder that falls due while it runs; a number typed next picks its choice', async () => {
    const at = out.length;
    const [me] = await rows<{ id: number }>(app.db, sql`select id from contacts where channel = 'terminal' and platform_user_id = 'local'`);
    const params = { programme: 'elderly', weekday: 2, date: '24/11', time: '7:30', place: 'Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng', note: '' };
    await enqueue(app.db, [
      {
        dedupeKey: 'appt:990001:v1:d-1',
        contactId: Number(me!.id),
        kind: 'reminder',
        payload: {
          key: 'reminders.d-1',
          params,
          choices: [
            { key: 'reminders.willCome', value: encodeAction({ type: 'willCome', booking: 990001 }) },
            { key: 'reminders.stop', value: encodeAction({ type: 'stop' }) },
          ],
        },
        priority: 2,
        dueAt: app.clock.now(),
      },
    ]);
    await printed('Nhắc lịch: ngày mai (thứ Ba 24/11) 7:30, khám sức khỏe định kỳ người cao tuổi tại Trạm Y tế phường Lê Chân', 10_000, at);
    await printed('  1. Sẽ đến', 10_000, at);
    type('1');
    await printed('Cảm ơn bạn! Hẹn gặp bạn tại buổi khám.', 10_000, at);
  });

  it('staff features can be tried: the local person administers (never in production)', async () => {
    const at = out.length;
    type('/canbo');
    await printed('Bạn là Quản trị viên · toàn thành phố. Bạn muốn làm gì?', 10_000, at);
    type('/menu');
    await printed('  1. Khám tiền hôn nhân', 10_000, at);
  });

  it('a NUL or a lone surrogate typed in a name is dropped at the channel, not refused by Postgres (#14)', async () => {
    const start = out.length;
    type('/nguoithan');
    await printed('1. Thêm người thân', 10_000, start);
    const at = out.length;
    type('1');
    await printed('tên', 5_000, at);
    type('Lan\u0000 Anh\ud800 1950');
    await printed('Lan Anh', 10_000, at);
    expect(out.slice(at)).not.toContain('Xin lỗi, mình gặp trục trặc nhỏ');
    // Leave the flow without stopping messages (/huy would opt the one local person out for the other tests).
    const left = out.length;
    type('/menu');
    await printed('  1. Khám tiền hôn nhân', 10_000, left);
  });

  it('the prompt follows the chosen language', async () => {
    const at = out.length;
    type('/ngonngu');
    await printed('Bạn muốn dùng ngôn ngữ nào?', 10_000, at);
    type('2');
    await printed('Switched to English.', 10_000, at);
    type('/help');
    await printed('You: /help', 10_000, at);
    // Back to Vietnamese for the tests that run after this one.
    type('/ngonngu');
    type('1');
    await printed('Đã chuyển sang tiếng Việt.', 10_000, at);
  });
});
