import type { Key } from '../src/i18n/index.js';
import { z } from 'zod';
import { RELATIONSHIPS, type Dependent } from '../src/domain/bookings.js';
import { parseRelative } from '../src/domain/kin.js';
import type { FlowContext, Step, StepOutcome } from '../src/engine/flow.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { consentStep, wardStep, yesNo } from './common.js';

/** A relative being added: filled in step by step. */
export const DepDraft = z.object({
  name: z.string(),
  birthYear: z.number().int(),
  relationship: z.enum(RELATIONSHIPS).nullable(),
  wardCode: z.string().nullable(),
});

/** What a flow's data needs to run the steps below. */
export interface DepFields {
  dep: z.infer<typeof DepDraft> | null;
  /** Ward codes offered as buttons (a suggestion first, then what the person's typing found). */
  matches: string[];
}

export interface DependentStepsOptions<D extends DepFields> {
  /** Wards to offer first for the relative (the session's ward, the person's own). */
  suggestWards(ctx: FlowContext, data: D): string[];
  /** The relative was saved with consent on their behalf: where the flow goes next. */
  added(ctx: FlowContext, data: D, dep: Dependent): Promise<StepOutcome<D>>;
}

/** The person's own ward, the likeliest for a parent they look after. */
export const ownWard = (ctx: FlowContext): string[] => (ctx.person.contact?.wardCode ? [ctx.person.contact.wardCode] : []);

/** Yes / no to a privacy notice. */
export const noticePrompt = (ctx: FlowContext, key: Key) => yesNo(ctx, key, 'notice.agree', 'notice.disagree');

/** "For whom?": the person, each relative on their list by name, or a new one (values 'self', the id, 'new'). */
export const forWhomPrompt = (ctx: FlowContext, key: Key, deps: readonly { id: number; name: string; rel?: string | undefined }[]): OutboundMessage => ({
  text: ctx.t(key),
  choices: [
    { label: ctx.t('booking.forMe'), value: 'self' },
    ...deps.map((d) => ({ label: ctx.t('booking.forDependent', { who: d.name, ...(d.rel ? { rel: d.rel } : {}) }), value: String(d.id) })),
    { label: ctx.t('booking.forNewDependent'), value: 'new' },
  ],
});

/**
 * Adding an elderly parent or grandparent, shared by the booking, subscribe
 * and relatives flows: name and birth year, relationship, ward, then the
 * notice the person accepts on the relative's behalf (recorded as such).
 * Start it with `{ type: 'goto', step: 'depName', data }`.
 */
export function dependentSteps<D extends DepFields>(o: DependentStepsOptions<D>): Record<'depName' | 'depRel' | 'depWard' | 'depNotice', Step<D>> {
  return {
    depName: {
      prompt: (ctx) => ({ text: ctx.t('dependent.askName') }),
      async handle(ctx, data, input) {
        // "mẹ Lan 1954": the name is Lan; "mẹ" says the relationship, offered first on the next question.
        const parsed = input.kind === 'text' ? parseRelative(input.text, ctx.now) : null;
        if (!parsed) return { type: 'retry', say: [{ text: ctx.t('dependent.badName') }] };
        return { type: 'goto', step: 'depRel', data: { ...data, dep: { ...parsed, wardCode: null } } };
      },
    },
    depRel: {
      prompt: (ctx, data) => {
        const said = data.dep?.relationship ?? null;
        const params = { name: data.dep?.name ?? '', year: data.dep?.birthYear ?? '', age: data.dep ? ctx.now.getUTCFullYear() - data.dep.birthYear : '' };
        if (!said) return { text: ctx.t('dependent.askRelationship', params), choices: RELATIONSHIPS.map((r) => ({ label: ctx.t(`dependent.relationships.${r}`), value: r })) };
        // The relationship the person typed ("mẹ Lan") comes first, ticked: one tap confirms it.
        const label = (r: (typeof RELATIONSHIPS)[number]) => ctx.t(`dependent.relationships.${r}`);
        return {
          text: ctx.t('dependent.confirmRelationship', { ...params, relationship: label(said) }),
          choices: [{ label: `✓ ${label(said)}`, value: said }, ...RELATIONSHIPS.filter((r) => r !== said).map((r) => ({ label: label(r), value: r }))],
        };
      },
      async handle(ctx, data, input) {
        const rel = RELATIONSHIPS.find((r) => input.kind === 'choice' && input.value === r);
        if (!rel || !data.dep) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        const matches = o.suggestWards(ctx, data).filter((c) => ctx.wards.get(c));
        return { type: 'goto', step: 'depWard', data: { ...data, dep: { ...data.dep, relationship: rel }, matches } };
      },
    },
    depWard: wardStep<D>({
      step: 'depWard',
      ask: (ctx, data) => ctx.t('dependent.askWard', { name: data.dep?.name ?? '' }),
      pick: (ctx, data) => ctx.t('dependent.pickWard', { name: data.dep?.name ?? '' }),
      chosen: (ctx, data, wardCode) =>
        data.dep ? { type: 'goto', step: 'depNotice', data: { ...data, dep: { ...data.dep, wardCode } } } : { type: 'retry', say: [{ text: ctx.t('ward.notFound') }] },
    }),
    depNotice: consentStep<D>({
      prompt: (ctx) => noticePrompt(ctx, 'dependent.notice'),
      async agreed(ctx, data) {
        if (!data.dep?.relationship) return { type: 'goto', step: 'depName', data };
        // One explicit "yes" to a notice naming both: the relative's own account and the dependent's data.
        if (!(await ctx.person.hasConsented())) await ctx.person.consent();
        const dep = await ctx.person.bookings.addDependent({ ...data.dep, relationship: data.dep.relationship });
        return o.added(ctx, { ...data, dep: null }, dep);
      },
    }),
  };
}
