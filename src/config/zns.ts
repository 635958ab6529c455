import { z } from 'zod';

/**
 * The Zalo Notification Service's configuration (ZNS_* variables; see
 * src/channels/zns/sender.ts and README, Zalo → ZNS).
 */

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** `kind=templateId,kind=templateId` (outbox message kind → approved ZNS template id). */
const Templates = z
  .string()
  .transform((s, ctx) => {
    const map: Record<string, string> = {};
    for (const pair of s.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [kind, id] = pair.split('=').map((p) => p.trim());
      if (!kind || !id || !/^\d+$/.test(id)) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not kind=numericTemplateId` });
        return z.NEVER;
      }
      map[kind] = id;
    }
    return map;
  });

export const ZnsEnvSchema = z.object({
  /** The ZNS app's id (developers.zalo.me), linked to the OA. Setting it turns ZNS on. */
  ZNS_APP_ID: optional,
  /** The app's secret key (the `secret_key` header of the token refresh). */
  ZNS_APP_SECRET: optional,
  /** Seed refresh token from the OA authorisation; used only while the token store is empty. */
  ZNS_REFRESH_TOKEN: optional,
  /** Optional seed access token (else the first send refreshes). */
  ZNS_ACCESS_TOKEN: optional,
  ZNS_TEMPLATES: optional,
  ZNS_API_BASE_URL: optional.transform((v) => v ?? 'https://business.openapi.zalo.me'),
  ZNS_OAUTH_BASE_URL: optional.transform((v) => v ?? 'https://oauth.zaloapp.com'),
  /** Messages per second the 'zns' dispatcher sends. Zalo publishes no rate for ZNS, only a daily quota per OA: stay low. */
  ZNS_RATE_PER_SECOND: optional.pipe(z.coerce.number<string | undefined>().positive().max(100).optional()).transform((v) => v ?? 1),
});

export interface ZnsConfig {
  appId: string;
  appSecret: string;
  seedRefreshToken: string;
  seedAccessToken?: string | undefined;
  /** Outbox kind → template id. */
  templates: Record<string, string>;
  apiBase: string;
  oauthBase: string;
  /** ZNS_RATE_PER_SECOND (default 1). */
  perSecond: number;
}

/** The ZNS_* variables: null when ZNS_APP_ID is unset (ZNS off); throws when it is half configured. */
export function loadZnsConfig(source: NodeJS.ProcessEnv = process.env): ZnsConfig | null {
  const env = ZnsEnvSchema.parse(source);
  if (!env.ZNS_APP_ID) return null;
  const missing = (['ZNS_APP_SECRET', 'ZNS_REFRESH_TOKEN', 'ZNS_TEMPLATES'] as const).filter((k) => !env[k]);
  if (missing.length) throw new Error(`ZNS is on (ZNS_APP_ID is set) but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`);
  const templates = Templates.safeParse(env.ZNS_TEMPLATES);
  if (!templates.success) throw new Error(`ZNS_TEMPLATES: ${templates.error.issues.map((i) => i.message).join('; ')}`);
  return {
    appId: env.ZNS_APP_ID,
    appSecret: env.ZNS_APP_SECRET!,
    seedRefreshToken: env.ZNS_REFRESH_TOKEN!,
    seedAccessToken: env.ZNS_ACCESS_TOKEN,
    templates: templates.data,
    apiBase: env.ZNS_API_BASE_URL.replace(/\/+$/, ''),
    oauthBase: env.ZNS_OAUTH_BASE_URL.replace(/\/+$/, ''),
    perSecond: env.ZNS_RATE_PER_SECOND,
  };
}

