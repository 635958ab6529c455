import type { BotModule } from '../src/engine/module.js';
import { rolesFlow } from './roles.js';
import { sessionNewFlow } from './session-new.js';
import { sessionFlow } from './session.js';
import { z } from 'zod';
import { defineFlow, type FlowContext } from '../src/engine/flow.js';
import { isDenied, type Grant } from '../src/core/actor.js';
import { normaliseCode } from '../src/domain/staff.js';
import type { Choice, OutboundMessage } from '../src/core/messages.js';
import { deniedSay, sessionLine } from './common.js';
import { choice } from '../src/core/actions.js';

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
        say: [{ text: ctx.t('staff.sessions'), choices: list.map((s) => choice(sessionLine(ctx.t, s), { type: 'session', session: s.id })) }],
      };
    }
    const wards = grant.role === 'admin' || !grant.wardCodes.length ? ctx.t('staff.allWards') : grant.wardCodes.map((c) => ctx.wards.get(c)?.name ?? c).join(', ');
    const choices: Choice[] = [];
    // A counsellor's desk is their conversations (/tuvan); sessions and broadcasts are the stations'.
    if (grant.role === 'counsellor') {
      choices.push(choice(ctx.t('counsel.desk.open'), { type: 'counselList' }));
      return { type: 'done', say: [{ text: ctx.t('staff.menu', { role: ctx.t(`roles.names.${grant.role}`), wards }), choices }] };
    }
    if (grant.role !== 'collaborator') choices.push(choice(ctx.t('staff.newSession'), { type: 'newSession' }));
    choices.push(choice(ctx.t('staff.listSessions'), { type: 'staff', page: 'sessions' }));
    choices.push(choice(ctx.t('staff.broadcast'), { type: 'broadcast' }));
    if (grant.role === 'admin') {
      choices.push(choice(ctx.t('roles.newInvite'), { type: 'roles', page: 'invite' }));
      choices.push(choice(ctx.t('roles.list'), { type: 'roles', page: 'list' }));
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
  const wards = grant.role === 'admin' || !grant.wardCodes.length ? ctx.t('staff.allWards') : grant.wardCodes.map((c) => ctx.wards.get(c)?.name ?? c).join(', ');
  return [{ text: ctx.t('roles.redeemed', { role: ctx.t(`roles.names.${grant.role}`), wards }) }];
}

/** Staff and collaborators: the desk (/canbo), invite codes (/moi), sessions, roles. */
export const staffModule: BotModule = {
  id: 'staff',
  flows: [staffFlow, redeemFlow, sessionNewFlow, sessionFlow, rolesFlow],
  commands: {
    staff: { run: (turn) => turn.start('staff') },
    invite: { run: (turn, arg) => turn.start('redeem', arg) },
  },
  actions: {
    staff: { run: (turn, a) => turn.start('staff', a.page) },
    newSession: { run: (turn) => turn.start('session-new') },
    session: { run: (turn, a) => turn.start('session', String(a.session)) },
    roles: { run: (turn, a) => turn.start('roles', a.page) },
  },
};
