import { isDenied } from '../src/core/actor.js';
import type { BotModule } from '../src/engine/module.js';

/** Minutes a sign-in link lasts (src/console/tokens.ts LINK_TTL_MS). */
const LINK_MINUTES = 10;

/**
 * /web ("trang quản lý"): a single-use sign-in link to the staff console for
 * anyone holding a staff role (StaffDesk.consoleToken: checked, audited, only
 * the token's hash kept). `baseUrl` is PUBLIC_URL, or http://localhost:PORT.
 */
export function webModule(o: { baseUrl: () => string }): BotModule {
  return {
    id: 'web',
    commands: {
      web: {
        run: async (turn) => {
          const issued = await turn.person.staff.consoleToken();
          if (isDenied(issued)) return [{ text: turn.t('web.denied') }];
          const url = `${o.baseUrl().replace(/\/+$/, '')}/staff/login?token=${issued.token}`;
          return [{ text: turn.t('web.link', { url, minutes: LINK_MINUTES }) }];
        },
      },
    },
  };
}
