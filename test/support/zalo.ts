import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';

export const ZALO_BASE = 'http://zalo.test';
export const ZALO_TOKEN = '1234567890:zalo-TEST-token';
export const ZALO_SECRET = 'zalo-webhook-secret-0123456789';
export const ZNS_API = 'http://zns.test';
export const ZNS_OAUTH = 'http://oauth.zalo.test';

export interface ZaloCall {
  method: string;
  body: Record<string, any>;
}
type Failure = { status: number; body: unknown; headers?: Record<string, string> };

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * msw answering the Zalo Bot Platform API at ZALO_BASE (records every call,
 * answers ok unless a test asks otherwise with `fail`), and ZNS with its OAuth
 * endpoint (a local fake of the OA: single-use refresh tokens, a current
 * access token).
 */
export function fakeZalo() {
  const calls: ZaloCall[] = [];
  let failures: ((call: ZaloCall) => Failure | undefined)[] = [];
  let messageId = 1;

  // ZNS side: the OA's token state as Zalo's servers would hold it.
  const zns = {
    accessToken: 'access-0',
    refreshToken: 'refresh-0',
    generation: 0,
    refreshes: 0,
    sent: [] as { accessToken: string; body: Record<string, any> }[],
    /** error code ZNS answers for the next sends (0 = success). */
    nextErrors: [] as number[],
  };

  const server = setupServer(
    http.post(new RegExp(`^${escapeRegExp(ZALO_BASE)}/bot${escapeRegExp(ZALO_TOKEN)}/(\\w+)$`), async ({ request }) => {
      const method = new URL(request.url).pathname.split('/').at(-1)!;
      const text = await request.text();
      const call = { method, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
      calls.push(call);
      for (const f of failures) {
        const failure = f(call);
        if (failure) return HttpResponse.json(failure.body as any, { status: failure.status, headers: failure.headers ?? {} });
      }
      if (method === 'getMe') return HttpResponse.json({ ok: true, result: { id: '9001', account_name: 'bot.hp_health', account_type: 'BASIC', can_join_groups: false } });
      if (method === 'sendMessage' || method === 'sendPhoto') {
        return HttpResponse.json({ ok: true, result: { message_id: `m${messageId++}`, date: 1_790_000_000_000 } });
      }
      if (method === 'getWebhookInfo') return HttpResponse.json({ ok: true, result: { url: 'https://bot.example.vn/webhooks/zalo', updated_at: 1 } });
      return HttpResponse.json({ ok: true, result: true });
    }),
    http.post(`${ZNS_OAUTH}/v4/oa/access_token`, async ({ request }) => {
      const form = new URLSearchParams(await request.text());
      if (request.headers.get('secret_key') !== 'app-secret' || form.get('grant_type') !== 'refresh_token') {
        return HttpResponse.json({ error: -14002, error_name: 'Invalid app secret' });
      }
      if (form.get('refresh_token') !== zns.refreshToken) {
        return HttpResponse.json({ error: -14014, error_name: 'Invalid refresh token', error_description: 'refresh token is used or expired' });
      }
      zns.refreshes++;
      zns.generation++;
      zns.accessToken = `access-${zns.generation}`;
      zns.refreshToken = `refresh-${zns.generation}`;
      return HttpResponse.json({ access_token: zns.accessToken, refresh_token: zns.refreshToken, expires_in: '90000' });
    }),
    http.post(`${ZNS_API}/message/template`, async ({ request }) => {
      const token = request.headers.get('access_token') ?? '';
      const body = (await request.json()) as Record<string, any>;
      if (token !== zns.accessToken) return HttpResponse.json({ error: -124, message: 'Access token is invalid' });
      const error = zns.nextErrors.shift() ?? 0;
      if (error !== 0) return HttpResponse.json({ error, message: `error ${error}` });
      zns.sent.push({ accessToken: token, body });
      return HttpResponse.json({ error: 0, message: 'Success', data: { msg_id: `zns${zns.sent.length}`, sent_time: '1790000000000' } });
    }),
  );

  return {
    server,
    calls,
    zns,
    sent: () => calls.filter((c) => c.method === 'sendMessage'),
    fail(f: (call: ZaloCall) => Failure | undefined) {
      failures.push(f);
    },
    reset() {
      calls.length = 0;
      failures = [];
    },
  };
}

let seq = 0;
const nextId = () => `${(0x2d758cb5e222 + ++seq).toString(16)}4e35`;

/** Real Zalo Bot Platform event JSON (ids are hex strings, `date` in milliseconds). */
function message(userId: string, extra: Record<string, unknown>) {
  return {
    message_id: nextId(),
    chat: { id: userId, chat_type: 'PRIVATE' },
    from: { id: userId, display_name: 'Nguyễn Thị Lan', is_bot: false },
    date: 1_790_000_000_000 + seq,
    ...extra,
  };
}

export const zaloEvents = {
  text: (userId: string, text: string) => ({ event_name: 'message.text.received', message: message(userId, { text }) }),
  image: (userId: string) => ({
    event_name: 'message.image.received',
    message: message(userId, { photo_url: 'https://photo-stal.zadn.vn/abc.jpg', caption: '' }),
  }),
  sticker: (userId: string) => ({
    event_name: 'message.sticker.received',
    message: message(userId, { sticker: 'bfe458bf64fa8da4d4eb', url: 'https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=46991' }),
  }),
  voice: (userId: string) => ({
    event_name: 'message.voice.received',
    message: message(userId, { url: 'https://voice-aac-dl.zdn.vn/abc.aac' }),
  }),
  /** Content withheld (a protected account, e.g. a child's): sender and chat only. */
  unsupported: (userId: string) => ({ event_name: 'message.unsupported.received', message: message(userId, {}) }),
  /** Seen in the wild: no message at all. */
  unsupportedBare: () => ({ event_name: 'message.unsupported.received' }),
  /** The documented wrapped shape. */
  wrap: (event: object) => ({ ok: true, result: event }),
};
