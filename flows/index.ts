import { registry } from '../src/engine/flow.js';
import { bookFlow, cancelBookingFlow } from './book.js';
import { broadcastFlow, broadcastOpFlow } from './broadcast.js';
import { deleteFlow } from './delete.js';
import { journeyNewbornFlow } from './journey-newborn.js';
import { journeyPregnancyFlow } from './journey-pregnancy.js';
import { journeyPremaritalFlow } from './journey-premarital.js';
import { languageFlow } from './language.js';
import { resumeFlow } from './resume.js';
import { rolesFlow } from './roles.js';
import { sessionNewFlow } from './session-new.js';
import { sessionFlow } from './session.js';
import { relativesFlow } from './relatives.js';
import { redeemFlow, staffFlow } from './staff.js';
import { stopFlow } from './stop.js';
import { subscribeFlow } from './subscribe.js';

/** Every flow the engine can run; add a new one here. */
export const flows = registry([
  subscribeFlow,
  stopFlow,
  resumeFlow,
  deleteFlow,
  languageFlow,
  bookFlow,
  cancelBookingFlow,
  staffFlow,
  redeemFlow,
  sessionNewFlow,
  sessionFlow,
  rolesFlow,
  broadcastFlow,
  broadcastOpFlow,
  journeyPregnancyFlow,
  journeyNewbornFlow,
  journeyPremaritalFlow,
  relativesFlow,
]);
