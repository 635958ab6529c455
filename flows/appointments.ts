import { choice } from '../src/core/actions.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { fold } from '../src/core/text.js';
import { formatDate, formatTime } from '../src/core/time.js';
import type { Appointment } from '../src/domain/bookings.js';
import type { UpcomingReminder } from '../src/domain/upcoming.js';
import type { FlowContext } from '../src/engine/flow.js';
import type { BotModule } from '../src/engine/module.js';
import { appointmentLine } from './common.js';
import { journeyLine, remindersBlock } from './journey-common.js';

/** Under an appointment: when it will be reminded ("Nhắc: 7/12 8:00, 9/12 8:00"), or that it will not be (after "dừng"). */
function appointmentReminders(ctx: FlowContext, a: Appointment, upcoming: readonly UpcomingReminder[]): string | null {
  const mine = upcoming.filter((r) => r.type === 'booking' && r.bookingId === a.bookingId);
  if (ctx.person.hasOptedOut) return ctx.t('appointments.notReminded');
  if (!mine.length) return null;
  return ctx.t('appointments.reminders', { list: mine.map((r) => `${formatDate(r.dueAt)} ${formatTime(r.dueAt)}`).join(', ') });
}

/** /lich: the person's and their relatives' upcoming appointments, each with a way to cancel it, and their journeys, each with its coming reminders. */
async function appointments(ctx: FlowContext): Promise<OutboundMessage> {
  const subs = await ctx.person.subscriptions();
  const appts = await ctx.person.bookings.upcoming();
  const journeys = await ctx.person.journeys.current();
  const upcoming = appts.length || journeys.length ? await ctx.person.upcomingReminders() : [];
  const lines = appts.length ? [ctx.t('appointments.title')] : [ctx.t('appointments.none')];
  for (const a of appts) {
    const when = appointmentReminders(ctx, a, upcoming);
    lines.push(`• ${appointmentLine(ctx.t, a)}`, ...(when ? [`   ${when}`] : []));
  }
  if (subs.length) lines.push(ctx.t('appointments.subscribed', { list: subs.map((p) => ctx.t(`programmes.${p}.label`)).join(', ') }));
  if (journeys.length) lines.push(ctx.t('journeys.lich'));
  for (const j of journeys) lines.push(`• ${journeyLine(ctx.t, j, ctx.now)}`, ...remindersBlock(ctx.t, j, upcoming, 3, '   '));
  const choices = appts.map((a, i) =>
    choice(ctx.t('appointments.cancel', { n: i + 1, date: formatDate(a.session.startsAt) }), { type: 'cancelBooking', booking: a.bookingId }),
  );
  choices.push(
    ...journeys.map((j) => choice(ctx.t('journeys.hub.manage', { label: ctx.t(`journeys.kinds.${j.kind}`) }), { type: 'journeyManage', journey: j.id })),
  );
  return { text: lines.join('\n'), ...(choices.length ? { choices } : {}) };
}

/** "Mình sẽ được nhắc những mốc nào?": every reminder still to come, what it is for and when, journeys and appointments alike. */
async function whatWillBeReminded(ctx: FlowContext): Promise<OutboundMessage> {
  const journeys = await ctx.person.journeys.current();
  const appts = await ctx.person.bookings.upcoming();
  if (!journeys.length && !appts.length) return { text: ctx.t('upcoming.none') };
  const upcoming = await ctx.person.upcomingReminders();
  const lines = [ctx.t('upcoming.title')];
  for (const j of journeys) lines.push('', journeyLine(ctx.t, j, ctx.now), ...remindersBlock(ctx.t, j, upcoming, 10));
  for (const a of appts) lines.push('', appointmentLine(ctx.t, a), appointmentReminders(ctx, a, upcoming) ?? ctx.t('appointments.noReminder'));
  return { text: lines.join('\n') };
}

/**
 * The question about reminders in everyday words, beyond the word forms in
 * content/commands.json: short, and about being reminded ("khi nào bot nhắc
 * tôi?", "mình sẽ được nhắc những gì", "when will you remind me?").
 */
export function asksAboutReminders(text: string): boolean {
  // Folding never lengthens a text: a long one is not this question, and is not folded.
  if (text.length > 60) return false;
  const t = fold(text);
  if (t.length > 60) return false;
  return (
    /^(?:(?:minh|toi|em|con|chau)\s+)?(?:se\s+)?(?:duoc\s+)?nhac\s+(?:toi\s+|minh\s+|em\s+)?(?:nhung\s+|cac\s+)?(?:moc|lan|gi|khi nao|luc nao|ngay nao|bao gio)\b/.test(
      t,
    ) ||
    /^(?:khi nao|bao gio|luc nao|ngay nao|nhung moc nao|moc nao)\s+(?:thi\s+)?(?:ban|bot|minh|em)?\s*(?:se\s+)?(?:duoc\s+)?nhac\b/.test(t) ||
    /^(?:when|what|which)\b.*\bremind(?:er|ers|ed)?\b/.test(t)
  );
}

export const appointmentsModule: BotModule = {
  id: 'appointments',
  commands: {
    appointments: { readOnly: true, run: async (turn) => [await appointments(turn), ...turn.reprompt()] },
    reminders: { readOnly: true, run: async (turn) => [await whatWillBeReminded(turn), ...turn.reprompt()] },
  },
  recognise: (text) => (asksAboutReminders(text) ? 'reminders' : null),
};
