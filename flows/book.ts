import { z } from 'zod';
import { RELATIONSHIPS, parseNameAndYear, type BookResult } from '../src/domain/bookings.js';
import { displayPhone, normalisePhone } from '../src/domain/phone.js';
import { sessionParams } from '../src/domain/reminders.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import type { OutboundMessage } from '../src/engine/types.js';
import { alternatives, appointmentLine } from './common.js';

const Data = z.object({
  sessionId: z.number().int(),
  programme: z.string(),
  wardCode: z.string(),
  needsPhone: z.boolean(),
  /** 'self', a dependent's id, or null while not chosen yet. */
  who: z.union([z.literal('self'), z.number().int()]).nullable(),
  dep: z
    .object({ name: z.string(), birthYear: z.number().int(), relationship: z.enum(RELATIONSHIPS).nullable(), wardCode: z.string().nullable() })
    .nullable()
    .default(null),
  deps: z.array(z.object({ id: z.number().int(), name: z.string() })).default([]),
  matches: z.array(z.string()).default([]),
  consented: z.boolean().default(false),
  phone: z.string().nullable().default(null),
  /** The ZNS question (reminders by Zalo to that number) was answered. */
  znsAsked: z.boolean().default(false),
});
type Data = z.infer<typeof Data>;

/** What happened, in words. */
function resultSay(ctx: FlowContext, r: BookResult, who: string | null): OutboundMessage[] {
  switch (r.kind) {
    case 'booked': {
      const p = { ...sessionParams(r.session), ...(who ? { who, context: 'dep' } : {}) };
      return [{ text: `${ctx.t('booking.confirmed', p)}\n${ctx.t(r.reminders > 0 ? 'booking.willRemind' : 'booking.soon')}` }];
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
  const who = dependentId === null ? null : (data.deps.find((d) => d.id === dependentId)?.name ?? null);
  return { type: 'done', say: [...say, ...resultSay(ctx, result, who)] };
}

const notice = (ctx: FlowContext, key: string) => ({
  text: ctx.t(key),
  choices: [
    { label: ctx.t('notice.agree'), value: 'yes' },
    { label: ctx.t('notice.disagree'), value: 'no' },
  ],
});

/**
 * Booking a place (from an invitation's "Đăng ký" button or a full session's
 * alternatives): for oneself or, for the elderly programme, for a parent or
 * grandparent (added here with consent on their behalf); consent; a phone
 * number only when the station needs one.
 */
export const bookFlow = defineFlow<Data>({
  id: 'book',
  data: Data,
  async start(ctx, arg) {
    const id = Number(arg);
    const s = Number.isInteger(id) && id > 0 ? await ctx.person.bookings.session(id) : null;
    if (!s || s.status !== 'scheduled' || s.startsAt <= ctx.now) return { type: 'done', say: [{ text: ctx.t('booking.closed') }] };
    const intro = { text: ctx.t('booking.intro', { ...sessionParams(s), free: s.capacity - s.booked }) };
    const deps = (await ctx.person.bookings.dependents()).map((d) => ({ id: d.id, name: d.name }));
    const data: Data = {
      sessionId: s.id,
      programme: s.programme,
      wardCode: s.wardCode,
      needsPhone: s.needsPhone,
      who: s.programme === 'elderly' ? null : 'self',
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
      prompt: (ctx, data) => ({
        text: ctx.t('booking.who'),
        choices: [
          { label: ctx.t('booking.forMe'), value: 'self' },
          ...data.deps.map((d) => ({ label: ctx.t('booking.forDependent', { name: d.name }), value: String(d.id) })),
          { label: ctx.t('booking.forNewDependent'), value: 'new' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'self') return next(ctx, { ...data, who: 'self' });
        if (input.value === 'new') return { type: 'goto', step: 'depName', data };
        const dep = data.deps.find((d) => String(d.id) === input.value);
        if (!dep) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        return next(ctx, { ...data, who: dep.id });
      },
    },
    depName: {
      prompt: (ctx) => ({ text: ctx.t('dependent.askName') }),
      async handle(ctx, data, input) {
        const parsed = input.kind === 'text' ? parseNameAndYear(input.text, ctx.now) : null;
        if (!parsed) return { type: 'retry', say: [{ text: ctx.t('dependent.badName') }] };
        return { type: 'goto', step: 'depRel', data: { ...data, dep: { ...parsed, relationship: null, wardCode: null } } };
      },
    },
    depRel: {
      prompt: (ctx, data) => ({
        text: ctx.t('dependent.askRelationship', { name: data.dep?.name ?? '', year: data.dep?.birthYear ?? '', age: data.dep ? ctx.now.getUTCFullYear() - data.dep.birthYear : '' }),
        choices: RELATIONSHIPS.map((r) => ({ label: ctx.t(`dependent.relationships.${r}`), value: r })),
      }),
      async handle(ctx, data, input) {
        const rel = RELATIONSHIPS.find((r) => input.kind === 'choice' && input.value === r);
        if (!rel || !data.dep) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        return { type: 'goto', step: 'depWard', data: { ...data, dep: { ...data.dep, relationship: rel }, matches: [data.wardCode] } };
      },
    },
    depWard: {
      prompt: (ctx, data) => {
        const matches = data.matches.map((code) => ctx.wards.get(code)).filter((w) => w !== undefined);
        return {
          text: ctx.t('dependent.askWard'),
          choices: matches.map((w) => ({ label: w.name, value: w.code })),
        };
      },
      async handle(ctx, data, input) {
        if (input.kind === 'choice') {
          if (!ctx.wards.get(input.value) || !data.dep) return { type: 'retry', say: [{ text: ctx.t('ward.notFound') }] };
          return { type: 'goto', step: 'depNotice', data: { ...data, dep: { ...data.dep, wardCode: input.value }, matches: [] } };
        }
        if (input.kind !== 'text') return { type: 'retry', say: [{ text: ctx.t('ward.typeName') }] };
        const found = ctx.wards.search(input.text);
        if (found.length === 0) return { type: 'retry', say: [{ text: ctx.t('ward.notFound') }] };
        return { type: 'goto', step: 'depWard', data: { ...data, matches: found.map((w) => w.code) } };
      },
    },
    depNotice: {
      prompt: (ctx) => notice(ctx, 'dependent.notice'),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('notice.explicit') }] };
        if (input.value !== 'yes' || !data.dep?.relationship) {
          await ctx.person.declineConsent();
          return { type: 'done', say: [{ text: ctx.t('notice.declined') }] };
        }
        // One explicit "yes" to a notice naming both: the relative's own account and the dependent's data.
        if (!(await ctx.person.hasConsented())) await ctx.person.consent();
        const dep = await ctx.person.bookings.addDependent({ ...data.dep, relationship: data.dep.relationship });
        return next(ctx, { ...data, who: dep.id, dep: null, consented: true, deps: [...data.deps, { id: dep.id, name: dep.name }] });
      },
    },
    notice: {
      prompt: (ctx) => notice(ctx, 'booking.notice'),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('notice.explicit') }] };
        if (input.value !== 'yes') {
          await ctx.person.declineConsent();
          return { type: 'done', say: [{ text: ctx.t('notice.declined') }] };
        }
        await ctx.person.consent();
        return next(ctx, { ...data, consented: true });
      },
    },
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
