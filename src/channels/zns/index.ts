import { eq } from 'drizzle-orm';
import { PLAIN_CAPS } from '../../core/caps.js';
import type { Db } from '../../db/client.js';
import { znsRecipients } from '../../db/schema.js';
import type { ChannelPlugin, ChannelRuntime } from '../plugin.js';
import { znsFallback } from './fallback.js';
import { createZnsSender, postgresZnsTokenStore, seedTokens, ZnsClient, znsLimits, znsTemplateData } from './sender.js';

/** The number a person agreed to get ZNS reminders at (consent purpose 'zns'), looked up at send time. */
export async function znsPhoneOf(db: Db, contactId: number): Promise<string | null> {
  const [row] = await db.select({ phone: znsRecipients.phone }).from(znsRecipients).where(eq(znsRecipients.contactId, contactId));
  return row?.phone ?? null;
}

/**
 * ZNS (optional): the 'zns' outbox channel sends template messages to the
 * numbers people agreed to, at its own rate and with quiet hours like the
 * others; the chat channels hand it what they cannot deliver (fallback.ts).
 * It has no conversations: nothing comes in.
 */
export const znsChannel: ChannelPlugin = {
  name: 'zns',
  caps: PLAIN_CAPS,
  // Only beside a chat channel: it carries on what they cannot deliver.
  enabled: (config) => config.zns !== null && Boolean(config.TELEGRAM_BOT_TOKEN || config.ZALO_BOT_TOKEN),
  create(deps): ChannelRuntime {
    const config = deps.config.zns!;
    const client = new ZnsClient({
      config,
      store: postgresZnsTokenStore(deps.db, seedTokens(config, deps.clock.now())),
      clock: deps.clock,
      log: deps.log,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    return {
      name: 'zns',
      caps: PLAIN_CAPS,
      outbox: {
        sender: createZnsSender({ config, client, phoneOf: (id) => znsPhoneOf(deps.db, id), data: znsTemplateData(deps.i18n) }),
        limits: znsLimits(config),
      },
      fallback: znsFallback({ db: deps.db, clock: deps.clock, templates: config.templates }),
      async start() {
        deps.log.info({ templates: Object.keys(config.templates), perSecond: config.perSecond }, 'zns: ready');
      },
      async stop() {},
    };
  },
};
