import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { ManualClock } from '../../src/core/clock.js';
import type { InboundEvent } from '../../src/core/messages.js';
import { createTextInspector, loadFaqBundle } from '../../src/faq/bundle.js';
import { loadFaqContent } from '../../src/faq/matcher.js';
import { MatcherUnavailableError, startMatcherPool, type MatcherPool } from '../../src/faq/matcher-pool.js';
import type { TextFacts } from '../../src/faq/types.js';
import { createLogger } from '../../src/log.js';
import { testApp, testConfig } from '../support/app.js';
import { freshDatabase } from '../support/db.js';

const fixture = (name: string) => new URL(`./fixtures/workers/${name}.ts`, import.meta.url);

function capture() {
  const lines: { event?: string; [k: string]: unknown }[] = [];
  return { lines, log: createLogger('info', { write: (l: string) => void lines.push(JSON.parse(l)) }) };
}

describe('the FAQ matcher in worker threads (#17)', () => {
  let pool: MatcherPool;
  beforeAll(async () => {
    pool = await startMatcherPool({ size: 2, log: createLogger('silent') });
  });
  afterAll(() => pool.close());

  it('works every message out exactly as this thread does, many at once', async () => {
    const here = createTextInspector();
    const content = loadFaqContent();
    // Phrasings of every entry, typed plain too, and questions no entry answers.
    const questions = [
      ...content.entries.flatMap((e) => e.questions.slice(0, 2)),
      'xet nghiem tien hon nhan o dau',
      'uong thuoc tranh thai khan cap sau bao lau',
      'giá vàng hôm nay bao nhiêu',
      'con tôi bị sốt cao co giật',
    ];
    const facts = await Promise.all(questions.map((q) => pool.inspect(q)));
    expect(facts).toEqual(questions.map((q) => here(q)));
    expect(await Promise.all(questions.map((q) => pool.match(q)))).toEqual(facts.map((f) => f.result));
    expect(facts.filter((f) => f.result.kind === 'answer').length).toBeGreaterThan(questions.length / 2);
    expect(facts.at(-1)?.verdict?.kind).toBe('alarm');
    expect(facts.find((f) => f.everyday)).toBeUndefined();
    expect((await pool.inspect('cảm ơn ad nhiều')).everyday).toEqual({ intent: 'thanks' });
  });
});

describe('the FAQ bundle over a pool: one round trip per message', () => {
  /** A pool that answers from a table and counts what it is asked. */
  function fakePool(facts: (text: string) => TextFacts | Error) {
    const asked: string[] = [];
    const inspect = async (text: string) => {
      asked.push(text);
      const f = facts(text);
      if (f instanceof Error) throw f;
      return f;
    };
    const pool: MatcherPool = { inspect, match: async (t) => (await inspect(t)).result, close: async () => {} };
    return { pool, asked };
  }
  const answer = (topic: string): TextFacts => ({ verdict: null, everyday: null, result: { kind: 'answer', topic, score: 0.9 } });

  it('a prepared message is answered from memory: the safety check, the everyday intent and the match', async () => {
    const { pool, asked } = fakePool(() => ({ verdict: { kind: 'ask', topic: 'safety.violence' }, everyday: { intent: 'thanks' }, result: { kind: 'none', topic: null, score: 0.1 } }));
    const faq = loadFaqBundle({ pool });
    await faq.prepare?.('một câu hỏi');
    expect(faq.safety('một câu hỏi')).toEqual({ kind: 'ask', topic: 'safety.violence' });
    expect(faq.everyday?.('một câu hỏi')).toEqual({ intent: 'thanks' });
    expect(await faq.matcher.match('một câu hỏi')).toEqual({ kind: 'none', topic: null, score: 0.1 });
    await faq.prepare?.('một câu hỏi');
    expect(asked).toEqual(['một câu hỏi']);
  });

  it('a message not prepared is matched by the pool; its safety check runs here', async () => {
    const { pool, asked } = fakePool(() => answer('premarital.where'));
    const faq = loadFaqBundle({ pool });
    expect(await faq.matcher.match('kham tien hon nhan o dau')).toEqual(answer('premarital.where').result);
    expect(asked).toEqual(['kham tien hon nhan o dau']);
    expect(faq.safety('con tôi bị co giật, tím tái')?.kind).toBe('alarm');
  });

  it('the engine works each plain text out ahead, once, and answers from what the worker said', async () => {
    // The worker's word wins: a calm text it calls an alarm gets the route, as the engine read it from prepare.
    const { pool, asked } = fakePool((text) =>
      text === 'một câu bình thường' ? { verdict: { kind: 'alarm', topic: 'safety.emergency' }, everyday: null, result: { kind: 'none', topic: null, score: 0 } } : answer('premarital.where'),
    );
    const app = await testApp({ faq: loadFaqBundle({ pool }) });
    try {
      const said = await app.say('một câu bình thường');
      expect(said.map((m) => m.text).join('\n')).toMatch(/115/);
      expect(asked).toEqual(['một câu bình thường']);
      await app.say('/start');
      expect(asked).toEqual(['một câu bình thường']); // a command is not sent to the worker
    } finally {
      await app.close();
    }
  });

  it('when the pool fails, prepare does not, and a danger sign is still caught here', async () => {
    const { pool } = fakePool(() => new MatcherUnavailableError('the matcher worker stopped'));
    const faq = loadFaqBundle({ pool });
    await expect(faq.prepare?.('con tôi bị co giật, tím tái')).resolves.toBeUndefined();
    expect(faq.safety('con tôi bị co giật, tím tái')?.kind).toBe('alarm');
    expect(faq.everyday?.('cảm ơn ad')).toEqual({ intent: 'thanks' });
    await expect(faq.matcher.match('kham tien hon nhan o dau')).rejects.toBeInstanceOf(MatcherUnavailableError);
  });
});

describe('a matcher worker that misbehaves', () => {
  it('stops: its questions fail, a new worker answers the next, and the log names no question', async () => {
    const { lines, log } = capture();
    const pool = await startMatcherPool({ size: 1, log, entry: fixture('misbehaving') });
    try {
      const first = await pool.match('hello');
      await expect(pool.match('crash')).rejects.toBeInstanceOf(MatcherUnavailableError);
      const next = await pool.match('hello');
      expect(next.kind).toBe('answer');
      expect(next.topic).not.toBe(first.topic); // another thread
      expect(lines.map((l) => l.event)).toContain('faq.worker.exit');
      expect(JSON.stringify(lines)).not.toContain('crash');
    } finally {
      await pool.close();
    }
  });

  it('hangs: its question fails after the timeout, and a new worker answers the next', async () => {
    const { lines, log } = capture();
    const pool = await startMatcherPool({ size: 1, log, entry: fixture('misbehaving'), timeoutMs: 200 });
    try {
      await expect(pool.match('hang')).rejects.toThrow(/too long/);
      expect((await pool.match('hello')).kind).toBe('answer');
      expect(lines.map((l) => l.event)).toContain('faq.worker.stuck');
    } finally {
      await pool.close();
    }
  });

  it('cannot be replaced: questions fail after the timeout rather than wait for the back-off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'matcher-'));
    process.env.MATCHER_FIXTURE_MARKER = join(dir, 'started');
    const { lines, log } = capture();
    const pool = await startMatcherPool({ size: 1, log, entry: fixture('fails-again'), timeoutMs: 50 });
    const exits = () => lines.filter((l) => l.event === 'faq.worker.exit').length;
    try {
      await expect(pool.match('crash')).rejects.toThrow(/stopped/);
      // The replacement fails to load: the next waits 200 ms, then 400 ms…
      await vi.waitUntil(() => exits() === 2);
      const t0 = performance.now();
      await expect(pool.match('hello')).rejects.toThrow(/no matcher worker is running/);
      expect(performance.now() - t0).toBeLessThan(200);
    } finally {
      await pool.close();
      delete process.env.MATCHER_FIXTURE_MARKER;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws on one question: that question fails, the worker goes on', async () => {
    const pool = await startMatcherPool({ size: 1, log: createLogger('silent'), entry: fixture('misbehaving') });
    try {
      const before = await pool.match('hello');
      await expect(pool.match('throw')).rejects.toThrow(/RangeError/);
      expect(await pool.match('hello')).toEqual(before);
    } finally {
      await pool.close();
    }
  });

  it('spreads questions over its workers', async () => {
    const pool = await startMatcherPool({ size: 2, log: createLogger('silent'), entry: fixture('misbehaving') });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => pool.match('hello')));
      expect(new Set(answers.map((a) => a.topic)).size).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('cannot load its content: the start fails with the content error', async () => {
    await expect(startMatcherPool({ size: 1, log: createLogger('silent'), entry: fixture('broken') })).rejects.toThrow(/broken\.yaml/);
  });

  it('once closed, fails what was in hand and what comes after', async () => {
    const pool = await startMatcherPool({ size: 1, log: createLogger('silent'), entry: fixture('misbehaving'), timeoutMs: 60_000 });
    const stuck = pool.match('hang').catch((e: unknown) => e);
    await pool.close();
    expect(await stuck).toBeInstanceOf(MatcherUnavailableError);
    expect(String(await stuck)).toMatch(/closed/);
    await expect(pool.match('hello')).rejects.toBeInstanceOf(MatcherUnavailableError);
  });
});

describe('the app as npm start builds it, with FAQ_WORKERS=1', () => {
  it('answers a question, a danger sign and a thank-you through the worker, and stops it at the end', async () => {
    const database = await freshDatabase();
    const app = await createApp({
      config: testConfig({ FAQ_WORKERS: '1' }),
      database,
      clock: new ManualClock(new Date('2026-11-23T03:00:00Z')),
      log: createLogger('silent'),
    });
    try {
      const say = (text: string) => app.engine.handle({ channel: 'telegram', userId: '7', chatId: '7', kind: 'text', text } as InboundEvent);
      const [reply] = await say('xet nghiem tien hon nhan o dau');
      expect(reply?.text).toMatch(/Nguồn/);
      expect(reply?.text).toBe((await say('Khám sức khỏe tiền hôn nhân ở đâu?'))[0]?.text);
      const danger = await say('con tôi bị co giật, tím tái');
      expect(danger.map((m) => m.text).join('\n')).toMatch(/115/);
      expect((await say('cảm ơn ad'))[0]?.text).toBe(app.i18n.t('everyday.thanks'));
    } finally {
      await app.stop();
      await database.close();
    }
  });

  it('FAQ_WORKERS defaults to one worker on more than one core, none on one', () => {
    expect(testConfig({ FAQ_WORKERS: '0' }).FAQ_WORKERS).toBe(0);
    expect(testConfig({ FAQ_WORKERS: '3' }).FAQ_WORKERS).toBe(3);
    expect(() => testConfig({ FAQ_WORKERS: 'many' })).toThrow(/FAQ_WORKERS/);
  });
});
