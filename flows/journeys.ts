import { choice } from '../src/core/actions.js';
import type { Choice } from '../src/core/messages.js';
import { fullDate } from '../src/core/time.js';
import type { BotModule, Turn } from '../src/engine/module.js';
import { planOf, restarts } from '../src/domain/contraception.js';
import { hasPregnancyMessages, isLossMessage, journeyLine, journeysHub, lossSay, remindersBlock } from './journey-common.js';
import { contraceptionNext } from './journey-contraception.js';
import { journeyNewbornFlow } from './journey-newborn.js';
import { journeyPregnancyFlow } from './journey-pregnancy.js';
import { journeyPremaritalFlow } from './journey-premarital.js';

const gone = (turn: Turn) => [{ text: turn.t('journeys.reply.gone') }];

/** One of the person's own journeys, or null. */
const own = async (turn: Turn, id: number) => turn.person.journeys.get(id);

/**
 * Journeys that follow a life event (pregnancy, newborn, wedding; the elderly
 * yearly checkup comes with a subscription): /hanhtrinh, the three flows that
 * start them, the buttons on their reminders, and the loss path, which runs
 * on every message before flows and the FAQ.
 */
export const journeysModule: BotModule = {
  id: 'journeys',
  flows: [journeyPregnancyFlow, journeyNewbornFlow, journeyPremaritalFlow],
  commands: {
    journeys: {
      readOnly: true,
      run: async (turn) => {
        turn.leave();
        return [await journeysHub(turn)];
      },
    },
  },
  textHooks: [
    {
      mayWrite: isLossMessage,
      async run(turn, text) {
        if (!isLossMessage(text) || !(await hasPregnancyMessages(turn))) return null;
        if (turn.currentFlow()?.startsWith('journey-')) turn.leave();
        return lossSay(turn);
      },
    },
  ],
  actions: {
    journeyPregnancy: { run: (turn, a) => turn.start('journey-pregnancy', a.change === undefined ? undefined : `c${a.change}`) },
    journeyNewborn: { run: (turn, a) => turn.start('journey-newborn', a.fromPregnancy === undefined ? undefined : `p${a.fromPregnancy}`) },
    journeyPremarital: { run: (turn) => turn.start('journey-premarital') },
    journeysHub: { readOnly: true, run: async (turn) => [await journeysHub(turn)] },
    journeyKeep: { readOnly: true, run: async (turn) => [{ text: turn.t('journeys.reply.kept') }] },
    journeyDone: {
      retiresPressed: true,
      async run(turn, a) {
        const j = await own(turn, a.journey);
        if (!j) return gone(turn);
        const done = await turn.person.journeys.markDone(j.id, a.window);
        if (j.kind === 'newborn' && a.window === 'check') return [{ text: turn.t('journeys.reply.checkDone') }];
        // An injection, a new pack, a new device: the cycle starts again from today, and says when it next reminds.
        if (done && j.kind === 'contraception' && restarts(a.window)) return [{ text: turn.t('journeys.reply.restarted', { next: contraceptionNext(turn, done) }) }];
        return [{ text: turn.t('journeys.reply.done') }];
      },
    },
    journeySnooze: {
      retiresPressed: true,
      async run(turn, a) {
        const j = await own(turn, a.journey);
        const at = j ? await turn.person.journeys.snooze(j.id, a.window) : null;
        return at ? [{ text: turn.t('journeys.reply.snoozed', { date: fullDate(at) }) }] : gone(turn);
      },
    },
    journeyNotDone: { readOnly: true, retiresPressed: true, run: async (turn, a) => ((await own(turn, a.journey)) ? [{ text: turn.t('journeys.reply.checkNotDone') }] : gone(turn)) },
    journeyNotYet: { readOnly: true, retiresPressed: true, run: async (turn, a) => ((await own(turn, a.journey)) ? [{ text: turn.t('journeys.reply.notYet') }] : gone(turn)) },
    journeyManage: {
      readOnly: true,
      async run(turn, a) {
        const j = await own(turn, a.journey);
        if (!j || j.status === 'ended') return gone(turn);
        const live = (await turn.person.journeys.live()).find((x) => x.id === j.id)!;
        const choices: Choice[] = [];
        if (j.kind === 'pregnancy') {
          choices.push(choice(turn.t('journeys.manage.changeDue'), { type: 'journeyPregnancy', change: j.id }), choice(turn.t('journeys.manage.born'), { type: 'journeyNewborn', fromPregnancy: j.id }));
        }
        if (j.kind === 'premarital') choices.push(choice(turn.t('journeys.manage.changeMonth'), { type: 'journeyPremarital' }));
        if (j.kind === 'contraception') {
          const discreet = planOf(j.plan).discreet;
          choices.push(
            choice(turn.t('journeys.manage.changeCp'), { type: 'journeyContraception' }),
            choice(turn.t(discreet ? 'journeys.btn.discreetOff' : 'journeys.btn.discreetOn'), { type: 'journeyDiscreet', journey: j.id, on: !discreet }),
          );
        }
        choices.push(
          j.status === 'paused'
            ? choice(turn.t('journeys.manage.resume'), { type: 'journeyResume', journey: j.id })
            : choice(turn.t('journeys.manage.pause'), { type: 'journeyPause', journey: j.id }),
        );
        choices.push(choice(turn.t('journeys.manage.stop'), { type: 'journeyStop', journey: j.id }));
        if (j.kind === 'pregnancy' || j.kind === 'newborn') choices.push(choice(turn.t('journeys.manage.loss'), { type: 'journeyLoss', journey: j.id }));
        const plan = remindersBlock(turn.t, live, await turn.person.upcomingReminders(), 5);
        return [{ text: [turn.t('journeys.manage.title', { line: journeyLine(turn.t, live, turn.now) }), ...plan].join('\n'), choices }];
      },
    },
    journeyStopMenu: {
      readOnly: true,
      async run(turn, a) {
        const j = await own(turn, a.journey);
        if (!j || j.status === 'ended') return gone(turn);
        return [
          {
            text: turn.t('journeys.manage.stopTitle'),
            choices: [
              choice(turn.t('journeys.manage.pause'), { type: 'journeyPause', journey: j.id }),
              choice(turn.t('journeys.manage.stop'), { type: 'journeyStop', journey: j.id }),
              choice(turn.t('journeys.manage.all'), { type: 'stop' }),
              choice(turn.t('journeys.manage.keep'), { type: 'journeyKeep' }),
            ],
          },
        ];
      },
    },
    journeyPause: {
      async run(turn, a) {
        const j = await own(turn, a.journey);
        return j && (await turn.person.journeys.pause(j.id)) ? [{ text: turn.t('journeys.reply.paused', { label: turn.t(`journeys.kinds.${j.kind}`) }) }] : gone(turn);
      },
    },
    journeyResume: {
      async run(turn, a) {
        const j = await own(turn, a.journey);
        return j && (await turn.person.journeys.resume(j.id)) ? [{ text: turn.t('journeys.reply.resumed', { label: turn.t(`journeys.kinds.${j.kind}`) }) }] : gone(turn);
      },
    },
    journeyStop: {
      async run(turn, a) {
        const j = await own(turn, a.journey);
        return j && (await turn.person.journeys.stop(j.id)) ? [{ text: turn.t('journeys.reply.stopped', { label: turn.t(`journeys.kinds.${j.kind}`) }) }] : gone(turn);
      },
    },
    journeyLoss: {
      async run(turn) {
        if (!(await hasPregnancyMessages(turn))) return gone(turn);
        return lossSay(turn);
      },
    },
  },
};
