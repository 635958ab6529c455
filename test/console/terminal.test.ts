import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ManualClock } from '../../src/core/clock.js';
import { rows } from '../../src/db/client.js';
import { createLogger } from '../../src/log.js';
import { testConfig, testFaq } from '../support/app.js';
import { freshDatabase } from '../support/db.js';
import { linkIn } from './support.js';

/** `npm start` with nothing configured, as a newcomer runs it: the chat in the terminal, the console on PORT. */
async function terminalApp(env: Record<string, string>) {
  const database = await freshDatabase();
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const app = await createApp({
    config: testConfig({ PORT: '0', ...env }),
    database,
    clock: new ManualClock(new Date('2026-11-23T03:00:00Z')),
    log: createLogger('silent'),
    faq: testFaq(),
    terminal: { input, output, interactive: false },
  });
  await app.start();
  const say = async (line: string) => {
    const before = out.length;
    input.write(`${line}\n`);
    for (let i = 0; i < 100 && !out.slice(before).includes('\n\n'); i++) await new Promise((r) => setTimeout(r, 20));
    return out.slice(before);
  };
  return {
    app,
    say,
    close: async () => {
      input.end();
      await app.done;
      await app.stop();
      await database.close();
    },
  };
}

describe('the console in terminal mode (a local demo)', () => {
  it('listens on PORT; the terminal’s person is an administrator (audited); /web prints a link that signs in', async () => {
    const t = await terminalApp({});
    try {
      const printed = await t.say('/web');
      const link = linkIn(printed);
      expect(link).toMatch(/^http:\/\/localhost:\d+\/staff\/login\?token=/);
      const port = new URL(link).port;
      expect(Number(port)).toBeGreaterThan(0);
      const confirm = await fetch(link.replace('localhost', '127.0.0.1'));
      expect(confirm.status).toBe(200);
      const signedIn = await fetch(`http://127.0.0.1:${port}/staff/login`, {
        method: 'POST',
        body: new URLSearchParams({ token: new URL(link).searchParams.get('token')! }),
        headers: { origin: `http://127.0.0.1:${port}` },
        redirect: 'manual',
      });
      expect(signedIn.status).toBe(303);
      const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
      const home = await fetch(`http://127.0.0.1:${port}/staff`, { headers: { cookie } });
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('Quản trị viên · toàn thành phố');
      const [grant] = await rows<{ action: string; details: Record<string, unknown> }>(t.app.db, sql`select action, details from audit_log where action = 'role.bootstrap'`);
      expect(grant).toMatchObject({ details: { role: 'admin', source: 'terminal' } });
    } finally {
      await t.close();
    }
  });

  it('with NODE_ENV=production nobody is made an administrator: /web is refused', async () => {
    const t = await terminalApp({ NODE_ENV: 'production' });
    try {
      const printed = await t.say('/web');
      expect(printed).toContain('chỉ dành cho cán bộ');
      expect(printed).not.toContain('token=');
    } finally {
      await t.close();
    }
  });
});
