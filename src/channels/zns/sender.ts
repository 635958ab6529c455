import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { i18n } from 'i18next';
import { isMobilePhone, normalisePhone } from '../../core/phone.js';
import type { FetchLike } from '../zalo/api.js';
import type { Clock } from '../../core/clock.js';
import type { ZnsConfig } from '../../config/zns.js';
import { rows, type Db } from '../../db/client.js';
import { translate } from '../../i18n/index.js';
import type { Logger } from '../../log.js';
import { defaultBurst, type RateLimits } from '../../outbox/rate-limit.js';
import type { ClaimedMessage, SendResult, Sender } from '../../outbox/types.js';

/**
 * Zalo Notification Service (ZNS): template messages to a phone number, sent
 * through the health department's Official Account (OA). This is the way to
 * reach someone who has never chatted with the bot (a person booked at the ward
 * station, a relative's phone), with a template Zalo approved beforehand.
 *
 * Endpoints and codes below follow Zalo's public developer docs as known to us
 * (developers.zalo.me, 2025); every one is configurable or marked as an
 * assumption, to be checked against the OA's own console before going live:
 *   send:     POST {ZNS_API_BASE_URL}/message/template, header `access_token`,
 *             body { phone: "84…", template_id, template_data, tracking_id }
 *             → { error: 0, message, data: { msg_id, sent_time } }
 *   refresh:  POST {ZNS_OAUTH_BASE_URL}/v4/oa/access_token, header `secret_key`,
 *             form { refresh_token, app_id, grant_type: refresh_token }
 *             → { access_token, refresh_token, expires_in }
 * The access token lives about 25 hours; the refresh token about 3 months and
 * is SINGLE-USE: each refresh returns a new one and the old one is dead. So the
 * pair is kept in a store (Postgres in production) and replaced atomically,
 * under a lock, by whichever process refreshes.
 */

// ---------------------------------------------------------------- limits

/** The 'zns' dispatcher's limits: ZNS_RATE_PER_SECOND overall, one message a second to one number. */
export function znsLimits(config: Pick<ZnsConfig, 'perSecond'>): RateLimits {
  return { perSecond: config.perSecond, perChatPerSecond: 1, burst: defaultBurst(config.perSecond) };
}

// ---------------------------------------------------------------- token store

export interface ZnsTokens {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
}

/**
 * Where the OA's token pair lives. `rotate` is the only writer: it runs `fn`
 * holding an exclusive lock across processes, and stores what `fn` returns in
 * the same atomic step (null keeps the current pair). A process that waited for
 * the lock sees the pair another one just stored, and need not refresh.
 */
export interface ZnsTokenStore {
  read(): Promise<ZnsTokens>;
  rotate(fn: (current: ZnsTokens) => Promise<ZnsTokens | null>): Promise<ZnsTokens>;
}

/** The seed pair from configuration: an access token already expired unless one was given. */
export function seedTokens(config: ZnsConfig, now: Date): ZnsTokens {
  return {
    accessToken: config.seedAccessToken ?? '',
    refreshToken: config.seedRefreshToken,
    accessExpiresAt: config.seedAccessToken ? new Date(now.getTime() + 60 * 60_000) : new Date(0),
  };
}

/** For tests and single-process development: a mutex in memory. Loses the pair on restart. */
export function memoryZnsTokenStore(initial: ZnsTokens): ZnsTokenStore & { current(): ZnsTokens } {
  let tokens = { ...initial };
  let lock: Promise<unknown> = Promise.resolve();
  return {
    current: () => ({ ...tokens }),
    read: async () => ({ ...tokens }),
    rotate(fn) {
      const run = lock.then(async () => {
        const next = await fn({ ...tokens });
        if (next) tokens = { ...next };
        return { ...tokens };
      });
      lock = run.catch(() => {});
      return run;
    },
  };
}

/**
 * The production store: one row in `zns_tokens` (src/db/schema.ts), locked
 * with SELECT … FOR UPDATE while the refresh call runs, replaced in the same
 * transaction. The seed is inserted only when the row is missing (first
 * start); afterwards ZNS_REFRESH_TOKEN is ignored. The one
 * window left: Zalo answered a refresh and the process died before COMMIT; the
 * new refresh token is then lost and an operator re-authorises the OA (README).
 */
export function postgresZnsTokenStore(db: Db, seed: ZnsTokens): ZnsTokenStore {
  type Row = { access_token: string; refresh_token: string; access_expires_at: Date | string };
  const toTokens = (r: Row): ZnsTokens => ({
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    accessExpiresAt: new Date(r.access_expires_at),
  });
  const insertSeed = sql`insert into zns_tokens (id, access_token, refresh_token, access_expires_at)
    values (1, ${seed.accessToken}, ${seed.refreshToken}, ${seed.accessExpiresAt.toISOString()}::timestamptz)
    on conflict (id) do nothing`;
  return {
    async read() {
      await db.execute(insertSeed);
      const [row] = await rows<Row>(db, sql`select access_token, refresh_token, access_expires_at from zns_tokens where id = 1`);
      return toTokens(row!);
    },
    rotate(fn) {
      return db.transaction(async (tx) => {
        await tx.execute(insertSeed);
        const [row] = await rows<Row>(tx, sql`select access_token, refresh_token, access_expires_at from zns_tokens where id = 1 for update`);
        const current = toTokens(row!);
        const next = await fn(current);
        if (!next) return current;
        await tx.execute(sql`update zns_tokens set access_token = ${next.accessToken}, refresh_token = ${next.refreshToken},
          access_expires_at = ${next.accessExpiresAt.toISOString()}::timestamptz, updated_at = now() where id = 1`);
        return next;
      });
    },
  };
}

// ---------------------------------------------------------------- client

export class ZnsError extends Error {
  override readonly name = 'ZnsError';
  constructor(
    readonly code: number,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(`zns ${code}: ${message}`);
  }
}

const SendAnswer = z.object({ error: z.coerce.number(), message: z.string().optional(), data: z.unknown().optional() }).loose();
const RefreshOk = z.object({ access_token: z.string().min(1), refresh_token: z.string().min(1), expires_in: z.coerce.number().positive() }).loose();
const RefreshError = z
  .object({ error: z.coerce.number(), error_name: z.string().optional(), error_description: z.string().optional(), message: z.string().optional() })
  .loose();

/** "Access token is invalid or expired" (assumed from Zalo's docs): refresh once and retry. */
const TOKEN_INVALID = new Set([-124, -216]);
/** Refresh this long before the access token expires. */
const EARLY_MS = 5 * 60_000;

/** Calls ZNS with a valid access token, refreshing it (once per cluster) when due. */
export class ZnsClient {
  private readonly fetch: FetchLike;
  private cached: ZnsTokens | null = null;
  private refreshing: Promise<ZnsTokens> | null = null;

  constructor(
    private readonly o: { config: ZnsConfig; store: ZnsTokenStore; clock: Clock; fetch?: FetchLike; log?: Logger; timeoutMs?: number },
  ) {
    this.fetch = o.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  private fresh(t: ZnsTokens): boolean {
    return t.accessToken !== '' && t.accessExpiresAt.getTime() - this.o.clock.now().getTime() > EARLY_MS;
  }

  /** A usable access token; `stale` is one Zalo just refused, which forces a refresh unless another process already did one. */
  async accessToken(stale?: string): Promise<string> {
    if (!this.cached) this.cached = await this.o.store.read();
    if (this.fresh(this.cached) && this.cached.accessToken !== stale) return this.cached.accessToken;
    this.refreshing ??= this.o.store
      .rotate(async (current) => {
        if (this.fresh(current) && current.accessToken !== stale) return null; // someone else refreshed
        return this.refresh(current.refreshToken);
      })
      .finally(() => {
        this.refreshing = null;
      });
    this.cached = await this.refreshing;
    return this.cached.accessToken;
  }

  private async refresh(refreshToken: string): Promise<ZnsTokens> {
    const { config, clock } = this.o;
    const res = await this.fetch(`${config.oauthBase}/v4/oa/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', secret_key: config.appSecret },
      body: new URLSearchParams({ refresh_token: refreshToken, app_id: config.appId, grant_type: 'refresh_token' }).toString(),
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
    });
    const body: unknown = await res.json().catch(() => null);
    const answer = RefreshOk.safeParse(body);
    if (!answer.success) {
      const e = RefreshError.safeParse(body).data;
      this.o.log?.error({ code: e?.error, httpStatus: res.status }, 'zns: token refresh refused; the OA must be authorised again (see README, Zalo)');
      throw new ZnsError(e?.error ?? res.status, `token refresh failed: ${e?.error_description ?? e?.error_name ?? e?.message ?? `HTTP ${res.status}`}`, res.status);
    }
    this.o.log?.info('zns: access token refreshed');
    return {
      accessToken: answer.data.access_token,
      refreshToken: answer.data.refresh_token,
      accessExpiresAt: new Date(clock.now().getTime() + answer.data.expires_in * 1000),
    };
  }

  /** Sends one template message; throws ZnsError when Zalo says no. */
  async sendTemplate(msg: { phone: string; templateId: string; data: Record<string, string>; trackingId: string }): Promise<{ msgId?: string }> {
    let token = await this.accessToken();
    for (let attempt = 0; ; attempt++) {
      const res = await this.fetch(`${this.o.config.apiBase}/message/template`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', access_token: token },
        body: JSON.stringify({ phone: msg.phone, template_id: msg.templateId, template_data: msg.data, tracking_id: msg.trackingId }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
      });
      if (res.status === 429) throw new ZnsError(429, 'rate limited', 429);
      const answer = SendAnswer.safeParse(await res.json().catch(() => null));
      if (!answer.success) throw new ZnsError(res.status, `unexpected answer (HTTP ${res.status})`, res.status);
      if (answer.data.error === 0) {
        const data = answer.data.data as { msg_id?: unknown } | undefined;
        return data?.msg_id !== undefined ? { msgId: String(data.msg_id) } : {};
      }
      if (TOKEN_INVALID.has(answer.data.error) && attempt === 0) {
        token = await this.accessToken(token);
        continue;
      }
      throw new ZnsError(answer.data.error, answer.data.message ?? 'refused', res.status);
    }
  }
}

// ---------------------------------------------------------------- sender

/**
 * A number as ZNS's API takes it: 0912 345 678, +84 912 345 678, 84912345678 →
 * 84912345678 (the +84 form of core's normalisePhone without the +); null
 * unless a Vietnamese mobile number (ZNS reaches Zalo accounts, which hang on
 * mobile numbers only).
 */
export function znsPhone(raw: string | null | undefined): string | null {
  const phone = raw ? normalisePhone(raw) : null;
  return phone && isMobilePhone(phone) ? phone.slice(1) : null;
}

/**
 * Codes meaning this recipient cannot get ZNS at all (assumed from Zalo's docs:
 * invalid phone, no Zalo account or disabled, cannot receive ZNS, refused ZNS
 * from this OA). Retrying will not help; the bot is not "blocked" either.
 */
const RECIPIENT_CANNOT = new Set([-108, -118, -119, -139]);
/** Template not approved / disabled / wrong parameters: a configuration problem, not retried. */
const TEMPLATE_PROBLEM = new Set([-112, -117, -131, -132]);

/** The dispatcher's terms for a ZNS failure. */
export function classifyZns(err: unknown): SendResult {
  if (err instanceof ZnsError) {
    if (err.code === 429) return { kind: 'retry_after', seconds: 30 };
    if (RECIPIENT_CANNOT.has(err.code)) return { kind: 'error', message: `zns recipient: ${err.message}`, permanent: true };
    if (TEMPLATE_PROBLEM.has(err.code)) return { kind: 'error', message: `zns template: ${err.message}`, permanent: true };
    // Daily quota (-144), outside allowed hours (-133), Zalo trouble, a refused refresh: retried with backoff.
    return { kind: 'error', message: err.message };
  }
  return { kind: 'error', message: `zns network: ${err instanceof Error ? err.message : String(err)}` };
}

/** The payload's params as they are: ZNS template data are strings. */
const plainData = (message: ClaimedMessage) =>
  Object.fromEntries(Object.entries(message.payload.params ?? {}).map(([k, v]) => [k, String(v)]));

/**
 * Template data in words: the params that are codes in the outbox (programme,
 * weekday) become the words the bot would say, in the recipient's language;
 * `context` (an i18next switch) is left out. A template's parameters are
 * named after these: who, programme, weekday, date, time, place, note.
 */
export function znsTemplateData(i18n: i18n): (message: ClaimedMessage) => Record<string, string> {
  return (message) => {
    const t = translate(i18n, message.locale);
    const data = plainData(message);
    delete data.context;
    if (data.programme) data.programme = t(`programmes.${data.programme}.checkup`);
    if (data.weekday) data.weekday = t(`weekdays.${data.weekday}`);
    return data;
  };
}

/**
 * The outbox's ZNS sender: the template of the message kind, sent to the number
 * the contact agreed to get ZNS at (`phoneOf`: src/domain/zns.ts, asked at
 * send time so a consent withdrawn since the row was queued is honoured), with
 * the payload's params as template data. The ZNS template's parameter names
 * must equal the data's names.
 */
export function createZnsSender(opts: {
  config: ZnsConfig;
  client: Pick<ZnsClient, 'sendTemplate'>;
  phoneOf: (contactId: number) => Promise<string | null>;
  /** Default: the params as strings. */
  data?: (message: ClaimedMessage) => Record<string, string>;
}): Sender {
  const toData = opts.data ?? plainData;
  return {
    async send(message) {
      const templateId = opts.config.templates[message.kind];
      if (!templateId) return { kind: 'error', message: `zns: no template for kind "${message.kind}" (ZNS_TEMPLATES)`, permanent: true };
      const phone = znsPhone(await opts.phoneOf(message.contactId));
      if (!phone) return { kind: 'error', message: 'zns: no consent to ZNS, or no mobile number, for this contact', permanent: true };
      const data = toData(message);
      try {
        await opts.client.sendTemplate({ phone, templateId, data, trackingId: message.dedupeKey });
        return { kind: 'ok' };
      } catch (err) {
        return classifyZns(err);
      }
    },
  };
}
