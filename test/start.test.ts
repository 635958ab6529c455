import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../src/config/paths.js';

// `npm start` as a newcomer runs it: a real process, the embedded Postgres, no set-up.
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(env: Record<string, string>, input?: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hp-bot-start-'));
  dirs.push(dataDir);
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|TEST_DATABASE_URL|TELEGRAM_|ZALO_|PUBLIC_URL|LOG_LEVEL)/.test(k)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot,
    env: { ...clean, DATA_DIR: dataDir, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  if (input !== undefined) child.stdin.end(input);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe('npm start', () => {
  it('with no configuration chats in the terminal on PGlite and exits 0 at end of input', async () => {
    const run = start({}, 'xin chào\n1\nkham tien hon nhan co bat buoc ko\n');
    expect(await run.exited).toBe(0);
    const out = run.output();
    expect(out).toContain('Sở Y tế Hải Phòng');
    expect(out).toContain('1. Khám tiền hôn nhân');
    expect(out).toContain('Không bắt buộc');
  }, 60_000);

  it('with TELEGRAM_BOT_TOKEN serves Telegram by long polling on TELEGRAM_API_ROOT', async () => {
    const calls: { method: string; body: any }[] = [];
    let delivered = false;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const method = (req.url ?? '').split('/').pop()!;
        const parsed = body ? JSON.parse(body) : {};
        calls.push({ method, body: parsed });
        const ok = (result: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
        if (method === 'getMe') return ok({ id: 42, is_bot: true, first_name: 'HP', username: 'hp_bot' });
        if (method === 'getUpdates') {
          if (delivered) return setTimeout(() => ok([]), 200);
          delivered = true;
          return ok([{ update_id: 1, message: { message_id: 1, date: 0, chat: { id: 77, type: 'private' }, from: { id: 77, is_bot: false, first_name: 'A' }, text: '/start', entities: [{ type: 'bot_command', offset: 0, length: 6 }] } }]);
        }
        if (method === 'sendMessage') return ok({ message_id: 5, date: 0, chat: { id: 77, type: 'private' }, text: parsed.text });
        return ok(true);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const run = start({ TELEGRAM_BOT_TOKEN: '1:abc', TELEGRAM_API_ROOT: `http://127.0.0.1:${port}`, PORT: '0' });
    try {
      const deadline = Date.now() + 45_000;
      while (Date.now() < deadline && calls.filter((c) => c.method === 'sendMessage').length < 2) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const sent = calls.filter((c) => c.method === 'sendMessage');
      expect(sent[0]?.body.text).toContain('Sở Y tế Hải Phòng');
      expect(sent[1]?.body.reply_markup.inline_keyboard.flat()[0].callback_data).toBe('a:prog:premarital');
      expect(calls.some((c) => c.method === 'deleteWebhook')).toBe(true);
    } finally {
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      server.close();
    }
  }, 60_000);
});
