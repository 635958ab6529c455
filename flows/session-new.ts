import { z } from 'zod';
import { formatTime, fromLocal, localParts } from '../src/core/time.js';
import { hintDay, parseDuration, parseWhen, resolveDate, resolveWhen } from '../src/core/when.js';
import { sessionParams } from '../src/domain/reminders.js';
import type { Session } from '../src/domain/sessions.js';
import { SCREENING_PROGRAMMES as SESSION_PROGRAMMES } from '../src/core/programmes.js';
import { isDenied } from '../src/core/actor.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import { deniedSay, typedInt, typedPlace, wardStep, yesNo } from './common.js';
import { choice } from '../src/core/actions.js';

const Day = z.object({ y: z.number().int(), m: z.number().int(), d: z.number().int() });
const Data = z.object({
  programme: z.enum(SESSION_PROGRAMMES).nullable(),
  /** The wards this person may choose from; null = any (administrator). */
  allowed: z.array(z.string()).nullable(),
  wardCode: z.string().nullable(),
  matches: z.array(z.string()).default([]),
  placeName: z.string().default(''),
  placeAddress: z.string().default(''),
  day: Day.nullable().default(null),
  startsAt: z.iso.datetime().nullable().default(null),
  durationMin: z.number().int().default(0),
  capacity: z.number().int().default(0),
  note: z.string().nullable().default(null),
  needsPhone: z.boolean().default(false),
});
type Data = z.infer<typeof Data>;

const MAX_TEXT = 200;
const DURATIONS = [60, 120, 180, 240];

/** How the new session will read (the confirmation before it is created). */
function preview(ctx: FlowContext, data: Data): string {
  const s = {
    programme: data.programme ?? 'elderly',
    startsAt: new Date(data.startsAt ?? 0),
    placeName: data.placeName,
    placeAddress: data.placeAddress,
    note: data.note,
  } as Session;
  return ctx.t('sessionNew.preview', {
    ...sessionParams(s),
    ward: data.wardCode ? ctx.wards.get(data.wardCode)?.name ?? data.wardCode : '',
    duration: data.durationMin,
    end: formatTime(new Date(new Date(data.startsAt ?? 0).getTime() + data.durationMin * 60_000)),
    capacity: data.capacity,
    note: data.note ?? ctx.t('sessionNew.noNote'),
    phone: ctx.t(data.needsPhone ? 'sessionNew.previewPhoneYes' : 'sessionNew.previewPhoneNo'),
  });
}

const afterWhen = (data: Data, at: Date): StepOutcome<Data> => {
  const p = localParts(at);
  return { type: 'goto', step: 'duration', data: { ...data, day: { y: p.y, m: p.m, d: p.d }, startsAt: at.toISOString() } };
};

/** A reply to a typed date/time: the next step, or a kind second chance. */
function handleWhen(ctx: FlowContext, data: Data, text: string, useDay: boolean): StepOutcome<Data> {
  const typed = parseWhen(text, { locale: ctx.locale });
  const example = { example: hintDay(ctx.now, 7) };
  if (!typed) return { type: 'retry', say: [{ text: ctx.t('sessionNew.badDate', example) }] };
  const r = resolveWhen(typed, ctx.now, useDay ? data.day ?? undefined : undefined);
  if (r === null) return { type: 'retry', say: [{ text: ctx.t('sessionNew.badDate', example) }] };
  if (r === 'past') return { type: 'retry', say: [{ text: ctx.t('sessionNew.pastDate') }] };
  if (r === 'need-date') return { type: 'retry', say: [{ text: ctx.t('sessionNew.needDate', example) }] };
  if (r === 'need-time') {
    const day = resolveDate(typed.date!, ctx.now)!;
    // A day already gone is said so now, not after the time is typed.
    if (fromLocal(day.y, day.m, day.d, 23, 59) <= ctx.now) return { type: 'retry', say: [{ text: ctx.t('sessionNew.pastDate') }] };
    return { type: 'goto', step: 'time', data: { ...data, day } };
  }
  return afterWhen(data, r);
}

/**
 * A new screening session, asked one thing at a time: programme, ward (the
 * person's own), place, date and time as people type them, duration, capacity,
 * a note, whether a phone number is needed; then a preview to confirm. Creating
 * it invites the programme's subscribers in that ward through the outbox.
 */
export const sessionNewFlow = defineFlow<Data>({
  id: 'session-new',
  data: Data,
  async start(ctx) {
    const denied = await ctx.person.staff.check('session.create');
    if (denied) return { type: 'done', say: deniedSay(ctx.t, denied) };
    const allowed = await ctx.person.staff.wards();
    const data = Data.parse({ programme: null, allowed, wardCode: allowed?.length === 1 ? allowed[0] : null });
    return { type: 'goto', step: 'programme', data };
  },
  steps: {
    programme: {
      prompt: (ctx) => ({
        text: ctx.t('sessionNew.programme'),
        choices: SESSION_PROGRAMMES.map((p) => ({ label: ctx.t(`programmes.${p}.label`), value: p })),
      }),
      async handle(ctx, data, input) {
        const p = SESSION_PROGRAMMES.find((x) => input.kind === 'choice' && input.value === x);
        if (!p) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        const matches = data.allowed ?? [];
        return { type: 'goto', step: data.wardCode ? 'place' : 'ward', data: { ...data, programme: p, matches } };
      },
    },
    ward: wardStep<Data>({
      step: 'ward',
      ask: (ctx) => ctx.t('sessionNew.wardType'),
      pick: (ctx, data) => ctx.t(data.allowed ? 'sessionNew.wardPick' : 'sessionNew.wardType'),
      allowed: (data) => data.allowed,
      chosen: (_ctx, data, wardCode) => ({ type: 'goto', step: 'place', data: { ...data, wardCode } }),
    }),
    place: {
      prompt: (ctx) => ({ text: ctx.t('sessionNew.place') }),
      async handle(ctx, data, input) {
        const place = typedPlace(input, MAX_TEXT);
        if (!place) return { type: 'retry', say: [{ text: ctx.t('sessionNew.badPlace') }] };
        return { type: 'goto', step: 'date', data: { ...data, ...place } };
      },
    },
    date: {
      // The example is a week from today: never a day already gone.
      prompt: (ctx) => ({ text: ctx.t('sessionNew.date', { example: hintDay(ctx.now, 7) }) }),
      async handle(ctx, data, input) {
        if (input.kind !== 'text') return { type: 'retry', say: [{ text: ctx.t('sessionNew.badDate', { example: hintDay(ctx.now, 7) }) }] };
        return handleWhen(ctx, data, input.text, false);
      },
    },
    time: {
      prompt: (ctx, data) => {
        // The day already understood ("sáng thứ 5 tuần sau"), named so the person knows it was.
        const day = data.day ? fromLocal(data.day.y, data.day.m, data.day.d) : null;
        return { text: day ? ctx.t('sessionNew.timeOn', { weekday: localParts(day).weekday, date: `${data.day!.d}/${data.day!.m}` }) : ctx.t('sessionNew.time') };
      },
      async handle(ctx, data, input) {
        if (input.kind !== 'text') return { type: 'retry', say: [{ text: ctx.t('sessionNew.badTime') }] };
        return handleWhen(ctx, data, input.text, true);
      },
    },
    duration: {
      prompt: (ctx) => ({
        text: ctx.t('sessionNew.duration'),
        choices: DURATIONS.map((m) => ({ label: ctx.t('sessionNew.hours', { count: m / 60 }), value: String(m) })),
      }),
      async handle(ctx, data, input) {
        // "3 tiếng rưỡi", "đến 11h" (an end time, from the start), "2 hours".
        const start = data.startsAt ? new Date(data.startsAt) : undefined;
        const minutes = input.kind === 'choice' ? Number(input.value) : input.kind === 'text' ? parseDuration(input.text, { locale: ctx.locale, ...(start ? { start } : {}) }) : null;
        if (!minutes || !Number.isInteger(minutes)) return { type: 'retry', say: [{ text: ctx.t('sessionNew.badDuration') }] };
        return { type: 'goto', step: 'capacity', data: { ...data, durationMin: minutes } };
      },
    },
    capacity: {
      prompt: (ctx) => ({ text: ctx.t('sessionNew.capacity') }),
      async handle(ctx, data, input) {
        const n = input.kind === 'text' ? typedInt(input.text) : null;
        if (!n || n < 1 || n > 2000) return { type: 'retry', say: [{ text: ctx.t('sessionNew.badCapacity') }] };
        return { type: 'goto', step: 'note', data: { ...data, capacity: n } };
      },
    },
    note: {
      prompt: (ctx) => ({ text: ctx.t('sessionNew.note'), choices: [{ label: ctx.t('sessionNew.skipNote'), value: 'none' }] }),
      async handle(ctx, data, input) {
        if (input.kind === 'choice') return { type: 'goto', step: 'phone', data: { ...data, note: null } };
        if (input.kind !== 'text' || input.text.trim().length > 300) return { type: 'retry', say: [{ text: ctx.t('sessionNew.badNote') }] };
        return { type: 'goto', step: 'phone', data: { ...data, note: input.text.trim() } };
      },
    },
    phone: {
      prompt: (ctx) => yesNo(ctx, 'sessionNew.needsPhone', 'sessionNew.phoneYes', 'sessionNew.phoneNo'),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        return { type: 'goto', step: 'confirm', data: { ...data, needsPhone: input.value === 'yes' } };
      },
    },
    confirm: {
      prompt: (ctx, data) => ({
        text: preview(ctx, data),
        choices: [
          { label: ctx.t('sessionNew.create'), value: 'yes' },
          { label: ctx.t('sessionNew.discard'), value: 'no' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value !== 'yes') return { type: 'done', say: [{ text: ctx.t('sessionNew.discarded') }] };
        const startsAt = new Date(data.startsAt!);
        if (startsAt <= ctx.now) return { type: 'goto', step: 'date', data, say: [{ text: ctx.t('sessionNew.pastDate') }] };
        const created = await ctx.person.staff.createSession({
          programme: data.programme!,
          wardCode: data.wardCode!,
          placeName: data.placeName,
          placeAddress: data.placeAddress,
          startsAt,
          durationMin: data.durationMin,
          capacity: data.capacity,
          note: data.note,
          needsPhone: data.needsPhone,
        });
        if (isDenied(created)) return { type: 'done', say: deniedSay(ctx.t, created) };
        return {
          type: 'done',
          say: [{ text: ctx.t('sessionNew.created', { id: created.session.id, n: created.invited }), choices: [choice(ctx.t('staff.open'), { type: 'session', session: created.session.id })] }],
        };
      },
    },
  },
});
