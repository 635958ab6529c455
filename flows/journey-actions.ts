import { fullDate, hasPregnancyMessages, journeyLine, journeysHub, lossSay } from './journey-common.js';
import type { FlowContext } from '../src/engine/flow.js';
import type { Choice, OutboundMessage } from '../src/engine/types.js';

/**
 * The journeys' global actions (buttons on reminders and in /hanhtrinh, /lich):
 * `a:jd:<id>:<window>` done, `a:jz:<id>:<window>` again in 3 days, `a:js:<id>`
 * stop menu, `a:jm:<id>` manage, `a:jpa`/`a:jre`/`a:jst:<id>` pause, resume,
 * stop, `a:jl:<id>` loss, `a:jny:<id>` not born yet, `a:jx:<id>` screening not
 * done, `a:jk` keep. Null when the action is not one of these (a stale button).
 */
export async function journeyAction(ctx: FlowContext, name: string, arg?: string, extra?: string): Promise<OutboundMessage[] | null> {
  const id = Number(arg);
  const j = Number.isInteger(id) && id > 0 ? await ctx.person.journeys.get(id) : null;
  const label = j ? ctx.t(`journeys.kinds.${j.kind}`) : '';
  const gone = [{ text: ctx.t('journeys.reply.gone') }];
  switch (name) {
    case 'jh':
      return [await journeysHub(ctx)];
    case 'jk':
      return [{ text: ctx.t('journeys.reply.kept') }];
    case 'jd': {
      if (!j || !extra) return gone;
      await ctx.person.journeys.markDone(j.id, extra);
      if (j.kind === 'newborn' && extra === 'check') return [{ text: ctx.t('journeys.reply.checkDone') }];
      return [{ text: ctx.t('journeys.reply.done') }];
    }
    case 'jz': {
      if (!j || !extra) return gone;
      const at = await ctx.person.journeys.snooze(j.id, extra);
      return at ? [{ text: ctx.t('journeys.reply.snoozed', { date: fullDate(at) }) }] : gone;
    }
    case 'jx':
      return j ? [{ text: ctx.t('journeys.reply.checkNotDone') }] : gone;
    case 'jny':
      return j ? [{ text: ctx.t('journeys.reply.notYet') }] : gone;
    case 'jm': {
      if (!j || j.status === 'ended') return gone;
      const live = (await ctx.person.journeys.live()).find((x) => x.id === j.id)!;
      const choices: Choice[] = [];
      if (j.kind === 'pregnancy') choices.push({ label: ctx.t('journeys.manage.changeDue'), value: `a:jp:c${j.id}` }, { label: ctx.t('journeys.manage.born'), value: `a:jnb:p${j.id}` });
      if (j.kind === 'premarital') choices.push({ label: ctx.t('journeys.manage.changeMonth'), value: 'a:jpm' });
      choices.push(j.status === 'paused' ? { label: ctx.t('journeys.manage.resume'), value: `a:jre:${j.id}` } : { label: ctx.t('journeys.manage.pause'), value: `a:jpa:${j.id}` });
      choices.push({ label: ctx.t('journeys.manage.stop'), value: `a:jst:${j.id}` });
      if (j.kind === 'pregnancy' || j.kind === 'newborn') choices.push({ label: ctx.t('journeys.manage.loss'), value: `a:jl:${j.id}` });
      return [{ text: ctx.t('journeys.manage.title', { line: journeyLine(ctx.t, live, ctx.now) }), choices }];
    }
    case 'js': {
      if (!j || j.status === 'ended') return gone;
      return [{
        text: ctx.t('journeys.manage.stopTitle'),
        choices: [
          { label: ctx.t('journeys.manage.pause'), value: `a:jpa:${j.id}` },
          { label: ctx.t('journeys.manage.stop'), value: `a:jst:${j.id}` },
          { label: ctx.t('journeys.manage.all'), value: 'a:stop' },
          { label: ctx.t('journeys.manage.keep'), value: 'a:jk' },
        ],
      }];
    }
    case 'jpa':
      return j && (await ctx.person.journeys.pause(j.id)) ? [{ text: ctx.t('journeys.reply.paused', { label }) }] : gone;
    case 'jre':
      return j && (await ctx.person.journeys.resume(j.id)) ? [{ text: ctx.t('journeys.reply.resumed', { label }) }] : gone;
    case 'jst':
      return j && (await ctx.person.journeys.stop(j.id)) ? [{ text: ctx.t('journeys.reply.stopped', { label }) }] : gone;
    case 'jl':
      if (!(await hasPregnancyMessages(ctx))) return gone;
      return lossSay(ctx);
  }
  return null;
}
