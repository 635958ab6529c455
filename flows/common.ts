import type { Key } from '../src/i18n/index.js';
import type { TFunction } from 'i18next';
import type { Appointment } from '../src/domain/bookings.js';
import type { Denied } from '../src/core/actor.js';
import type { Session } from '../src/domain/sessions.js';
import { relativeParams, sessionParams } from '../src/domain/reminders.js';
import type { FlowContext, FlowInput, Step, StepOutcome } from '../src/engine/flow.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { encodeAction } from '../src/core/actions.js';

/** One line per session: "#12 · Khám sức khỏe người cao tuổi · thứ Năm 10/12, 7:30 · Trạm Y tế …" */
export const sessionLine = (t: TFunction, s: Session) => t('session.line', { ...sessionParams(s), id: s.id, booked: s.booked, capacity: s.capacity });

/** The kind, clear answer to a refused staff action. */
/** A refusal, kindly: a role that does not allow the action says what the role does allow. */
export const deniedSay = (t: TFunction, d: Denied): OutboundMessage[] => [
  { text: d.role ? t('staff.denied.role-lacks', { role: t(`roles.names.${d.role}`), can: t(`staff.can.${d.role}`) }) : t(`staff.denied.${d.reason}`) },
];

/** Buttons offering other sessions (a full session says so and offers these). */
export function alternatives(t: TFunction, list: readonly Session[]): OutboundMessage {
  if (list.length === 0) return { text: t('booking.noAlternatives') };
  return {
    text: t('booking.alternatives'),
    choices: list.map((s) => ({ label: t('booking.alternative', { ...sessionParams(s), free: s.capacity - s.booked }), value: encodeAction({ type: 'book', session: s.id }) })),
  };
}

/** A number typed in a message ("30", "30 người"). */
export function typedInt(text: string): number | null {
  const m = /^\s*(\d{1,5})\s*[\p{L}\s]*$/u.exec(text);
  return m ? Number(m[1]) : null;
}

/** One appointment for /lich: "thứ Năm 10/12, 7:30 · Khám sức khỏe người cao tuổi (cho mẹ Hoa) · Trạm Y tế …" */
export const appointmentLine = (t: TFunction, a: Appointment) =>
  t('appointments.line', { ...sessionParams(a.session), ...relativeParams(a.dependent, a.relationship) });

/** "Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng" → name and address (both needed, sensibly short). */
export function typedPlace(input: FlowInput, max = 200): { placeName: string; placeAddress: string } | null {
  const text = input.kind === 'text' ? input.text.trim() : '';
  const comma = text.indexOf(',');
  const placeName = text.slice(0, comma).trim();
  const placeAddress = text.slice(comma + 1).trim();
  if (comma < 0 || placeName.length < 3 || placeAddress.length < 3 || text.length > max) return null;
  return { placeName, placeAddress };
}

/** A question with two buttons whose values are "yes" and "no" (confirmations, consent). */
export const yesNo = (ctx: FlowContext, textKey: Key, yesKey: Key, noKey: Key, params: Record<string, string | number> = {}): OutboundMessage => ({
  text: ctx.t(textKey, params),
  choices: [
    { label: ctx.t(yesKey), value: 'yes' },
    { label: ctx.t(noKey), value: 'no' },
  ],
});

/** A step asking for explicit consent to a notice: "yes" records it (`agreed`), anything but a button asks again, "no" records the refusal. */
export function consentStep<D>(o: {
  prompt(ctx: FlowContext, data: D): OutboundMessage;
  /** The person agreed: record what they agreed to, and go on. */
  agreed(ctx: FlowContext, data: D): Promise<StepOutcome<D>>;
  /** After the refusal is recorded (default: say so, and end the flow). */
  declined?(ctx: FlowContext, data: D): Promise<StepOutcome<D>>;
}): Step<D> {
  return {
    prompt: o.prompt,
    async handle(ctx, data, input) {
      // Silence or typing is never consent: the notice is asked again.
      if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('notice.explicit') }] };
      if (input.value !== 'yes') {
        await ctx.person.declineConsent();
        return o.declined ? o.declined(ctx, data) : { type: 'done', say: [{ text: ctx.t('notice.declined') }] };
      }
      return o.agreed(ctx, data);
    },
  };
}

/**
 * The commune, ward or special zone, typed as people type it ("le chan",
 * "P. Lê Chân"): the matches are offered as buttons, a pick moves on. With
 * `allowed` (a collaborator's own wards) only those are offered and typing
 * is not needed.
 */
export function wardStep<D extends { matches: string[] }>(o: {
  /** This step's id (typing a name comes back here with the matches). */
  step: string;
  /** The question when no matches are shown. */
  ask(ctx: FlowContext, data: D): string;
  /** The question above the matches. */
  pick(ctx: FlowContext, data: D): string;
  /** The only wards that may be chosen; null or absent: any. */
  allowed?(data: D): readonly string[] | null;
  chosen(ctx: FlowContext, data: D, wardCode: string): StepOutcome<D> | Promise<StepOutcome<D>>;
}): Step<D> {
  return {
    prompt: (ctx, data) => {
      const matches = data.matches.map((code) => ctx.wards.get(code)).filter((w) => w !== undefined);
      if (!matches.length) return { text: o.ask(ctx, data) };
      return { text: o.pick(ctx, data), choices: matches.map((w) => ({ label: w.name, value: w.code })) };
    },
    async handle(ctx, data, input) {
      const allowed = o.allowed?.(data) ?? null;
      if (input.kind === 'choice') {
        if (!ctx.wards.get(input.value) || (allowed && !allowed.includes(input.value))) return { type: 'retry', say: [{ text: ctx.t('ward.notFound') }] };
        return o.chosen(ctx, { ...data, matches: [] }, input.value);
      }
      if (input.kind !== 'text' || allowed) return { type: 'retry', say: [{ text: ctx.t(allowed ? 'common.chooseOne' : 'ward.typeName') }] };
      const found = ctx.wards.search(input.text);
      if (found.length === 0) return { type: 'goto', step: o.step, data: { ...data, matches: [] }, say: [{ text: ctx.t('ward.notFound') }] };
      return { type: 'goto', step: o.step, data: { ...data, matches: found.map((w) => w.code) } };
    },
  };
}
