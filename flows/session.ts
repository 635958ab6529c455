import { z } from 'zod';
import { fromLocal, localParts } from '../src/core/time.js';
import { hintDay, parseWhen, resolveDate, resolveWhen } from '../src/core/when.js';
import { isDenied } from '../src/core/actor.js';
import type { StaffAction } from '../src/domain/authority.js';
import type { Session } from '../src/domain/sessions.js';
import type { BookingLine } from '../src/domain/sessions.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { deniedSay, sessionLine, typedInt, typedPlace } from './common.js';

const Line = z.object({ id: z.number().int(), label: z.string(), status: z.string() });
const Data = z.object({
  sessionId: z.number().int(),
  wardCode: z.string(),
  /** How the session reads now (prompts are synchronous: a snapshot refreshed after each action). */
  line: z.string(),
  startsAt: z.iso.datetime(),
  started: z.boolean(),
  lines: z.array(Line).default([]),
});
type Data = z.infer<typeof Data>;

const MARK: Record<string, string> = { booked: '⬜', attended: '✅', no_show: '❌' };

function snapshot(ctx: FlowContext, s: Session, lines: Data['lines'] = []): Data {
  return { sessionId: s.id, wardCode: s.wardCode, line: sessionLine(ctx.t, s), startsAt: s.startsAt.toISOString(), started: s.startsAt <= ctx.now, lines };
}

/** Who is coming, as staff can use it: a relative by name and birth year (with who booked them), else the booker's platform name. */
const attendee = (ctx: FlowContext, b: BookingLine) =>
  b.dependent
    ? ctx.t('staffSession.relative', { name: b.dependent, year: b.birthYear ?? '', ...(b.name ? { by: b.name, context: 'by' } : {}) })
    : (b.name ?? ctx.t('staffSession.anonymous'));

const bookingLabel = (ctx: FlowContext, b: BookingLine) =>
  `${MARK[b.status] ?? ''} #${b.id} ${attendee(ctx, b)}${b.phone ? ` · ${b.phone}` : ''}`.trim();

/** Back to the session page with fresh figures, after saying `say`. */
async function page(ctx: FlowContext, data: Data, say: OutboundMessage[]): Promise<StepOutcome<Data>> {
  const s = await ctx.person.bookings.session(data.sessionId);
  if (s?.status !== 'scheduled') return { type: 'done', say };
  return { type: 'goto', step: 'page', data: snapshot(ctx, s), say };
}

/** Before asking for details, say now if the action is not this person's to do (audited). */
async function allowed(ctx: FlowContext, data: Data, action: StaffAction, step: string): Promise<StepOutcome<Data>> {
  const denied = await ctx.person.staff.check(action, data.wardCode, `session:${data.sessionId}`);
  if (denied) return { type: 'retry', say: deniedSay(ctx.t, denied) };
  return { type: 'goto', step, data };
}

async function attendance(ctx: FlowContext, data: Data, say: OutboundMessage[] = []): Promise<StepOutcome<Data>> {
  const r = await ctx.person.staff.bookings(data.sessionId);
  if (isDenied(r)) return { type: 'retry', say: deniedSay(ctx.t, r) };
  const lines = r.list.map((b) => ({ id: b.id, label: bookingLabel(ctx, b), status: b.status }));
  return { type: 'goto', step: 'attend', data: { ...snapshot(ctx, r.session), lines }, say };
}

/**
 * One session, for staff: change time or place (the booked are told and their
 * reminders re-planned), change capacity, see who booked, mark who came,
 * cancel. Each action is checked against the person's role and ward at the
 * moment it is done (StaffDesk), and audited.
 */
export const sessionFlow = defineFlow<Data>({
  id: 'session',
  data: Data,
  async start(ctx, arg) {
    const s = await ctx.person.staff.session(Number(arg), 'session.bookings');
    if (isDenied(s)) return { type: 'done', say: deniedSay(ctx.t, s) };
    if (s.status !== 'scheduled') return { type: 'done', say: [{ text: ctx.t('staffSession.cancelledAlready') }] };
    return { type: 'goto', step: 'page', data: snapshot(ctx, s) };
  },
  steps: {
    page: {
      prompt: (ctx, data) => ({
        text: data.line,
        choices: [
          { label: ctx.t('staffSession.time'), value: 'time' },
          { label: ctx.t('staffSession.place'), value: 'place' },
          { label: ctx.t('staffSession.capacity'), value: 'capacity' },
          { label: ctx.t('staffSession.bookings'), value: 'bookings' },
          { label: ctx.t('staffSession.attendance'), value: 'attend' },
          { label: ctx.t('staffSession.cancel'), value: 'cancel' },
          { label: ctx.t('staffSession.done'), value: 'done' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        switch (input.value) {
          case 'time':
          case 'place':
          case 'capacity':
            return allowed(ctx, data, 'session.edit', input.value);
          case 'cancel':
            return allowed(ctx, data, 'session.cancel', 'cancel');
          case 'attend':
            return attendance(ctx, data);
          case 'bookings': {
            const r = await ctx.person.staff.bookings(data.sessionId);
            if (isDenied(r)) return { type: 'retry', say: deniedSay(ctx.t, r) };
            const text = r.list.length
              ? `${ctx.t('staffSession.bookingList', { n: r.list.length })}\n${r.list.map((b) => bookingLabel(ctx, b)).join('\n')}`
              : ctx.t('staffSession.noBookings');
            const gaveBack = r.cancelled ? `\n${ctx.t('staffSession.cancelledBookings', { n: r.cancelled })}` : '';
            return page(ctx, data, [{ text: text + gaveBack }]);
          }
          case 'done':
            return { type: 'done', say: [{ text: ctx.t('staffSession.closed') }] };
        }
        return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
      },
    },
    time: {
      prompt: (ctx) => ({ text: ctx.t('staffSession.askTime', { example: hintDay(ctx.now, 7) }) }),
      async handle(ctx, data, input) {
        const typed = input.kind === 'text' ? parseWhen(input.text, { locale: ctx.locale }) : null;
        const p = localParts(new Date(data.startsAt));
        let at = typed ? resolveWhen(typed, ctx.now, { y: p.y, m: p.m, d: p.d }) : null;
        if (at === 'need-time' && typed?.date) {
          // Only a new day typed: the session keeps its time of day.
          const day = resolveDate(typed.date, ctx.now);
          const moved = day ? fromLocal(day.y, day.m, day.d, p.h, p.mi) : null;
          at = moved === null ? null : moved <= ctx.now ? 'past' : moved;
        }
        if (at === 'past') return { type: 'retry', say: [{ text: ctx.t('sessionNew.pastDate') }] };
        if (!(at instanceof Date)) return { type: 'retry', say: [{ text: ctx.t('staffSession.badTime', { example: hintDay(ctx.now, 7) }) }] };
        const r = await ctx.person.staff.changeSession(data.sessionId, { startsAt: at });
        if (isDenied(r)) return { type: 'done', say: deniedSay(ctx.t, r) };
        return page(ctx, data, [{ text: ctx.t('staffSession.changed', { n: r.told }) }]);
      },
    },
    place: {
      prompt: (ctx) => ({ text: ctx.t('sessionNew.place') }),
      async handle(ctx, data, input) {
        const place = typedPlace(input);
        if (!place) return { type: 'retry', say: [{ text: ctx.t('sessionNew.badPlace') }] };
        const r = await ctx.person.staff.changeSession(data.sessionId, place);
        if (isDenied(r)) return { type: 'done', say: deniedSay(ctx.t, r) };
        return page(ctx, data, [{ text: ctx.t('staffSession.changed', { n: r.told }) }]);
      },
    },
    capacity: {
      prompt: (ctx) => ({ text: ctx.t('staffSession.askCapacity') }),
      async handle(ctx, data, input) {
        const n = input.kind === 'text' ? typedInt(input.text) : null;
        if (!n || n < 1 || n > 2000) return { type: 'retry', say: [{ text: ctx.t('sessionNew.badCapacity') }] };
        const r = await ctx.person.staff.setCapacity(data.sessionId, n);
        if (isDenied(r)) return r.reason === 'below-booked' ? { type: 'retry', say: deniedSay(ctx.t, r) } : { type: 'done', say: deniedSay(ctx.t, r) };
        return page(ctx, data, [{ text: ctx.t('staffSession.capacitySet', { capacity: n }) }]);
      },
    },
    attend: {
      prompt: (ctx, data) => ({
        text: data.lines.length ? ctx.t('staffSession.attendHelp') : ctx.t('staffSession.noBookings'),
        choices: [
          ...data.lines.map((l) => ({ label: l.label, value: String(l.id) })),
          ...(data.started && data.lines.some((l) => l.status === 'booked') ? [{ label: ctx.t('staffSession.restNoShow'), value: 'rest' }] : []),
          { label: ctx.t('staffSession.back'), value: 'back' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'back') return page(ctx, data, []);
        if (input.value === 'rest') {
          const n = await ctx.person.staff.markRestNoShow(data.sessionId);
          if (isDenied(n)) return { type: 'retry', say: deniedSay(ctx.t, n) };
          return attendance(ctx, data, [{ text: ctx.t('staffSession.restMarked', { n }) }]);
        }
        const line = data.lines.find((l) => String(l.id) === input.value);
        if (!line) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        // A tap marks "came"; a second tap corrects it to "did not come".
        const r = await ctx.person.staff.markAttendance(data.sessionId, line.id, line.status !== 'attended');
        if (isDenied(r)) return { type: 'retry', say: deniedSay(ctx.t, r) };
        return attendance(ctx, data);
      },
    },
    cancel: {
      prompt: (ctx, data) => ({
        text: ctx.t('staffSession.cancelConfirm', { line: data.line }),
        choices: [
          { label: ctx.t('staffSession.cancelYes'), value: 'yes' },
          { label: ctx.t('staffSession.cancelNo'), value: 'no' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value !== 'yes') return page(ctx, data, []);
        const r = await ctx.person.staff.cancelSession(data.sessionId);
        if (isDenied(r)) return { type: 'done', say: deniedSay(ctx.t, r) };
        return { type: 'done', say: [{ text: ctx.t('staffSession.cancelled', { n: r.told }) }] };
      },
    },
  },
});
