import type { TFunction } from 'i18next';
import { z } from 'zod';
import { choice } from '../src/core/actions.js';
import { type Denied, isDenied } from '../src/core/actor.js';
import type { Choice, OutboundMessage } from '../src/core/messages.js';
import { fold } from '../src/core/text.js';
import { formatDate, formatTime, localParts } from '../src/core/time.js';
import {
  COUNSELLOR_CHAT,
  type CounselContent,
  type CounselRefusal,
  inWorkingHours,
  nextWorkingStart,
  PERSON_CHAT,
  rateChoices,
  type Ticket,
  type TicketView,
  type TranscriptLine,
  ticketTag,
  verifiedPhone,
} from '../src/domain/tickets.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import type { BotModule, Turn } from '../src/engine/module.js';
import type { FaqBundle } from '../src/faq/types.js';
import type { Key } from '../src/i18n/index.js';
import { deniedSay, wardStep } from './common.js';
import { faqTitle } from './faq.js';

/**
 * "Hỏi cán bộ tư vấn" (the `counsel` action under every FAQ answer, the loss
 * path, the safety answers; /tuvan): a conversation with a counsellor,
 * anonymous by default (src/domain/tickets.ts holds the rules).
 *
 * The person: the button opens a ticket (told who answers, when, that it is
 * confidential) and puts them in the conversation (the flow `counsel`): from
 * then on what they type is relayed to the counsellors by the text hook below
 * instead of being answered by the bot; the global commands and the safety
 * check still run first ("dừng" closes it, /xoa erases it, a danger sign gets
 * the safety answer at once and flags the ticket). "Kết thúc" ends it; 👍 / 👎.
 * Until a counsellor serves their ward or the city, the button names the
 * ward's health station instead.
 *
 * A counsellor: /tuvan lists their conversations and those waiting; "Nhận trả
 * lời" claims one, "Trả lời" opens one (the flow `counsel-desk`), and what
 * they type then goes to that person, on the person's own channel. "Chuyển"
 * hands it to another counsellor or back to the team; "Kết thúc" closes it.
 */

/** The one line that ends a conversation from either side where there are no buttons ("kết thúc"). */
function isEnd(t: TFunction, text: string): boolean {
  const words = [
    ...(t('counsel.endWords', { returnObjects: true, lng: 'vi' }) as string[]),
    ...(t('counsel.endWords', { returnObjects: true, lng: 'en' }) as string[]),
  ];
  const typed = fold(text);
  return words.some((w) => fold(w) === typed);
}

/** "7:30–11:30, 13:30–17:00, thứ Hai đến thứ Sáu" from content/counsel.yaml. */
function hoursText(t: TFunction, content: CounselContent): string {
  const periods = content.hours.periods.map(([a, b]) => `${a.replace(/^0/, '')}–${b.replace(/^0/, '')}`).join(', ');
  const days = [...content.hours.days].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
  const consecutive = days.every((d, i) => i === 0 || (days[i - 1]! + 1) % 7 === d);
  const dayText =
    consecutive && days.length > 2
      ? t('counsel.hours.days', { from: t(`weekdays.${days[0]}` as Key), to: t(`weekdays.${days.at(-1)}` as Key) })
      : days.map((d) => t(`weekdays.${d}` as Key)).join(', ');
  return `${periods}, ${dayText}`;
}

/** "7:30 thứ Hai 30/11" */
const whenText = (t: TFunction, at: Date) => `${formatTime(at)} ${t(`weekdays.${localParts(at).weekday}` as Key)} ${formatDate(at)}`;

/** The line about danger: 115, and 111 for a child, but never the child line to a grieving mother. */
const urgentLine = (t: TFunction, about: string | null) => t('counsel.urgent', about === 'loss' ? { context: 'loss' } : {});

/** The ward health station, as content names it (and its phone only where one is verified). */
function stationSay(ctx: FlowContext, content: CounselContent, wardCode: string | null, about: string | null): OutboundMessage {
  const ward = wardCode ? ctx.wards.get(wardCode) : undefined;
  const menu = [choice(ctx.t('menu.button'), { type: 'menu' })];
  if (!ward) return { text: ctx.t(about === 'loss' ? 'counsellor.howLoss' : 'counsellor.how'), choices: menu };
  const station = content.stations[ward.code]?.name ?? ctx.t('counsel.stationName', { type: ward.type, short: ward.short, name: ward.name });
  const phone = verifiedPhone(content, ward.code);
  const text = ctx.t('counsel.station', { station, ...(phone ? { phone, context: 'phone' } : {}) });
  return { text: `${text}\n${urgentLine(ctx.t, about)}`, choices: menu };
}

/** What the person is told when the conversation opens: who answers, when, what to do if it is urgent, that it is confidential. */
function openingSay(ctx: FlowContext, content: CounselContent, t: Ticket, fresh: boolean): OutboundMessage {
  const poolWard = t.pool === 'city' ? undefined : ctx.wards.get(t.pool);
  const who = poolWard ? ctx.t('counsel.who.ward', { ward: poolWard.name }) : ctx.t('counsel.who.city');
  const tag = ticketTag(t);
  const inHours = inWorkingHours(content.hours, ctx.now);
  const hours = ctx.t(inHours ? 'counsel.hours.in' : 'counsel.hours.out', {
    hours: hoursText(ctx.t, content),
    when: whenText(ctx.t, nextWorkingStart(content.hours, ctx.now)),
  });
  const ward = t.wardCode ? ctx.wards.get(t.wardCode)?.name : undefined;
  const lines = [
    ctx.t(fresh ? 'counsel.opened' : 'counsel.again', { who, tag }),
    hours,
    urgentLine(ctx.t, t.topic),
    ctx.t('counsel.private', { tag, ...(ward ? { ward, context: 'ward' } : {}) }),
  ];
  return { text: lines.join('\n\n') };
}

const PersonData = z.object({
  ticket: z.number().int().nullable().default(null),
  tag: z.string().default(''),
  about: z.string().nullable().default(null),
  wardCode: z.string().nullable().default(null),
  matches: z.array(z.string()).default([]),
});
type PersonData = z.infer<typeof PersonData>;

/** The end of a conversation, from the person's side: 👍 / 👎 offered. */
const endedSay = (ctx: FlowContext, t: Pick<Ticket, 'id' | 'pseudonym'>): OutboundMessage => ({
  text: ctx.t('counsel.ended', { tag: ticketTag(t) }),
  choices: rateChoices(t.id).map((c) => ({ label: ctx.t(c.key as Key), value: c.value })),
});

function personFlow(content: CounselContent) {
  /** Opens (or finds) the ticket for this ward, or names the station when nobody can answer yet. */
  async function openFor(ctx: FlowContext, data: PersonData): Promise<StepOutcome<PersonData>> {
    const opened = await ctx.person.counsel.open({ wardCode: data.wardCode, about: data.about });
    if (!opened) return { type: 'done', say: [stationSay(ctx, content, data.wardCode, data.about)] };
    const { ticket, fresh } = opened;
    return {
      type: 'goto',
      step: PERSON_CHAT.step,
      data: { ...data, ticket: ticket.id, tag: ticketTag(ticket), matches: [] },
      say: [openingSay(ctx, content, ticket, fresh)],
    };
  }

  return defineFlow<PersonData>({
    id: PERSON_CHAT.flow,
    data: PersonData,
    /** `arg`: 'about:<topic>' (what they were reading), or 'resume' (back into an open conversation, saying nothing). */
    async start(ctx, arg) {
      const about = arg?.startsWith('about:') ? arg.slice(6) || null : null;
      const open = await ctx.person.counsel.current();
      if (open) {
        const data = PersonData.parse({ ticket: open.id, tag: ticketTag(open), about: open.topic, wardCode: open.wardCode });
        return { type: 'goto', step: PERSON_CHAT.step, data, say: arg === 'resume' ? [] : [openingSay(ctx, content, open, false)] };
      }
      // Someone who stopped every message could not receive the answers: /batlai first.
      if (ctx.person.hasOptedOut) return { type: 'done', say: [{ text: ctx.t('counsel.stopped'), choices: [choice(ctx.t('menu.button'), { type: 'menu' })] }] };
      const data = PersonData.parse({ about, wardCode: ctx.person.contact?.wardCode ?? null });
      // The ward is not known, and only wards' own counsellors could answer: ask it (nothing else about them).
      if (!data.wardCode && !(await ctx.person.counsel.route(null)) && (await ctx.person.counsel.askWard())) return { type: 'goto', step: 'ward', data };
      return openFor(ctx, data);
    },
    steps: {
      ward: wardStep<PersonData>({
        step: 'ward',
        ask: (ctx) => ctx.t('counsel.askWard'),
        pick: (ctx) => ctx.t('ward.pick'),
        chosen: (ctx, data, wardCode) => openFor(ctx, { ...data, wardCode }),
      }),
      [PERSON_CHAT.step]: {
        prompt: (ctx, data) =>
          ctx.caps.buttons
            ? { text: ctx.t('counsel.prompt', { tag: data.tag }), choices: [{ label: ctx.t('counsel.btn.end'), value: 'end' }] }
            : { text: ctx.t('counsel.prompt', { tag: data.tag, context: 'typed' }) },
        async handle(ctx, _data, input) {
          if (input.kind !== 'choice' || input.value !== 'end') return { type: 'retry', say: [] };
          const ended = await ctx.person.counsel.end();
          return { type: 'done', say: [ended ? endedSay(ctx, ended) : { text: ctx.t('counsel.gone') }] };
        },
      },
    },
  });
}

// ---- counsellors ----

const DeskData = z.object({
  ticket: z.number().int(),
  tag: z.string().default(''),
  targets: z.array(z.object({ id: z.number().int(), label: z.string() })).default([]),
});
type DeskData = z.infer<typeof DeskData>;

const whereOf = (ctx: FlowContext, v: Pick<TicketView, 'wardCode'>) =>
  v.wardCode ? (ctx.wards.get(v.wardCode)?.name ?? v.wardCode) : ctx.t('counsel.desk.noWard');
const headOf = (ctx: FlowContext, v: TicketView) => `${v.tag} · ${whereOf(ctx, v)} · ${ctx.t(`counsel.about.${v.about}`)}`;

function transcriptText(ctx: FlowContext, lines: readonly TranscriptLine[], last = 20): string {
  if (!lines.length) return ctx.t('counsel.desk.noLines');
  return lines
    .slice(-last)
    .map((l) =>
      ctx.t(l.sender === 'counsellor' ? 'counsel.desk.line.counsellor' : l.flagged ? 'counsel.desk.line.flagged' : 'counsel.desk.line.person', {
        time: `${formatTime(l.at)} ${formatDate(l.at)}`,
        text: l.text,
      }),
    )
    .join('\n');
}

/** A refusal or a ticket gone, in words. */
function refusedSay(ctx: FlowContext, r: Denied | CounselRefusal): OutboundMessage[] {
  if (isDenied(r)) return deniedSay(ctx.t, r);
  return [{ text: ctx.t(r === 'taken' ? 'counsel.desk.taken' : r === 'closed' ? 'counsel.desk.closed' : 'counsel.desk.notOwner') }];
}

/** /tuvan: the counsellor's conversations, and those waiting in their pools. */
async function deskList(ctx: FlowContext): Promise<OutboundMessage[]> {
  const list = await ctx.person.counsel.list();
  if (isDenied(list)) return deniedSay(ctx.t, list);
  if (!list.mine.length && !list.waiting.length) return [{ text: ctx.t('counsel.desk.empty') }];
  const flagged = (v: TicketView, label: string) => (v.flagged ? ctx.t('counsel.desk.flagged', { label }) : label);
  const choices: Choice[] = [
    ...list.mine.map((v) =>
      choice(flagged(v, ctx.t('counsel.desk.mine', { tag: v.tag, where: whereOf(ctx, v), waiting: v.waiting })), { type: 'counselReply', ticket: v.id }),
    ),
    ...list.waiting.map((v) =>
      choice(flagged(v, ctx.t('counsel.desk.waiting', { tag: v.tag, where: whereOf(ctx, v) })), { type: 'counselClaim', ticket: v.id }),
    ),
  ];
  return [{ text: ctx.t('counsel.desk.title', { mine: list.mine.length, waiting: list.waiting.length }), choices }];
}

async function transferTargets(ctx: FlowContext, id: number): Promise<DeskData['targets'] | Denied | CounselRefusal> {
  const targets = await ctx.person.counsel.transferTargets(id);
  if (!Array.isArray(targets)) return targets;
  return targets.map((x) => ({ id: x.contactId, label: x.name ?? ctx.t('counsel.desk.unnamed', { id: x.contactId }) }));
}

const deskFlow = defineFlow<DeskData>({
  id: COUNSELLOR_CHAT.flow,
  data: DeskData,
  /** `arg`: `c<id>` claims a waiting ticket, `r<id>` answers one's own, `t<id>` hands one on. */
  async start(ctx, arg) {
    const m = /^([crt])(\d{1,10})$/.exec(arg ?? '');
    if (!m) return { type: 'done', say: await deskList(ctx) };
    const id = Number(m[2]);
    if (m[1] === 't') {
      const seen = await ctx.person.counsel.transcript(id);
      if (isDenied(seen)) return { type: 'done', say: deniedSay(ctx.t, seen) };
      const targets = await transferTargets(ctx, id);
      if (!Array.isArray(targets)) return { type: 'done', say: refusedSay(ctx, targets) };
      return { type: 'goto', step: 'transfer', data: { ticket: id, tag: seen.ticket.tag, targets } };
    }
    const r = m[1] === 'c' ? await ctx.person.counsel.claim(id) : await ctx.person.counsel.focus(id);
    if (isDenied(r) || typeof r === 'string') return { type: 'done', say: refusedSay(ctx, r) };
    const text = ctx.t(m[1] === 'c' ? 'counsel.desk.claimed' : 'counsel.desk.focus', { head: headOf(ctx, r.ticket), lines: transcriptText(ctx, r.lines) });
    return { type: 'goto', step: COUNSELLOR_CHAT.step, data: { ticket: id, tag: r.ticket.tag, targets: [] }, say: [{ text }] };
  },
  steps: {
    [COUNSELLOR_CHAT.step]: {
      prompt: (ctx, data) => ({
        text: ctx.t('counsel.desk.prompt', { tag: data.tag }),
        ...(ctx.caps.buttons
          ? {
              choices: [
                { label: ctx.t('counsel.btn.end'), value: 'end' },
                { label: ctx.t('counsel.btn.transfer'), value: 'transfer' },
                { label: ctx.t('counsel.btn.others'), value: 'list' },
              ],
            }
          : {}),
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [] };
        if (input.value === 'list') return { type: 'done', say: await deskList(ctx) };
        if (input.value === 'end') {
          const r = await ctx.person.counsel.close(data.ticket);
          if (isDenied(r) || typeof r === 'string') return { type: 'done', say: refusedSay(ctx, r) };
          return { type: 'done', say: [{ text: ctx.t('counsel.desk.ended', { tag: data.tag }) }] };
        }
        if (input.value === 'transfer') {
          const targets = await transferTargets(ctx, data.ticket);
          if (!Array.isArray(targets)) return { type: 'done', say: refusedSay(ctx, targets) };
          return { type: 'goto', step: 'transfer', data: { ...data, targets } };
        }
        return { type: 'retry', say: [] };
      },
    },
    transfer: {
      prompt: (ctx, data) => ({
        text: data.targets.length
          ? ctx.t('counsel.desk.transferAsk', { tag: data.tag })
          : `${ctx.t('counsel.desk.transferNobody')}\n${ctx.t('counsel.desk.transferAsk', { tag: data.tag })}`,
        choices: [...data.targets.map((x) => ({ label: x.label, value: String(x.id) })), { label: ctx.t('counsel.btn.pool'), value: 'pool' }],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        const to = input.value === 'pool' ? 'pool' : data.targets.find((x) => String(x.id) === input.value);
        if (!to) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        const r = await ctx.person.counsel.transfer(data.ticket, to === 'pool' ? 'pool' : to.id);
        if (isDenied(r) || typeof r === 'string') return { type: 'done', say: refusedSay(ctx, r) };
        return {
          type: 'done',
          say: [
            { text: to === 'pool' ? ctx.t('counsel.desk.released', { tag: data.tag }) : ctx.t('counsel.desk.transferred', { tag: data.tag, to: to.label }) },
          ],
        };
      },
    },
  },
});

/** What the person typed in their conversation: relayed (and flagged on a danger sign), or the end. */
async function personTyped(turn: Turn, faq: FaqBundle, text: string): Promise<OutboundMessage[] | null> {
  if (isEnd(turn.t, text)) {
    const ended = await turn.person.counsel.end();
    turn.leave();
    return [ended ? endedSay(turn, ended) : { text: turn.t('counsel.gone') }];
  }
  const said = await turn.person.counsel.say(text, {
    flagged: faq.safety(text) !== null,
    readingOf: (topic) => {
      const entry = faq.entries.get(topic);
      return entry ? faqTitle({ locale: 'vi' }, entry) : null;
    },
  });
  // Closed meanwhile (by the counsellor, or left empty too long): the bot answers again.
  if (!said) {
    turn.leave();
    return null;
  }
  return said.first ? [{ text: turn.t('counsel.sent') }] : [];
}

/** What a counsellor typed while answering a ticket: relayed to its person, or the end. */
async function counsellorTyped(turn: Turn, text: string): Promise<OutboundMessage[] | null> {
  const id = await turn.person.counsel.answering(COUNSELLOR_CHAT.flow);
  if (id === null) {
    turn.leave();
    return null;
  }
  if (isEnd(turn.t, text)) {
    const r = await turn.person.counsel.close(id);
    turn.leave();
    if (isDenied(r) || typeof r === 'string') return refusedSay(turn, r);
    return [{ text: turn.t('counsel.desk.ended', { tag: r.tag }) }];
  }
  const r = await turn.person.counsel.reply(id, text);
  if (isDenied(r) || typeof r === 'string') {
    turn.leave();
    return refusedSay(turn, r);
  }
  return [{ text: turn.t('counsel.desk.sent', { tag: r.tag }) }];
}

export function counselModule(o: { faq: FaqBundle; content: CounselContent }): BotModule {
  const { faq, content } = o;
  return {
    id: 'counsel',
    flows: [personFlow(content), deskFlow],
    commands: {
      // /tuvan: a counsellor's conversations; anyone else is put through to a counsellor.
      counsel: {
        run: async (turn) => {
          if (await turn.person.counsel.answers()) {
            turn.leave();
            return deskList(turn);
          }
          return turn.start(PERSON_CHAT.flow);
        },
      },
    },
    textHooks: [
      {
        // Only someone in a conversation (a flow, so never the read-only path) is relayed.
        mayWrite: () => false,
        // A counsellor's answer may name a danger sign ("nếu co giật, gọi 115"): advice to relay, not a call for help.
        relays: (turn) => turn.currentFlow() === COUNSELLOR_CHAT.flow,
        async run(turn, text) {
          const flow = turn.currentFlow();
          if (flow === PERSON_CHAT.flow) return personTyped(turn, faq, text);
          if (flow === COUNSELLOR_CHAT.flow) return counsellorTyped(turn, text);
          return null;
        },
      },
    ],
    actions: {
      counsel: { run: (turn, a) => turn.start(PERSON_CHAT.flow, a.about ? `about:${a.about}` : undefined) },
      counselClaim: { run: (turn, a) => turn.start(COUNSELLOR_CHAT.flow, `c${a.ticket}`) },
      counselReply: { run: (turn, a) => turn.start(COUNSELLOR_CHAT.flow, `r${a.ticket}`) },
      counselTransfer: { run: (turn, a) => turn.start(COUNSELLOR_CHAT.flow, `t${a.ticket}`) },
      counselList: { run: async (turn) => deskList(turn) },
      counselEnd: {
        // Either side's "Kết thúc" under a relayed message.
        async run(turn, a) {
          const mine = await turn.person.counsel.current();
          if (mine?.id === a.ticket) {
            const ended = await turn.person.counsel.end();
            if (turn.currentFlow() === PERSON_CHAT.flow) turn.leave();
            return [ended ? endedSay(turn, ended) : { text: turn.t('counsel.gone') }];
          }
          if (!(await turn.person.counsel.answers())) return [{ text: turn.t('counsel.gone') }];
          const r = await turn.person.counsel.close(a.ticket);
          if (isDenied(r) || typeof r === 'string') return refusedSay(turn, r);
          if (turn.currentFlow() === COUNSELLOR_CHAT.flow && (await turn.person.counsel.answering(COUNSELLOR_CHAT.flow)) === a.ticket) turn.leave();
          return [{ text: turn.t('counsel.desk.ended', { tag: r.tag }) }];
        },
      },
      counselRate: {
        retiresPressed: true,
        run: async (turn, a) => [{ text: turn.t((await turn.person.counsel.rate(a.ticket, a.up)) === 'rated' ? 'counsel.rated' : 'counsel.gone') }],
      },
    },
  };
}
