import type { GapRecorder } from '../src/domain/gap-recorder.js';
import { type CounselContent, loadCounselContent } from '../src/domain/tickets.js';
import type { BotModule } from '../src/engine/module.js';
import type { FaqBundle } from '../src/faq/types.js';
import type { Logger } from '../src/log.js';
import { appointmentsModule } from './appointments.js';
import { bookingModule } from './book.js';
import { broadcastModule } from './broadcast.js';
import { counselModule } from './counsel.js';
import { deleteModule } from './delete.js';
import { faqModule } from './faq.js';
import { familyPlanningModule } from './journey-contraception.js';
import { journeysModule } from './journeys.js';
import { languageModule } from './language.js';
import { type MenuContent, menuModule } from './menu.js';
import { relativesModule } from './relatives.js';
import { resumeModule } from './resume.js';
import { staffModule } from './staff.js';
import { stopModule } from './stop.js';
import { subscribeModule } from './subscribe.js';
import { webModule } from './web.js';

export interface ModuleDeps {
  faq: FaqBundle;
  gaps: GapRecorder;
  menu: MenuContent;
  log: Logger;
  /** Where the staff console is reached (PUBLIC_URL, or http://localhost:PORT): /web sends a link there. */
  consoleUrl?: () => string;
  /** Counsellors' working hours and the stations (default: content/counsel.yaml). */
  counsel?: CounselContent;
}

/**
 * Every feature the engine runs, in the order their text hooks see a message.
 * A new feature is a file in flows/ exporting a BotModule, added here, with
 * its words in content/ (locales, and commands.json for its commands).
 */
export function modules(deps: ModuleDeps): BotModule[] {
  return [
    menuModule({ faq: deps.faq, menu: deps.menu }),
    faqModule({ faq: deps.faq, gaps: deps.gaps, log: deps.log }),
    appointmentsModule,
    journeysModule,
    familyPlanningModule({ faq: deps.faq }),
    // Before the flows and the FAQ see a message: someone talking with a counsellor is relayed.
    counselModule({ faq: deps.faq, content: deps.counsel ?? loadCounselContent() }),
    subscribeModule,
    stopModule,
    resumeModule,
    deleteModule,
    languageModule,
    bookingModule,
    relativesModule,
    staffModule,
    broadcastModule,
    webModule({ baseUrl: deps.consoleUrl ?? (() => 'http://localhost:3000') }),
  ];
}
