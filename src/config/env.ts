import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { loadZnsConfig, type ZnsConfig } from './zns.js';

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const idList = optional.transform((v) =>
  v === undefined ? [] : v.split(',').map((s) => s.trim()).filter(Boolean),
);

/** Every variable of the operators' contract (README, Configuration), validated once at start. */
export const EnvSchema = z
  .object({
    NODE_ENV: optional,
    DATABASE_URL: optional,
    DATA_DIR: optional.transform((v) => v ?? './data'),
    TELEGRAM_BOT_TOKEN: optional,
    TELEGRAM_API_ROOT: optional.transform((v) => v ?? 'https://api.telegram.org'),
    TELEGRAM_WEBHOOK_SECRET: optional,
    ZALO_BOT_TOKEN: optional,
    ZALO_API_BASE_URL: optional.transform((v) => v ?? 'https://bot-api.zaloplatforms.com'),
    ZALO_WEBHOOK_SECRET: optional,
    /** Local development only: Zalo getUpdates polling instead of the webhook. */
    ZALO_POLLING: optional.transform((v) => v === '1' || v === 'true'),
    PUBLIC_URL: optional.pipe(z.url().optional()),
    PORT: optional.transform((v) => (v === undefined ? 3000 : Number(v))).pipe(z.number().int().min(0).max(65535)),
    ADMIN_TELEGRAM_IDS: idList,
    /** Telegram's paid broadcast (up to 1,000 msg/s, for a fee): off unless "1". */
    TELEGRAM_PAID_BROADCAST: optional.transform((v) => v === '1' || v === 'true'),
    /** Broadcasts one collaborator or station staff member may start per local day. */
    BROADCAST_DAILY_CAP: optional.transform((v) => (v === undefined ? 3 : Number(v))).pipe(z.number().int().min(1).max(100)),
    FAKE_NOW: optional.pipe(z.iso.datetime({ offset: true }).optional()),
    /** How long a webhook event may be in a handler's hands before another replica (or the next start) takes it back. */
    INBOX_LEASE_SECONDS: optional.transform((v) => (v === undefined ? 60 : Number(v))).pipe(z.number().min(1).max(3600)),
    /** How long start-up keeps trying to reach a platform (getMe, setWebhook) before it gives up. */
    STARTUP_TIMEOUT_SECONDS: optional.transform((v) => (v === undefined ? 120 : Number(v))).pipe(z.number().min(1).max(3600)),
    /**
     * Worker threads that work each message out (safety check, everyday intents, FAQ match)
     * beside the event loop. Default: 1 when the machine has more than one core, else 0
     * (in the event loop itself).
     */
    FAQ_WORKERS: optional
      .transform((v) => (v === undefined ? (availableParallelism() > 1 ? 1 : 0) : Number(v)))
      .pipe(z.number().int().min(0).max(16)),
    LOG_LEVEL: optional.transform((v) => v ?? 'info').pipe(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    ),
  })
  .refine((e) => !(e.ZALO_POLLING && e.NODE_ENV === 'production'), {
    message: 'ZALO_POLLING is for local development; production uses the webhook',
    path: ['ZALO_POLLING'],
  })
  .refine((e) => !(e.FAKE_NOW && e.NODE_ENV === 'production'), {
    message: 'FAKE_NOW is refused when NODE_ENV=production',
    path: ['FAKE_NOW'],
  })
  .refine((e) => !e.TELEGRAM_WEBHOOK_SECRET || /^[A-Za-z0-9_-]{1,256}$/.test(e.TELEGRAM_WEBHOOK_SECRET), {
    message: 'TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (Telegram’s rule)',
    path: ['TELEGRAM_WEBHOOK_SECRET'],
  });

export type Env = z.infer<typeof EnvSchema>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Configuration is not valid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Webhook mode needs both the public URL and the secret; otherwise Telegram uses long polling. */
export const telegramWebhookMode = (env: Env): boolean =>
  Boolean(env.TELEGRAM_BOT_TOKEN && env.PUBLIC_URL && env.TELEGRAM_WEBHOOK_SECRET);

/** The whole configuration: the environment, validated, and ZNS when it is on. */
export type Config = Env & { zns: ZnsConfig | null };

/** Reads and validates every setting once; throws a readable error naming each bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  return { ...loadEnv(source), zns: loadZnsConfig(source) };
}

/** Values the logs must never print (src/log.ts hides them wherever they appear). */
export function configSecrets(config: Config): string[] {
  const password = config.DATABASE_URL ? safeUrl(config.DATABASE_URL)?.password : undefined;
  return [
    config.TELEGRAM_BOT_TOKEN,
    config.TELEGRAM_WEBHOOK_SECRET,
    config.ZALO_BOT_TOKEN,
    config.ZALO_WEBHOOK_SECRET,
    config.zns?.appSecret,
    config.zns?.seedRefreshToken,
    config.zns?.seedAccessToken,
    password ? decodeURIComponent(password) : undefined,
  ].filter((s): s is string => Boolean(s));
}

function safeUrl(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}
