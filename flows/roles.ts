import { z } from 'zod';
import { ROLES, isDenied, isRole } from '../src/core/actor.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import { deniedSay } from './common.js';

const Data = z.object({
  mode: z.enum(['invite', 'change']),
  roleId: z.number().int().nullable().default(null),
  role: z.enum(ROLES).nullable().default(null),
  wards: z.array(z.string()).default([]),
  matches: z.array(z.string()).default([]),
  members: z.array(z.object({ id: z.number().int(), label: z.string() })).default([]),
});
type Data = z.infer<typeof Data>;

const wardNames = (ctx: FlowContext, codes: readonly string[]) => codes.map((c) => ctx.wards.get(c)?.name ?? c).join(', ');

async function finish(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  if (!data.role) return { type: 'goto', step: 'role', data };
  if (data.mode === 'invite') {
    const r = await ctx.person.staff.createInvite(data.role, data.wards);
    if (isDenied(r)) return { type: 'done', say: deniedSay(ctx.t, r) };
    return {
      type: 'done',
      say: [{ text: ctx.t('roles.inviteCreated', { code: r.code, role: ctx.t(`roles.names.${data.role}`), wards: wardNames(ctx, data.wards) || ctx.t('staff.allWards') }) }],
    };
  }
  const r = await ctx.person.staff.changeRole(data.roleId!, data.role, data.wards);
  if (isDenied(r)) return { type: 'done', say: deniedSay(ctx.t, r) };
  return { type: 'done', say: [{ text: ctx.t('roles.changed', { role: ctx.t(`roles.names.${r.role}`), wards: wardNames(ctx, r.wardCodes) || ctx.t('staff.allWards') }) }] };
}

/**
 * Administrators: make a single-use invite code for a role and ward(s), list
 * the staff, change a role or its wards, revoke it. StaffDesk checks and audits
 * every one of these.
 */
export const rolesFlow = defineFlow<Data>({
  id: 'roles',
  data: Data,
  async start(ctx, arg) {
    if (arg === 'list') {
      const list = await ctx.person.staff.listRoles();
      if (isDenied(list)) return { type: 'done', say: deniedSay(ctx.t, list) };
      const members = list.map((r) => ({
        id: r.id,
        label: `${r.name ?? `#${r.contactId}`} · ${ctx.t(`roles.names.${r.role}`)}${r.wardCodes.length ? ` · ${wardNames(ctx, r.wardCodes)}` : ''}`,
      }));
      return { type: 'goto', step: 'list', data: Data.parse({ mode: 'change', members }) };
    }
    const denied = await ctx.person.staff.check('roles.manage', undefined, 'invite');
    if (denied) return { type: 'done', say: deniedSay(ctx.t, denied) };
    return { type: 'goto', step: 'role', data: Data.parse({ mode: 'invite' }) };
  },
  steps: {
    list: {
      prompt: (ctx, data) => ({ text: ctx.t('roles.listTitle', { n: data.members.length }), choices: data.members.map((m) => ({ label: m.label, value: String(m.id) })) }),
      async handle(ctx, data, input) {
        const m = data.members.find((x) => input.kind === 'choice' && input.value === String(x.id));
        if (!m) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        return { type: 'goto', step: 'member', data: { ...data, roleId: m.id } };
      },
    },
    member: {
      prompt: (ctx, data) => ({
        text: data.members.find((m) => m.id === data.roleId)?.label ?? '',
        choices: [
          { label: ctx.t('roles.change'), value: 'change' },
          { label: ctx.t('roles.revoke'), value: 'revoke' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'change') return { type: 'goto', step: 'role', data };
        const r = await ctx.person.staff.revokeRole(data.roleId!);
        if (isDenied(r)) return { type: 'done', say: deniedSay(ctx.t, r) };
        return { type: 'done', say: [{ text: ctx.t('roles.revoked') }] };
      },
    },
    role: {
      prompt: (ctx) => ({ text: ctx.t('roles.askRole'), choices: ROLES.map((r) => ({ label: ctx.t(`roles.names.${r}`), value: r })) }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice' || !isRole(input.value)) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        const next = { ...data, role: input.value, wards: [], matches: [] };
        return input.value === 'admin' ? finish(ctx, next) : { type: 'goto', step: 'wards', data: next };
      },
    },
    wards: {
      prompt: (ctx, data) => ({
        text: data.wards.length ? ctx.t('roles.wardsSoFar', { wards: wardNames(ctx, data.wards) }) : ctx.t('roles.askWards'),
        choices: [
          ...data.matches.map((c) => ({ label: ctx.wards.get(c)?.name ?? c, value: c })),
          ...(data.wards.length ? [{ label: ctx.t('roles.wardsDone'), value: 'done' }] : []),
          // A counsellor may answer the whole city's people instead of some wards'.
          ...(data.role === 'counsellor' && !data.wards.length ? [{ label: ctx.t('roles.wholeCity'), value: 'city' }] : []),
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind === 'choice') {
          if (input.value === 'done' && data.wards.length) return finish(ctx, data);
          if (input.value === 'city' && data.role === 'counsellor') return finish(ctx, { ...data, wards: [] });
          if (!ctx.wards.get(input.value)) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
          const wards = data.wards.includes(input.value) ? data.wards : [...data.wards, input.value];
          return { type: 'goto', step: 'wards', data: { ...data, wards, matches: [] } };
        }
        if (input.kind !== 'text') return { type: 'retry', say: [{ text: ctx.t('ward.typeName') }] };
        const found = ctx.wards.search(input.text);
        if (found.length === 0) return { type: 'retry', say: [{ text: ctx.t('ward.notFound') }] };
        return { type: 'goto', step: 'wards', data: { ...data, matches: found.map((w) => w.code) } };
      },
    },
  },
});
