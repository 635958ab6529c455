import { GrammyError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { connect, StartupError } from '../src/channels/connect.js';
import { telegramRefused } from '../src/channels/telegram/index.js';
import { ZaloApiError } from '../src/channels/zalo/api.js';
import { zaloRefused } from '../src/channels/zalo/index.js';
import { createLogger } from '../src/log.js';

/** A fake clock the retries sleep on, and the log lines they write. */
function harness() {
  let t = 0;
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', { write: (l: string) => void lines.push(JSON.parse(l)) });
  return {
    lines,
    opts: (refused: (err: unknown) => string | null = () => null) => ({
      channel: 'telegram',
      log,
      timeoutMs: 60_000,
      refused,
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    }),
  };
}

const unreachable = () => Object.assign(new TypeError('fetch failed'), { code: 'ECONNREFUSED' });

describe('connecting to a platform at start-up', () => {
  it('retries an unreachable platform with growing delays, each logged, and goes on when it answers', async () => {
    const h = harness();
    let calls = 0;
    const me = await connect(
      'getMe',
      async () => {
        if (++calls < 4) throw unreachable();
        return 'hp_bot';
      },
      h.opts(),
    );
    expect(me).toBe('hp_bot');
    expect(h.lines.map((l) => [l.event, l.attempt, l.delayMs, l.error])).toEqual([
      ['channel.connect.retry', 1, 1000, 'TypeError ECONNREFUSED'],
      ['channel.connect.retry', 2, 2000, 'TypeError ECONNREFUSED'],
      ['channel.connect.retry', 3, 4000, 'TypeError ECONNREFUSED'],
    ]);
    expect(h.lines[0]!.msg).toBe('telegram: getMe failed; retrying in 1 s');
  });

  it('gives up after the bounded time with a message that says what to check', async () => {
    const h = harness();
    let calls = 0;
    const err = await connect(
      'getMe',
      async () => {
        calls++;
        throw unreachable();
      },
      h.opts(),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/^telegram: getMe failed for \d+ s \(TypeError ECONNREFUSED\): the platform cannot be reached\. Check the network/);
    // 1+2+4+8+16+30 s of waiting fit in a minute; the next 30 s would not.
    expect(calls).toBe(6);
    expect(h.lines.at(-1)!.delayMs).toBe(16_000);
  });

  it('does not retry a refused token, and says which variable to fix', async () => {
    const h = harness();
    let calls = 0;
    const refusal = new GrammyError('Call to getMe failed', { ok: false, error_code: 401, description: 'Unauthorized' }, 'getMe', {});
    const err = await connect(
      'getMe',
      async () => {
        calls++;
        throw refusal;
      },
      h.opts(telegramRefused),
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((err as Error).message).toBe('telegram: TELEGRAM_BOT_TOKEN was refused (401 Unauthorized): copy the token again from @BotFather.');
    expect(h.lines).toEqual([]);
  });

  it('tells a platform’s “no” from a platform that is down', () => {
    const grammy = (code: number) => new GrammyError('x', { ok: false, error_code: code, description: 'd' }, 'setWebhook', {});
    expect(telegramRefused(grammy(400))).toBe('setWebhook was refused (400 d).');
    expect(telegramRefused(grammy(429))).toBeNull();
    expect(telegramRefused(grammy(502))).toBeNull();
    expect(telegramRefused(unreachable())).toBeNull();
    expect(zaloRefused(new ZaloApiError('getMe', 401, 'Unauthorized'))).toMatch(/^ZALO_BOT_TOKEN was refused/);
    expect(zaloRefused(new ZaloApiError('getMe', 429, 'Too many'))).toBeNull();
    expect(zaloRefused(new ZaloApiError('getMe', 503, 'down'))).toBeNull();
  });
});
