import { z } from 'zod';
import { defineFlow, type FlowContext } from '../src/engine/flow.js';
import { isDenied, normaliseCode, type Grant } from '../src/domain/staff.js';
import type { Choice, OutboundMessage } from '../src/engine/types.js';
import { deniedSay, sessionLine } from './common.js';

const Empty = z.object({});

/**
 * /canbo: the staff desk. Shows what this person's role allows (its buttons are
 * global actions that start the staff flows); a person without a role is
 * refused, and the attempt audited. `arg` 'sessions' lists the sessions.
 */
export const staffFlow = defineFlow<z.infer<typeof Empty>>({
  id: 'staff',
  data: Empty,
  async start(ctx, arg) {
    const staff = ctx.person.staff;
    const grant = await staff.grant();
    if (!grant) return { type: 'done', say: deniedSay(ctx.t, (await staff.check('session.bookings'))!) };
    if (arg === 'sessions') {
      const list = await staff.sessions();
      if (isDenied(list)) return { type: 'done', say: deniedSay(ctx.t, list) };
      if (list.length === 0) return { type: 'done', say: [{ text: ctx.t('staff.noSessions') }] };
      return {
        type: 'done',
        say: [{ text: ctx.t('staff.sessions'), choices: list.map((s) => ({ label: sessionLine(ctx.t, s), value: `a:ses:${s.id}` })) }],
      };
    }
    const wards = grant.role === 'admin' ? ctx.t('staff.allWards') : grant.wardCodes.map((c) => ctx.wards.get(c)?.name ?? c).join(', ');
    const choices: Choice[] = [];
    if (grant.role !== 'collaborator') choices.push({ label: ctx.t('staff.newSession'), value: 'a:snew' });
    choices.push({ label: ctx.t('staff.listSessions'), value: 'a:staff:sessions' });
    choices.push({ label: ctx.t('staff.broadcast'), value: 'a:bc' });
    if (grant.role === 'admin') {
      choices.push({ label: ctx.t('roles.newInvite'), value: 'a:roles:invite' });
      choices.push({ label: ctx.t('roles.list'), value: 'a:roles:list' });
    }
    return { type: 'done', say: [{ text: ctx.t('staff.menu', { role: ctx.t(`roles.names.${grant.role}`), wards }), choices }] };
  },
  steps: {},
});

/** /moi CODE (or /moi, then the code): redeems a single-use invite for a staff role; a wrong code gets another try. */
export const redeemFlow = defineFlow<z.infer<typeof Empty>>({
  id: 'redeem',
  data: Empty,
  async start(ctx, arg) {
    if (!arg || !normaliseCode(arg)) return { type: 'goto', step: 'code', data: {} };
    const grant = await ctx.person.staff.redeem(arg);
    if (isDenied(grant)) return { type: 'goto', step: 'code', data: {}, say: deniedSay(ctx.t, grant) };
    return { type: 'done', say: redeemed(ctx, grant) };
  },
  steps: {
    code: {
      prompt: (ctx) => ({ text: ctx.t('roles.askCode') }),
      async handle(ctx, _data, input) {
        if (input.kind !== 'text') return { type: 'retry', say: [{ text: ctx.t('roles.askCode') }] };
        const grant = await ctx.person.staff.redeem(input.text);
        if (isDenied(grant)) return { type: 'retry', say: deniedSay(ctx.t, grant) };
        return { type: 'done', say: redeemed(ctx, grant) };
      },
    },
  },
});

function redeemed(ctx: FlowContext, grant: Grant): OutboundMessage[] {
  const wards = grant.role === 'admin' ? ctx.t('staff.allWards') : grant.wardCodes.map((c) => ctx.wards.get(c)?.name ?? c).join(', ');
  return [{ text: ctx.t('roles.redeemed', { role: ctx.t(`roles.names.${grant.role}`), wards }) }];
}
