import type { Appointment } from '../src/domain/bookings.js';
import type { LiveJourney } from '../src/domain/journeys.js';
import type { SubscriptionChange } from '../src/domain/subscriptions.js';
import { relativeParams } from '../src/domain/reminders.js';
import type { FlowContext } from '../src/engine/flow.js';
import { appointmentLine } from './common.js';
import { journeyLine } from './journey-common.js';

/**
 * What a stop, a resume or an erasure changes, named line by line: which
 * subscriptions (for whom, where), which journeys, which bookings. The person
 * is told exactly this, before (to decide) and after (what happened).
 */

/** The person's relatives by id (a relative's subscription names them). */
export async function relativeNames(ctx: FlowContext): Promise<Map<number, Relative>> {
  return new Map((await ctx.person.bookings.dependents()).map((d) => [d.id, { name: d.name, rel: d.relationship }]));
}

type Relative = { name: string; rel: string };

/** "• Khám sức khỏe người cao tuổi cho mẹ Lan (Phường Lê Chân)": campaign news, which rides along, last. */
export function subscriptionLines(ctx: FlowContext, subs: readonly SubscriptionChange[], names: ReadonlyMap<number, Relative>): string[] {
  const sorted = [...subs].sort(
    (a, b) => Number(a.programme === 'campaigns') - Number(b.programme === 'campaigns') || (a.dependentId ?? 0) - (b.dependentId ?? 0),
  );
  return sorted.map((s) => {
    const label = ctx.t(`programmes.${s.programme}.label`);
    const relative = s.dependentId === null ? undefined : names.get(s.dependentId);
    const ward = s.wardCode ? (ctx.wards.get(s.wardCode)?.name ?? null) : null;
    return `• ${ctx.t('changes.subscription', { label, ...relativeParams(relative?.name, relative?.rel) })}${ward ? ` (${ward})` : ''}`;
  });
}

export const journeyLines = (ctx: FlowContext, list: readonly LiveJourney[]): string[] => list.map((j) => `• ${journeyLine(ctx.t, j, ctx.now)}`);

export const bookingLines = (ctx: FlowContext, list: readonly Appointment[]): string[] => list.map((a) => `• ${appointmentLine(ctx.t, a)}`);

/** Sections with a title each, the empty ones left out. */
export function sections(parts: readonly (readonly [title: string, lines: readonly string[]])[]): string {
  return parts
    .filter(([, lines]) => lines.length > 0)
    .map(([title, lines]) => [title, ...lines].join('\n'))
    .join('\n');
}
