import type { BotModule } from '../src/engine/module.js';
import { z } from 'zod';
import type { BookResult } from '../src/domain/bookings.js';
import { displayPhone, normalisePhone } from '../src/core/phone.js';
import { relativeParams, sessionParams } from '../src/domain/reminders.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { alternatives, appointmentLine, consentStep } from './common.js';
import { DepDraft, dependentSteps, forWhomPrompt, noticePrompt } from './dependent-steps.js';

const Data = z.object({
  sessionId: z.number().int(),
  programme: z.string(),
  wardCode: z.string(),
  needsPhone: z.boolean(),
  /** 'self', a dependent's id, or null while not chosen yet. */
  who: z.union([z.literal('self'), z.number().int()]).nullable(),
  dep: DepDraft.nullable().default(null),
  deps: z.array(z.object({ id: z.number().int(), name: z.string(), rel: z.string().optional() })).default([]),
  matches: z.array(z.string()).default([]),
  consented: z.boolean().default(false),
  phone: z.string().nullable().default(null),
  /** The ZNS question (reminders by Zalo to that number) was answered. */
  znsAsked: z.boolean().default(false),
});
type Data = z.infer<typeof Data>;

/** What happened, in words. */
function resultSay(ctx: FlowContext, r: BookResult, who: { name: string; rel?: string | undefined } | undefined): OutboundMessage[] {
  switch (r.kind) {
    case 'booked': {
      const p = { ...sessionParams(r.session), ...relativeParams(who?.name, who?.rel) };
      // The station's note, when there is one, is the last sentence of the first line (sessionParams makes it one).
      return [{ text: `${ctx.t('booking.confirmed', p).trim()}\n${ctx.t(r.reminders > 0 ? 'booking.willRemind' : 'booking.soon')}` }];
    }
    case 'full':
      return [{ text: ctx.t('booking.full') }, alternatives(ctx.t, r.alternatives)];
    case 'already':
      return [{ text: ctx.t('booking.already') }];
    case 'closed':
      return [{ text: ctx.t('booking.closed') }];
  }
}

/** Asks for what is still missing, in order; books when nothing is. */
async function next(ctx: FlowContext, data: Data, say: OutboundMessage[] = []): Promise<StepOutcome<Data>> {
  if (data.who === null) return { type: 'goto', step: 'who', data, say };
  if (!data.consented && !(await ctx.person.hasConsented())) return { type: 'goto', step: 'notice', data, say };
  if (data.needsPhone && !data.phone) return { type: 'goto', step: 'phone', data, say };
  if (data.phone && !data.znsAsked && (await ctx.person.zns.shouldAsk(data.phone))) return { type: 'goto', step: 'zns', data, say };
  const dependentId = data.who === 'self' ? null : data.who;
  const result = await ctx.person.bookings.book(data.sessionId, dependentId, data.phone);
  const who = dependentId === null ? undefined : data.deps.find((d) => d.id === dependentId);
  return { type: 'done', say: [...say, ...resultSay(ctx, result, who)] };
}

/**
 * Booking a place (from an invitation's "Đăng ký" button, a relative's page
 * or a full session's alternatives): for oneself or, for the elderly
 * programme, for a parent or grandparent (chosen already by the button, picked
 * here, or added here with consent on their behalf); consent; a phone number
 * only when the station needs one.
 */
export const bookFlow = defineFlow<Data>({
  id: 'book',
  data: Data,
  async start(ctx, arg) {
    // `<session>`, or `<session>-<for>` from an invitation naming who it is for (0: the person, else a relative's id).
    const [id, forWhom] = (arg ?? '').split('-').map(Number) as [number, number | undefined];
    const s = Number.isInteger(id) && id > 0 ? await ctx.person.bookings.session(id) : null;
    if (s?.status !== 'scheduled' || s.startsAt <= ctx.now) return { type: 'done', say: [{ text: ctx.t('booking.closed') }] };
    const intro = { text: ctx.t('booking.intro', { ...sessionParams(s), free: s.capacity - s.booked }) };
    const deps = (await ctx.person.bookings.dependents()).map((d) => ({ id: d.id, name: d.name, rel: d.relationship }));
    const data: Data = {
      sessionId: s.id,
      programme: s.programme,
      wardCode: s.wardCode,
      needsPhone: s.needsPhone,
      who: s.programme !== 'elderly' || forWhom === 0 ? 'self' : (deps.find((d) => d.id === forWhom)?.id ?? null),
      dep: null,
      deps,
      matches: [],
      consented: false,
      phone: null,
      znsAsked: false,
    };
    return next(ctx, data, [intro]);
  },
  steps: {
    who: {
      prompt: (ctx, data) => forWhomPrompt(ctx, 'booking.who', data.deps),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'self') return next(ctx, { ...data, who: 'self' });
        if (input.value === 'new') return { type: 'goto', step: 'depName', data };
        const dep = data.deps.find((d) => String(d.id) === input.value);
        if (!dep) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        return next(ctx, { ...data, who: dep.id });
      },
    },
    ...dependentSteps<Data>({
      suggestWards: (_ctx, data) => [data.wardCode],
      added: (ctx, data, dep) => next(ctx, { ...data, who: dep.id, consented: true, deps: [...data.deps, { id: dep.id, name: dep.name, rel: dep.relationship }] }),
    }),
    notice: consentStep<Data>({
      prompt: (ctx) => noticePrompt(ctx, 'booking.notice'),
      async agreed(ctx, data) {
        await ctx.person.consent();
        return next(ctx, { ...data, consented: true });
      },
    }),
    phone: {
      prompt: (ctx) => ({ text: ctx.t('booking.askPhone'), requestPhone: { label: ctx.t('booking.sharePhone') } }),
      async handle(ctx, data, input) {
        const typed = input.kind === 'contact' ? input.phone : input.kind === 'text' ? input.text : '';
        const phone = normalisePhone(typed);
        if (!phone) return { type: 'retry', say: [{ text: ctx.t('booking.badPhone') }] };
        return next(ctx, { ...data, phone });
      },
    },
    /** Only when ZNS is configured: may the department remind them by Zalo at this number, if the bot cannot reach them? */
    zns: {
      prompt: (ctx, data) => ({
        text: ctx.t('booking.znsAsk', { phone: displayPhone(data.phone ?? '') }),
        choices: [
          { label: ctx.t('booking.znsYes'), value: 'yes' },
          { label: ctx.t('booking.znsNo'), value: 'no' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice' || !data.phone) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'yes') await ctx.person.zns.agree(data.phone);
        else await ctx.person.zns.decline();
        return next(ctx, { ...data, znsAsked: true });
      },
    },
  },
});

export const cancelBookingFlow = defineFlow<{ bookingId: number; line: string }>({
  id: 'cancel-booking',
  data: z.object({ bookingId: z.number().int(), line: z.string() }),
  async start(ctx, arg) {
    const appt = await ctx.person.bookings.appointment(Number(arg));
    if (!appt) return { type: 'done', say: [{ text: ctx.t('booking.nothingToCancel') }] };
    return { type: 'goto', step: 'confirm', data: { bookingId: appt.bookingId, line: appointmentLine(ctx.t, appt) } };
  },
  steps: {
    confirm: {
      prompt: (ctx, data) => ({
        text: ctx.t('booking.cancelConfirm', { line: data.line }),
        choices: [
          { label: ctx.t('booking.cancelYes'), value: 'yes' },
          { label: ctx.t('booking.cancelNo'), value: 'no' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value !== 'yes') return { type: 'done', say: [{ text: ctx.t('booking.kept') }] };
        const s = await ctx.person.bookings.cancel(data.bookingId);
        return { type: 'done', say: [{ text: ctx.t(s ? 'booking.cancelled' : 'booking.nothingToCancel') }] };
      },
    },
  },
});

/** Booking a place from an invitation, a reminder, a relative's page or /lich; cancelling; "Sẽ đến". */
export const bookingModule: BotModule = {
  id: 'booking',
  flows: [bookFlow, cancelBookingFlow],
  actions: {
    book: { run: (turn, a) => turn.start('book', a.for === undefined ? String(a.session) : `${a.session}-${a.for}`) },
    cancelBooking: { run: (turn, a) => turn.start('cancel-booking', String(a.booking)) },
    willCome: { readOnly: true, retiresPressed: true, run: async (turn) => [{ text: turn.t('reminders.thanks') }] },
  },
};
