import { choice } from '../src/core/actions.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { formatDate } from '../src/core/time.js';
import type { FlowContext } from '../src/engine/flow.js';
import type { BotModule } from '../src/engine/module.js';
import { appointmentLine } from './common.js';
import { journeyLine } from './journey-common.js';

/** /lich: the person's and their relatives' upcoming appointments, each with a way to cancel it, and their journeys. */
async function appointments(ctx: FlowContext): Promise<OutboundMessage> {
  const subs = await ctx.person.subscriptions();
  const appts = await ctx.person.bookings.upcoming();
  const lines = appts.length ? [ctx.t('appointments.title'), ...appts.map((a) => `• ${appointmentLine(ctx.t, a)}`)] : [ctx.t('appointments.none')];
  if (subs.length) lines.push(ctx.t('appointments.subscribed', { list: subs.map((p) => ctx.t(`programmes.${p}.label`)).join(', ') }));
  const journeys = await ctx.person.journeys.current();
  if (journeys.length) lines.push(ctx.t('journeys.lich'), ...journeys.map((j) => `• ${journeyLine(ctx.t, j, ctx.now)}`));
  const choices = appts.map((a, i) => choice(ctx.t('appointments.cancel', { n: i + 1, date: formatDate(a.session.startsAt) }), { type: 'cancelBooking', booking: a.bookingId }));
  choices.push(...journeys.map((j) => choice(ctx.t('journeys.hub.manage', { label: ctx.t(`journeys.kinds.${j.kind}`) }), { type: 'journeyManage', journey: j.id })));
  return { text: lines.join('\n'), ...(choices.length ? { choices } : {}) };
}

export const appointmentsModule: BotModule = {
  id: 'appointments',
  commands: {
    appointments: { readOnly: true, run: async (turn) => [await appointments(turn), ...turn.reprompt()] },
  },
};
