import type { Key } from '../src/i18n/index.js';
import type { TFunction } from 'i18next';
import type { Appointment } from '../src/domain/bookings.js';
import type { Denied } from '../src/core/actor.js';
import type { Session } from '../src/domain/sessions.js';
import { sessionParams } from '../src/domain/reminders.js';
import type { FlowContext, FlowInput } from '../src/engine/flow.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { encodeAction } from '../src/core/actions.js';

/** One line per session: "#12 · Khám sức khỏe người cao tuổi · thứ Năm 10/12, 7:30 · Trạm Y tế …" */
export const sessionLine = (t: TFunction, s: Session) => t('session.line', { ...sessionParams(s), id: s.id, booked: s.booked, capacity: s.capacity });

/** The kind, clear answer to a refused staff action. */
export const deniedSay = (t: TFunction, d: Denied): OutboundMessage[] => [{ text: t(`staff.denied.${d.reason}`) }];

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
  t('appointments.line', { ...sessionParams(a.session), ...(a.dependent ? { who: a.dependent, context: 'dep' } : {}) });

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
