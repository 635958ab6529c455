import { join } from 'node:path';
import { z } from 'zod';
import { choice, decodeAction } from '../src/core/actions.js';
import { contentDir } from '../src/config/paths.js';
import { loadContent } from '../src/core/content.js';
import type { Choice, OutboundMessage } from '../src/core/messages.js';
import { SCREENING_PROGRAMMES, type ScreeningProgramme } from '../src/core/programmes.js';
import type { FlowContext } from '../src/engine/flow.js';
import type { BotModule } from '../src/engine/module.js';
import type { FaqBundle } from '../src/faq/types.js';
import type { Key } from '../src/i18n/index.js';
import { faqTitle } from './faq.js';

/** A button's value in content: an encoded action that must mean something today. */
const ActionValue = z.string().refine((v) => decodeAction(v).type !== 'stale', 'not a known action (see src/core/actions.ts)');

const MenuFile = z.object({
  about: z.string().optional(),
  /** For each programme, the FAQ topics its page offers as buttons. */
  programmes: z.record(z.string(), z.array(z.string())),
  /** The journey a programme's page offers (an action). */
  journeys: z.record(z.string(), ActionValue).default({}),
  /** More main-menu buttons after "Nhận nhắc lịch": a label key and an action. */
  more: z.array(z.object({ label: z.string(), value: ActionValue })).default([]),
});
export type MenuContent = z.infer<typeof MenuFile>;

/** Reads content/menu.json; its label keys must be in the locales (checked here, at start). */
export function loadMenu(hasKey: (key: string) => boolean, file = join(contentDir, 'menu.json')): MenuContent {
  const menu = loadContent(file, MenuFile);
  const labels = [...menu.more.map((m) => m.label), ...Object.keys(menu.journeys).map((p) => `programmes.${p}.journey`)];
  const missing = labels.filter((k) => !hasKey(k));
  if (missing.length) throw new Error(`${file}: no words in content/locales for ${missing.join(', ')}`);
  return menu;
}


/** The main menu, a programme's page, help, and the ways to ask: all read-only. */
export function menuModule(o: { faq: FaqBundle; menu: MenuContent }): BotModule {
  const { faq, menu } = o;
  const home = (ctx: FlowContext): OutboundMessage => {
    const choices: Choice[] = SCREENING_PROGRAMMES.map((p) => choice(ctx.t(`programmes.${p}.label`), { type: 'programme', programme: p }));
    choices.push(choice(ctx.t('menu.subscribe'), { type: 'subscribe' }));
    choices.push(...menu.more.map((m) => ({ label: ctx.t(m.label as Key), value: m.value })));
    choices.push(choice(ctx.t('menu.ask'), { type: 'ask' }));
    return { text: ctx.t('menu.title'), choices };
  };
  const programmePage = (ctx: FlowContext, p: ScreeningProgramme): OutboundMessage => {
    const topics = (menu.programmes[p] ?? []).filter((id) => faq.entries.has(id));
    const journey = menu.journeys[p];
    return {
      text: ctx.t(`programmes.${p}.about`),
      choices: [
        ...(journey ? [{ label: ctx.t(`programmes.${p}.journey` as Key), value: journey }] : []),
        choice(ctx.t('programmes.subscribe'), { type: 'subscribe', programme: p }),
        ...topics.map((id) => choice(faqTitle(ctx, faq.entries.get(id)!), { type: 'faq', topic: id })),
        choice(ctx.t('menu.button'), { type: 'menu' }),
      ],
    };
  };
  return {
    id: 'menu',
    home,
    commands: {
      start: {
        readOnly: true,
        run: async (turn) => {
          turn.leave();
          return [{ text: turn.t('welcome.intro') }, home(turn)];
        },
      },
      menu: {
        readOnly: true,
        run: async (turn) => {
          turn.leave();
          return [home(turn)];
        },
      },
      help: { readOnly: true, run: async (turn) => [{ text: turn.t('help.text') }, ...turn.reprompt()] },
    },
    actions: {
      menu: {
        readOnly: true,
        run: async (turn) => {
          turn.leave();
          return [home(turn)];
        },
      },
      programme: { readOnly: true, run: async (turn, a) => [programmePage(turn, a.programme)] },
      ask: { readOnly: true, run: async (turn) => [{ text: turn.t('ask.prompt') }] },
    },
  };
}
