import type { BotModule } from '../src/engine/module.js';
import { z } from 'zod';
import { formatDate } from '../src/core/time.js';
import type { Relative } from '../src/domain/relatives.js';
import { kinParams, sessionParams } from '../src/domain/reminders.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { appointmentLine, consentStep, yesNo } from './common.js';
import { DepDraft, dependentSteps, noticePrompt, ownWard } from './dependent-steps.js';
import { encodeAction } from '../src/core/actions.js';

const Line = z.object({ id: z.number().int(), label: z.string() });
const Data = z.object({
  /** What the current page says (prompts are synchronous: a snapshot, refreshed after each action); on `cancel`, the appointment. */
  text: z.string().default(''),
  deps: z.array(Line).default([]),
  /** The relative whose page is open, their name, whether they get reminders, their upcoming bookings. */
  depId: z.number().int().nullable().default(null),
  name: z.string().default(''),
  /** Who the relative is to the person (mother…), to name them "mẹ Lan". */
  rel: z.string().optional(),
  subscribed: z.boolean().default(false),
  bookings: z.array(Line).default([]),
  cancelId: z.number().int().nullable().default(null),
  dep: DepDraft.nullable().default(null),
  matches: z.array(z.string()).default([]),
});
type Data = z.infer<typeof Data>;

const wardName = (ctx: FlowContext, code: string | null) => (code ? (ctx.wards.get(code)?.name ?? code) : ctx.t('relatives.noWardYet'));

/** "Nguyễn Thị Hoa (Mẹ, sinh năm 1952) · Phường Lê Chân" */
const relativeLine = (ctx: FlowContext, r: Relative) =>
  ctx.t('relatives.line', { name: r.name, relationship: ctx.t(`dependent.relationships.${r.relationship}`), year: r.birthYear, ward: wardName(ctx, r.wardCode) });

/** The list of relatives, with a way to add one. */
async function listPage(ctx: FlowContext, say: OutboundMessage[] = []): Promise<StepOutcome<Data>> {
  const list = await ctx.person.relatives.list();
  const lines = list.map((r) => `• ${relativeLine(ctx, r)}${r.programmes.includes('elderly') ? ` · ${ctx.t('relatives.reminded')}` : ''}`);
  const text = list.length ? [ctx.t('relatives.title'), ...lines].join('\n') : ctx.t('relatives.none');
  return { type: 'goto', step: 'list', data: Data.parse({ text, deps: list.map((r) => ({ id: r.id, label: r.name })) }), say };
}

/**
 * One relative's page: reminders on or off, their upcoming bookings, book,
 * remove. `flash`: what a toggle just did, at the top of the page itself, so
 * on Telegram the page is edited in place rather than posted again.
 */
async function relativePage(ctx: FlowContext, id: number, say: OutboundMessage[] = [], flash?: string): Promise<StepOutcome<Data>> {
  const r = await ctx.person.relatives.get(id);
  if (!r) return listPage(ctx, [...say, { text: ctx.t('relatives.gone') }]);
  const appts = (await ctx.person.bookings.upcoming()).filter((a) => a.dependentId === id);
  const subscribed = r.programmes.includes('elderly');
  const lines = [
    ...(flash ? [flash] : []),
    relativeLine(ctx, r),
    ctx.t(subscribed ? 'relatives.subscribed' : 'relatives.notSubscribed', { ...kinParams(r.name, r.relationship), ward: wardName(ctx, r.wardCode) }),
    ...(appts.length ? [ctx.t('relatives.appointments'), ...appts.map((a) => `• ${appointmentLine(ctx.t, a)}`)] : []),
  ];
  const bookings = appts.map((a, i) => ({ id: a.bookingId, label: ctx.t('appointments.cancel', { n: i + 1, date: formatDate(a.session.startsAt) }) }));
  return { type: 'goto', step: 'relative', data: Data.parse({ text: lines.join('\n'), depId: id, name: r.name, rel: r.relationship, subscribed, bookings }), say };
}

async function subscribeRelative(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  const id = data.depId!;
  const r = await ctx.person.relatives.subscribe(id, ['elderly']);
  return relativePage(ctx, id, [], ctx.t(r === 'ok' ? 'relatives.subscribedNow' : 'relatives.noWard', { name: data.name, ...kinParams(data.name, data.rel) }));
}

/**
 * "Người thân" (/nguoithan): the elderly parents and grandparents a person
 * looks after. List them, add one (the same steps as booking for one), and
 * for each: checkup reminders and session invitations in their ward (which
 * come to the person, naming them), their bookings (book: handed to the
 * booking flow; cancel), and removal.
 */
export const relativesFlow = defineFlow<Data>({
  id: 'relatives',
  data: Data,
  async start(ctx, arg) {
    if (arg === 'new') return { type: 'goto', step: 'depName', data: Data.parse({}) };
    const id = Number(arg);
    return Number.isInteger(id) && id > 0 ? relativePage(ctx, id) : listPage(ctx);
  },
  steps: {
    list: {
      prompt: (ctx, data) => ({
        text: data.text,
        choices: [
          ...data.deps.map((d) => ({ label: d.label, value: String(d.id) })),
          { label: ctx.t('relatives.add'), value: 'new' },
          { label: ctx.t('relatives.done'), value: 'done' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'new') return { type: 'goto', step: 'depName', data };
        if (input.value === 'done') return { type: 'done', say: [{ text: ctx.t('relatives.closed') }] };
        const d = data.deps.find((x) => String(x.id) === input.value);
        if (!d) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        return relativePage(ctx, d.id);
      },
    },
    relative: {
      prompt: (ctx, data) => ({
        text: data.text,
        choices: [
          data.subscribed ? { label: ctx.t('relatives.unsubscribe'), value: 'unsub' } : { label: ctx.t('relatives.subscribe'), value: 'sub' },
          { label: ctx.t('relatives.book'), value: 'book' },
          ...data.bookings.map((b) => ({ label: b.label, value: `c${b.id}` })),
          { label: ctx.t('relatives.remove'), value: 'remove' },
          { label: ctx.t('relatives.back'), value: 'back' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice' || data.depId === null) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        const id = data.depId;
        switch (input.value) {
          case 'sub':
            if (!(await ctx.person.hasConsented())) return { type: 'goto', step: 'relNotice', data };
            return subscribeRelative(ctx, data);
          case 'unsub':
            await ctx.person.relatives.unsubscribe(id, ['elderly']);
            return relativePage(ctx, id, [], ctx.t('relatives.unsubscribed', kinParams(data.name, data.rel)));
          case 'book': {
            const r = await ctx.person.relatives.get(id);
            const list = r ? await ctx.person.bookings.openSessions('elderly', r.wardCode ?? '') : [];
            if (list.length === 0) return { type: 'retry', say: [{ text: ctx.t('relatives.noSessions', kinParams(data.name, data.rel)) }] };
            // Handed to the booking flow: each button books this session for this relative.
            const choices = list.map((s) => ({ label: ctx.t('booking.alternative', { ...sessionParams(s), free: s.capacity - s.booked }), value: encodeAction({ type: 'book', session: s.id, for: id }) }));
            return { type: 'done', say: [{ text: ctx.t('relatives.pickSession', kinParams(data.name, data.rel)), choices }] };
          }
          case 'remove': {
            // Which appointments go with them, named before anything is done.
            const appts = (await ctx.person.bookings.upcoming()).filter((a) => a.dependentId === id);
            return { type: 'goto', step: 'remove', data: { ...data, text: appts.map((a) => `• ${appointmentLine(ctx.t, a)}`).join('\n') } };
          }
          case 'back':
            return listPage(ctx);
        }
        const b = data.bookings.find((x) => input.value === `c${x.id}`);
        if (!b) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        const appt = await ctx.person.bookings.appointment(b.id);
        if (!appt) return relativePage(ctx, id, [{ text: ctx.t('booking.nothingToCancel') }]);
        return { type: 'goto', step: 'cancel', data: { ...data, cancelId: b.id, text: appointmentLine(ctx.t, appt) } };
      },
    },
    /** Reminders for a relative while the person's own consent is not current (after "dừng"): the notice again. */
    relNotice: consentStep<Data>({
      prompt: (ctx) => noticePrompt(ctx, 'dependent.notice'),
      async agreed(ctx, data) {
        if (data.depId === null) return listPage(ctx);
        await ctx.person.consent();
        await ctx.person.relatives.consentOnBehalf(data.depId);
        return subscribeRelative(ctx, data);
      },
      declined: async (ctx, data) => (data.depId === null ? listPage(ctx) : relativePage(ctx, data.depId, [{ text: ctx.t('notice.declined') }])),
    }),
    cancel: {
      prompt: (ctx, data) => yesNo(ctx, 'booking.cancelConfirm', 'booking.cancelYes', 'booking.cancelNo', { line: data.text }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice' || data.depId === null) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value !== 'yes' || data.cancelId === null) return relativePage(ctx, data.depId, [{ text: ctx.t('booking.kept') }]);
        const s = await ctx.person.bookings.cancel(data.cancelId);
        return relativePage(ctx, data.depId, [{ text: ctx.t(s ? 'booking.cancelled' : 'booking.nothingToCancel') }]);
      },
    },
    remove: {
      prompt: (ctx, data) => {
        const ask = yesNo(ctx, 'relatives.removeConfirm', 'relatives.removeYes', 'relatives.removeNo', { name: data.name });
        return data.text ? { ...ask, text: [ask.text, ctx.t('relatives.removeBookings', { name: data.name }), data.text].join('\n') } : ask;
      },
      async handle(ctx, data, input) {
        if (input.kind !== 'choice' || data.depId === null) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value !== 'yes') return relativePage(ctx, data.depId);
        const cancelled = await ctx.person.relatives.remove(data.depId);
        if (cancelled === null) return listPage(ctx, [{ text: ctx.t('relatives.gone') }]);
        const lines = cancelled.map((a) => `• ${appointmentLine(ctx.t, a)}`);
        const text = [ctx.t('relatives.removed', { name: data.name }), ...(lines.length ? [ctx.t('relatives.removedBookings', { count: lines.length }), ...lines] : [])].join('\n');
        return listPage(ctx, [{ text }]);
      },
    },
    ...dependentSteps<Data>({
      suggestWards: ownWard,
      added: (ctx, _data, dep) => relativePage(ctx, dep.id, [{ text: ctx.t('relatives.added', { name: dep.name }) }]),
    }),
  },
});

/** /nguoithan and the menu's "Người thân" button. */
export const relativesModule: BotModule = {
  id: 'relatives',
  flows: [relativesFlow],
  commands: { relatives: { run: (turn) => turn.start('relatives') } },
  actions: { relatives: { run: (turn, a) => turn.start('relatives', a.relative === undefined ? undefined : String(a.relative)) } },
};
