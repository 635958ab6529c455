import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../src/config/paths.js';
import { freshDatabase } from './support/db.js';
import { freePort } from './support/postgres-server.js';

// Acknowledged means answered: `npm start` with Zalo, killed with SIGKILL while
// webhook events pour in, started again; every event that got its 200 is answered.
const SECRET = 'inbox-crash-secret';
let database: Awaited<ReturnType<typeof freshDatabase>>;
let zalo: Server;
let zaloPort: number;
const sent: { chat: string; text: string }[] = [];

beforeAll(async () => {
  database = await freshDatabase(2);
  zalo = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const method = (req.url ?? '').split('/').pop();
      const parsed = body ? JSON.parse(body) : {};
      const ok = (result: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
      if (method === 'getMe') return ok({ id: '1', account_name: 'hp_bot' });
      if (method === 'sendMessage') {
        sent.push({ chat: String(parsed.chat_id), text: String(parsed.text) });
        // A platform that takes a moment: events are in flight when the process dies.
        return setTimeout(() => ok({ message_id: String(sent.length) }), 3);
      }
      return ok(true);
    });
  });
  zaloPort = await new Promise<number>((r) => zalo.listen(0, '127.0.0.1', () => r((zalo.address() as { port: number }).port)));
});
afterAll(async () => {
  zalo.close();
  await database.close();
});

function start(port: number) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|TEST_DATABASE_URL|TELEGRAM_|ZALO_|ZNS_|PUBLIC_URL|LOG_LEVEL|PORT)/.test(k)));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot,
    env: {
      ...clean,
      DATABASE_URL: database.url,
      ZALO_BOT_TOKEN: '1:crash',
      ZALO_API_BASE_URL: `http://127.0.0.1:${zaloPort}`,
      ZALO_WEBHOOK_SECRET: SECRET,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      PORT: String(port),
      INBOX_LEASE_SECONDS: '2',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += String(b)));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, stderr: () => stderr };
}

async function ready(port: number, deadline = Date.now() + 60_000): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the bot did not become ready');
}

const event = (n: number) => ({
  event_name: 'message.text.received',
  message: { message_id: `m${n}`, date: Date.now(), from: { id: `u${n % 40}`, display_name: 'A' }, chat: { id: `u${n % 40}`, chat_type: 'PRIVATE' }, text: `/e${n}` },
});

describe('a Zalo webhook process killed with SIGKILL under load', () => {
  it('answers every acknowledged event after the restart; nothing is lost and little is sent twice', async () => {
    const port = await freePort();
    let run = start(port);
    await ready(port);
    const acked: number[] = [];
    const total = 500;
    let next = 0;
    // 16 senders at a time, as a platform delivers; the process is killed once 200 are acknowledged.
    const sender = async () => {
      while (next < total) {
        const n = next++;
        const r = await fetch(`http://127.0.0.1:${port}/webhooks/zalo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'X-Bot-Api-Secret-Token': SECRET },
          body: JSON.stringify(event(n)),
        }).catch(() => null); // the process died under this request: not acknowledged (Zalo would send it again)
        if (r?.status === 200) acked.push(n);
        if (acked.length === 200) run.child.kill('SIGKILL');
        if (!r) return;
      }
    };
    await Promise.all(Array.from({ length: 16 }, sender));
    await run.exited;
    expect(acked.length).toBeGreaterThan(100);
    const answeredBy = (n: number) => sent.some((s) => s.text.includes(`/e${n}`));
    // The kill really left acknowledged events unanswered (else this test proves nothing).
    expect(acked.filter((n) => !answeredBy(n)).length).toBeGreaterThan(0);
    run = start(port);
    try {
      await ready(port);
      // The restarted process takes back what was left, after the (2 s) lease.
      const unanswered = () => acked.filter((n) => !answeredBy(n));
      const deadline = Date.now() + 60_000;
      while (unanswered().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(unanswered(), run.stderr()).toEqual([]);
      const counts = new Map<number, number>();
      for (const s of sent) {
        const m = /\/e(\d+)/.exec(s.text);
        if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
      }
      const twice = [...counts.values()].filter((c) => c > 1).length;
      // Only replies handled and stored but not yet sent when the process died go twice: a few in flight.
      expect(twice).toBeLessThanOrEqual(40);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  }, 180_000);
});
