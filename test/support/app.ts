import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/env.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Hono } from 'hono';
import { createHttp, type Listening, listen } from '../../src/http/server.js';
import type { FaqBundle } from '../../src/faq/types.js';
import type { Database } from '../../src/db/client.js';
import type { InboundEvent, OutboundMessage } from '../../src/core/messages.js';
import type { FaqEntry } from '../../src/faq/schema.js';
import { createLogger } from '../../src/log.js';
import { freshDatabase } from './db.js';

const entry = (topic: string, title: string, answer: string, related: string[] = []): FaqEntry => ({
  topic,
  title,
  answer,
  questions: [],
  related,
  sources: ['Bộ Y tế (tài liệu thử)'],
  reviewed: '2026-11-23',
});

/**
 * A small, predictable FAQ for engine tests (the real matcher has its own
 * suite): a question containing "bat buoc" is about premarital.mandatory,
 * "o dau" about premarital.where, "mien phi" is ambiguous between two costs.
 */
export function testFaq(): FaqBundle {
  const entries = new Map<string, FaqEntry>(
    [
      entry('premarital.mandatory', 'Có bắt buộc không?', 'Không bắt buộc bạn nhé. Khám là tự nguyện, kết quả được giữ bí mật.', ['premarital.where']),
      entry('premarital.where', 'Khám ở đâu?', 'Bạn có thể khám tại trạm y tế xã, phường nơi bạn sống.'),
      entry('premarital.cost', 'Chi phí khám tiền hôn nhân', 'Chi phí tùy cơ sở; bạn hỏi trạm y tế nhé.'),
      entry('prenatal.cost', 'Chi phí sàng lọc trước sinh', 'Một số xét nghiệm được bảo hiểm y tế chi trả.'),
      entry('safety.emergency', 'Cấp cứu', 'Gọi ngay 115 hoặc đến cơ sở y tế gần nhất.'),
    ].map((e) => [e.topic, e]),
  );
  const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').toLowerCase();
  return {
    entries,
    safety: (text) => (fold(text).includes('co giat') ? { kind: 'alarm' as const, topic: 'safety.emergency' as const } : null),
    matcher: {
      match(q) {
        const f = fold(q);
        if (f.includes('bat buoc')) return { kind: 'answer', topic: 'premarital.mandatory', score: 0.9 };
        if (f.includes('o dau')) return { kind: 'answer', topic: 'premarital.where', score: 0.8 };
        if (f.includes('mien phi')) return { kind: 'ambiguous', topic: 'premarital.cost', score: 0.5, alternatives: ['prenatal.cost'] };
        return { kind: 'none', topic: null, score: 0.1 };
      },
    },
  };
}

export interface TestApp extends App {
  database: Database;
  clock: ManualClock;
  /** Sends one event as a person and returns the replies. */
  say(text: string, who?: Partial<InboundEvent>): Promise<OutboundMessage[]>;
  press(value: string, who?: Partial<InboundEvent>): Promise<OutboundMessage[]>;
  close(): Promise<void>;
}

/** A configuration as operators would set it, quiet logs. */
export const testConfig = (env: Record<string, string> = {}) => loadConfig({ LOG_LEVEL: 'silent', ...env });

/**
 * The whole app on a fresh database, channels off (tests drive the engine or
 * build channels themselves). `env`: configuration variables, as operators set them.
 */
export async function testApp(opts: { faq?: FaqBundle; now?: Date; env?: Record<string, string> } = {}): Promise<TestApp> {
  const database = await freshDatabase();
  const clock = new ManualClock(opts.now ?? new Date('2026-11-23T03:00:00Z'));
  const config = testConfig(opts.env);
  const app = await createApp({ config, database, clock, log: createLogger('silent'), faq: opts.faq ?? testFaq() });
  const base = { channel: 'telegram' as const, userId: '1001', chatId: '1001' };
  return {
    ...app,
    database,
    clock,
    say: (text, who = {}) => app.engine.handle({ ...base, ...who, kind: 'text', text } as InboundEvent),
    press: (value, who = {}) => app.engine.handle({ ...base, ...who, kind: 'choice', value } as InboundEvent),
    close: async () => {
      await app.stop();
      await database.close();
    },
  };
}

/** Serves routes on a free loopback port, with /healthz answering ready. */
export async function serveRoutes(register: (http: Hono) => void): Promise<Listening> {
  const http = createHttp({ readiness: () => 'ready', database: async () => 1 });
  register(http);
  return listen(http, 0, '127.0.0.1');
}
