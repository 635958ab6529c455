import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import type { Update } from 'grammy/types';

export const API_ROOT = 'http://telegram.test';
export const TOKEN = '123456:TEST-token';

export interface ApiCall {
  method: string;
  body: Record<string, any>;
}

/**
 * msw answering the Telegram Bot API at API_ROOT: records every call and
 * answers `ok`, unless a test asks for another answer with `fail`.
 */
export function fakeTelegram() {
  const calls: ApiCall[] = [];
  let failures: ((call: ApiCall) => { status: number; body: Record<string, unknown> } | undefined)[] = [];
  let messageId = 1;
  const server = setupServer(
    http.post(`${API_ROOT}/bot${TOKEN}/:method`, async ({ request, params }) => {
      const text = await request.text();
      const body = text ? (JSON.parse(text) as Record<string, any>) : {};
      const call = { method: String(params.method), body };
      calls.push(call);
      for (const f of failures) {
        const failure = f(call);
        if (failure) return HttpResponse.json(failure.body, { status: failure.status });
      }
      if (call.method === 'getMe') {
        return HttpResponse.json({ ok: true, result: { id: 42, is_bot: true, first_name: 'HP Bot', username: 'hp_health_bot', can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false } });
      }
      if (call.method === 'sendMessage') {
        return HttpResponse.json({ ok: true, result: { message_id: messageId++, date: 0, chat: { id: Number(body.chat_id), type: 'private' }, text: body.text } });
      }
      return HttpResponse.json({ ok: true, result: true });
    }),
  );
  return {
    server,
    calls,
    sent: () => calls.filter((c) => c.method === 'sendMessage'),
    fail(f: (call: ApiCall) => { status: number; body: Record<string, unknown> } | undefined) {
      failures.push(f);
    },
    reset() {
      calls.length = 0;
      failures = [];
    },
  };
}

let updateId = 1;
const from = (id: number) => ({ id, is_bot: false, first_name: 'Lan', language_code: 'vi' });
const chat = (id: number) => ({ id, type: 'private' as const, first_name: 'Lan' });

/** Typed as the Bot API's Update (the literals below are real update JSON). */
const asUpdate = (u: object) => u as Update;

/** Real Telegram update JSON, as the Bot API delivers it. */
export const updates = {
  text: (userId: number, text: string) =>
    asUpdate({
    update_id: updateId++,
    message: {
      message_id: updateId,
      date: 1_790_000_000,
      chat: chat(userId),
      from: from(userId),
      text,
      ...(text.startsWith('/') ? { entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }] } : {}),
    },
  }),
  sticker: (userId: number) =>
    asUpdate({
    update_id: updateId++,
    message: {
      message_id: updateId,
      date: 1_790_000_000,
      chat: chat(userId),
      from: from(userId),
      sticker: { file_id: 'x', file_unique_id: 'y', type: 'regular', width: 512, height: 512, is_animated: false, is_video: false },
    },
  }),
  press: (userId: number, data: string) =>
    asUpdate({
    update_id: updateId++,
    callback_query: {
      id: `cb${updateId}`,
      from: from(userId),
      chat_instance: '1',
      data,
      message: { message_id: 1, date: 1_790_000_000, chat: chat(userId), from: { id: 42, is_bot: true, first_name: 'HP Bot' }, text: 'old' },
    },
  }),
  kicked: (userId: number) =>
    asUpdate({
    update_id: updateId++,
    my_chat_member: {
      chat: chat(userId),
      from: from(userId),
      date: 1_790_000_000,
      old_chat_member: { user: { id: 42, is_bot: true, first_name: 'HP Bot' }, status: 'member' },
      new_chat_member: { user: { id: 42, is_bot: true, first_name: 'HP Bot' }, status: 'kicked', until_date: 0 },
    },
  }),
};
