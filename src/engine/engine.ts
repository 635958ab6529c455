import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { i18n } from 'i18next';
import { z } from 'zod';
import type { Clock } from '../config/clock.js';
import { contentDir } from '../config/paths.js';
import type { Db, Queryable } from '../db/client.js';
import { findContactWithState, lockContact, setBlocked } from '../domain/contacts.js';
import { NeedsLockError } from '../domain/person.js';
import { isProgramme, type Programme } from '../domain/programmes.js';
import type { WardDirectory } from '../domain/wards.js';
import type { FaqEntry } from '../faq/schema.js';
import type { FaqMatcher, SafetyCheck } from '../faq/types.js';
import type { Logger } from '../log.js';
import { appointmentLine } from '../../flows/common.js';
import { journeyAction } from '../../flows/journey-actions.js';
import { hasPregnancyMessages, isLossMessage, journeyLine, journeysHub, lossSay } from '../../flows/journey-common.js';
import { formatDate } from '../domain/localtime.js';
import { flowValue, matchTypedChoice, parseFlowValue } from './choices.js';
import type { Command, CommandTable } from './commands.js';
import { Conversation } from './conversation.js';
import type { GapRecorder } from './gap-recorder.js';
import type { Flow, FlowInput, FlowRegistry, StepOutcome } from './flow.js';
import { type ChannelName, type Choice, type InboundEvent, type OutboundMessage } from './types.js';

/** Longer than this is not a chat question; the person is asked to shorten it. */
export const MAX_TEXT = 1000;

/** Channels without buttons show numbered choices, so the engine remembers them. */
const NUMBERED: Record<ChannelName, boolean> = { terminal: true, zalo: true, telegram: false };


export interface EngineDeps {
  db: Db;
  clock: Clock;
  i18n: i18n;
  matcher: FaqMatcher;
  safety: SafetyCheck;
  faq: ReadonlyMap<string, FaqEntry>;
  wards: WardDirectory;
  flows: FlowRegistry;
  commands: CommandTable;
  gaps: GapRecorder;
  log: Logger;
}

const MenuFile = z.object({
  programmes: z.record(z.string(), z.array(z.string())),
  journeys: z.record(z.string(), z.string()).default({}),
  /** More main-menu buttons after "Nhận nhắc lịch": a label key and an action. */
  more: z.array(z.object({ label: z.string(), value: z.string() })).default([]),
});

/**
 * The conversation engine: one update in, replies out, one transaction per
 * update under the person's advisory lock. Knows no platform and no SQL beyond
 * the state it loads; flows and domain services do the rest.
 */
export class Engine {
  private readonly programmeTopics: Record<string, string[]>;
  private readonly programmeJourneys: Record<string, string>;
  private readonly moreMenu: { label: string; value: string }[];

  constructor(private readonly deps: EngineDeps) {
    const menu = MenuFile.parse(JSON.parse(readFileSync(join(contentDir, 'menu.json'), 'utf8')));
    this.programmeTopics = menu.programmes;
    this.programmeJourneys = menu.journeys;
    this.moreMenu = menu.more;
  }

  /**
   * Handles one update. Never throws: a failure is logged and the person gets
   * a short apology in their language, never a stack trace.
   */
  async handle(event: InboundEvent): Promise<OutboundMessage[]> {
    try {
      return await this.process(event);
    } catch (err) {
      this.deps.log.error({ err, channel: event.channel, kind: event.kind }, 'update failed');
      return event.kind === 'blocked' || event.kind === 'unblocked' ? [] : [{ text: this.deps.i18n.t('errors.generic') }];
    }
  }

  private async process(event: InboundEvent): Promise<OutboundMessage[]> {
    const now = this.deps.clock.now();
    // Fast path: most updates are questions that change nothing. Read without
    // a transaction; if handling turns out to need a write, nothing was
    // written yet (Person refuses writes here), so it is done again under the
    // person's lock. Channels without buttons store their numbered choices,
    // so they always take the locked path.
    if (!NUMBERED[event.channel] && event.kind !== 'blocked' && event.kind !== 'unblocked') {
      const found = await findContactWithState(this.deps.db, event.channel, event.userId);
      if (!found?.contact.blockedAt && !found?.state) {
        const convo = this.conversation(this.deps.db, event, found, now, true);
        try {
          const replies = await this.route(convo, event);
          if (!convo.wantsWrite) return inLocale(replies, convo.flowContext.locale);
        } catch (err) {
          if (!(err instanceof NeedsLockError)) throw err;
        }
      }
    }
    return this.deps.db.transaction(async (tx) => {
      await lockContact(tx, event.channel, event.userId);
      if (event.kind === 'blocked' || event.kind === 'unblocked') {
        await setBlocked(tx, event.channel, event.userId, event.kind === 'blocked' ? now : null);
        return [];
      }
      const found = await findContactWithState(tx, event.channel, event.userId);
      if (found?.contact.blockedAt) {
        // Writing to us again means the person unblocked the bot.
        await setBlocked(tx, event.channel, event.userId, null);
      }
      const convo = this.conversation(tx, event, found, now);
      const replies = await this.route(convo, event);
      this.rememberMenu(convo, event, replies);
      await convo.persist();
      return inLocale(replies, convo.flowContext.locale);
    });
  }

  private conversation(q: Queryable, event: InboundEvent, found: Awaited<ReturnType<typeof findContactWithState>>, now: Date, readOnly = false) {
    return new Conversation(q, this.deps.i18n, event.channel, { userId: event.userId, chatId: event.chatId, displayName: event.displayName }, found?.contact ?? null, found?.state ?? null, now, this.deps.wards, readOnly);
  }

  /** Outside a flow, channels without buttons need the numbered choices remembered. */
  private rememberMenu(c: Conversation, event: InboundEvent, replies: OutboundMessage[]): void {
    if (NUMBERED[event.channel] && c.state.flow === null) c.setMenu(lastChoices(replies));
  }

  /** Marks a person blocked after the platform refused a message (403). */
  async markBlocked(channel: ChannelName, userId: string): Promise<void> {
    await setBlocked(this.deps.db, channel, userId, this.deps.clock.now());
  }

  private async route(c: Conversation, event: InboundEvent): Promise<OutboundMessage[]> {
    switch (event.kind) {
      case 'media':
        if (event.photo && c.state.flow && this.activeFlow(c)?.step.acceptsPhoto) {
          const caption = event.caption?.normalize('NFC').trim();
          return this.flowInput(c, { kind: 'photo', photo: event.photo, ...(caption ? { caption } : {}) });
        }
        return [{ text: c.t('errors.media') }, ...this.reprompt(c)];
      case 'contact':
        if (c.state.flow) return this.flowInput(c, { kind: 'contact', phone: event.phone });
        return [{ text: c.t('errors.unexpectedContact') }, ...this.reprompt(c)];
      case 'choice':
        return this.choice(c, event.value);
      case 'text':
        return this.text(c, event.text);
      default:
        return [];
    }
  }

  private async text(c: Conversation, raw: string): Promise<OutboundMessage[]> {
    const text = raw.normalize('NFC').trim();
    if (!text) return [{ text: c.t('errors.empty') }, ...this.reprompt(c)];
    // A step may accept longer text (the broadcast wizard's message: up to a channel's limit).
    const max = (c.state.flow ? this.activeFlow(c)?.step.maxText : undefined) ?? MAX_TEXT;
    if (text.length > max) return [{ text: c.t('errors.tooLong', { max }) }, ...this.reprompt(c)];

    const recognised = this.deps.commands.recognise(text);
    if (recognised && 'command' in recognised) return this.command(c, recognised.command, commandArg(text));
    if (recognised && 'unknownCommand' in recognised) {
      return [{ text: c.t('errors.unknownCommand', { command: recognised.unknownCommand }) }, ...this.reprompt(c)];
    }

    const danger = this.deps.safety(text)?.topic ?? null;
    // The loss path runs before anything else a flow or the FAQ would say, and beside a danger sign's answer.
    if (isLossMessage(text) && (await hasPregnancyMessages(c.flowContext))) {
      if (c.state.flow?.startsWith('journey-')) c.leaveFlow();
      const say = await lossSay(c.flowContext);
      return danger ? [this.faqAnswer(c, danger, false), ...say] : say;
    }
    if (danger) {
      this.deps.log.warn({ event: 'safety', topic: danger, channel: c.channel }, 'safety route');
      return [this.faqAnswer(c, danger, false), ...this.reprompt(c)];
    }

    if (c.state.flow) {
      const prompt = this.currentPrompt(c);
      const typed = matchTypedChoice(text, prompt?.choices ?? []);
      if (typed && 'outOfRange' in typed) return [{ text: c.t('errors.outOfRange', { n: typed.outOfRange, max: prompt!.choices!.length }) }, ...this.reprompt(c)];
      if (typed) return this.choice(c, typed.choice.value);
      return this.flowInput(c, { kind: 'text', text });
    }

    const typed = matchTypedChoice(text, c.state.menu ?? []);
    if (typed && 'outOfRange' in typed) {
      return [{ text: c.t('errors.outOfRange', { n: typed.outOfRange, max: c.state.menu!.length }) }, { text: c.t('menu.again'), choices: c.state.menu! }];
    }
    if (typed) return this.choice(c, typed.choice.value);
    return this.ask(c, text);
  }

  private async command(c: Conversation, command: Command, arg?: string): Promise<OutboundMessage[]> {
    this.deps.log.info({ event: 'command', command, channel: c.channel }, 'command');
    switch (command) {
      case 'start':
        c.leaveFlow();
        return [{ text: c.t('welcome.intro') }, this.mainMenu(c)];
      case 'menu':
        c.leaveFlow();
        return [this.mainMenu(c)];
      case 'help':
        return [{ text: c.t('help.text') }, ...this.reprompt(c)];
      case 'appointments':
        return [await this.appointments(c), ...this.reprompt(c)];
      case 'stop':
        return this.startFlow(c, 'stop');
      case 'resume':
        return this.startFlow(c, 'resume');
      case 'delete':
        return this.startFlow(c, 'delete');
      case 'language':
        return this.startFlow(c, 'language');
      case 'staff':
        return this.startFlow(c, 'staff');
      case 'invite':
        return this.startFlow(c, 'redeem', arg);
      case 'broadcast':
        return this.startFlow(c, 'broadcast');
      case 'journeys':
        c.leaveFlow();
        return [await journeysHub(c.flowContext)];
      case 'relatives':
        return this.startFlow(c, 'relatives');
      case 'subscribe':
        return this.startFlow(c, 'subscribe');
    }
  }

  /** A pressed button (or a typed number / label resolved to one). */
  private async choice(c: Conversation, value: string): Promise<OutboundMessage[]> {
    const fv = parseFlowValue(value);
    if (fv) {
      if (fv.flow === c.state.flow && fv.step === c.state.step) return this.flowInput(c, { kind: 'choice', value: fv.value });
      return this.stale(c);
    }
    if (value.startsWith('a:')) return this.action(c, value.slice(2).split(':'));
    return this.stale(c);
  }

  private stale(c: Conversation): OutboundMessage[] {
    const again = this.reprompt(c);
    return [{ text: c.t('errors.staleButton') }, ...(again.length ? again : [this.mainMenu(c)])];
  }

  private async action(c: Conversation, [name, arg, extra]: string[]): Promise<OutboundMessage[]> {
    const flowId = name ? ACTION_FLOWS[name] : undefined;
    if (flowId) return this.startFlow(c, flowId, arg);
    if (name?.startsWith('j')) {
      const said = await journeyAction(c.flowContext, name, arg, extra);
      if (said) return said;
    }
    switch (name) {
      case 'bky':
        return [{ text: c.t('reminders.thanks') }];
      case 'menu':
        c.leaveFlow();
        return [this.mainMenu(c)];
      case 'prog':
        if (!isProgramme(arg)) break;
        return [this.programmePage(c, arg)];
      case 'sub':
        if (arg !== undefined && !isProgramme(arg)) break;
        return this.startFlow(c, 'subscribe', arg);
      case 'ask':
        return [{ text: c.t('ask.prompt') }];
      case 'faq':
        if (!arg || !this.deps.faq.has(arg)) break;
        return [this.faqAnswer(c, arg, true)];
      case 'more': {
        const entry = arg ? this.deps.faq.get(arg) : undefined;
        if (!entry?.more) break;
        return [{ text: entry.more, choices: this.afterAnswer(c, entry, false) }];
      }
      case 'fb':
        if (!extra || !this.deps.faq.has(extra)) break;
        this.deps.log.info({ event: 'faq.feedback', topic: extra, useful: arg === 'up' }, 'faq feedback');
        if (arg === 'up') return [{ text: c.t('faq.thanks') }];
        this.deps.gaps.wrong(c.personKey, extra);
        return [{ text: c.t('faq.sorry'), choices: [{ label: c.t('faq.counsellor'), value: 'a:counsel' }, { label: c.t('menu.button'), value: 'a:menu' }] }];
      case 'counsel':
        return [{ text: c.t('counsellor.how'), choices: [{ label: c.t('menu.button'), value: 'a:menu' }] }];
    }
    return this.stale(c);
  }

  private async startFlow(c: Conversation, id: string, arg?: string): Promise<OutboundMessage[]> {
    const flow = this.deps.flows.get(id);
    if (!flow) throw new Error(`no flow "${id}"`);
    c.leaveFlow();
    return this.apply(c, flow, await flow.start(c.flowContext, arg));
  }

  private async flowInput(c: Conversation, input: FlowInput): Promise<OutboundMessage[]> {
    const active = this.activeFlow(c);
    if (!active) return this.stale(c);
    const { flow, data, step } = active;
    return this.apply(c, flow, await step.handle(c.flowContext, data, input));
  }

  private apply(c: Conversation, flow: Flow<unknown>, outcome: StepOutcome<unknown>): OutboundMessage[] {
    switch (outcome.type) {
      case 'goto': {
        const step = flow.steps[outcome.step];
        if (!step) throw new Error(`flow ${flow.id} has no step ${outcome.step}`);
        c.enterFlow(flow.id, outcome.step, flow.data.parse(outcome.data));
        return [...(outcome.say ?? []), this.render(flow.id, outcome.step, step.prompt(c.flowContext, outcome.data))];
      }
      case 'retry':
        c.enterFlow(c.state.flow ?? flow.id, c.state.step ?? '', c.state.data);
        return [...outcome.say, ...this.reprompt(c)];
      case 'done':
        c.leaveFlow();
        return outcome.say;
    }
  }

  /** The active flow with its data validated; a state that no longer fits its flow is dropped. */
  private activeFlow(c: Conversation) {
    const { flow: id, step: stepId, data } = c.state;
    if (!id || !stepId) return null;
    const flow = this.deps.flows.get(id);
    const step = flow?.steps[stepId];
    const parsed = flow?.data.safeParse(data);
    if (!flow || !step || !parsed?.success) {
      this.deps.log.warn({ event: 'flow.reset', flow: id, step: stepId }, 'dropped a state that no longer fits its flow');
      c.leaveFlow();
      return null;
    }
    return { flow, step, data: parsed.data };
  }

  private currentPrompt(c: Conversation): OutboundMessage | null {
    const active = this.activeFlow(c);
    if (!active) return null;
    return this.render(active.flow.id, c.state.step!, active.step.prompt(c.flowContext, active.data));
  }

  /** The current step's question again, so bad input never loses the person's place. */
  private reprompt(c: Conversation): OutboundMessage[] {
    const prompt = this.currentPrompt(c);
    return prompt ? [prompt] : [];
  }

  private render(flow: string, step: string, message: OutboundMessage): OutboundMessage {
    if (!message.choices) return message;
    return { ...message, choices: message.choices.map((ch) => ({ ...ch, value: flowValue(flow, step, ch.value) })) };
  }

  private mainMenu(c: Conversation): OutboundMessage {
    const choices: Choice[] = (['premarital', 'prenatal', 'newborn', 'elderly'] as const).map((p) => ({
      label: c.t(`programmes.${p}.label`),
      value: `a:prog:${p}`,
    }));
    choices.push({ label: c.t('menu.subscribe'), value: 'a:sub' });
    choices.push(...this.moreMenu.map((m) => ({ label: c.t(m.label), value: m.value })));
    choices.push({ label: c.t('menu.ask'), value: 'a:ask' });
    return { text: c.t('menu.title'), choices };
  }

  private programmePage(c: Conversation, p: Programme): OutboundMessage {
    const topics = (this.programmeTopics[p] ?? []).filter((id) => this.deps.faq.has(id));
    return {
      text: c.t(`programmes.${p}.about`),
      choices: [
        ...(this.programmeJourneys[p] ? [{ label: c.t(`programmes.${p}.journey`), value: `a:${this.programmeJourneys[p]}` }] : []),
        { label: c.t('programmes.subscribe'), value: `a:sub:${p}` },
        ...topics.map((id) => ({ label: this.title(c, this.deps.faq.get(id)!), value: `a:faq:${id}` })),
        { label: c.t('menu.button'), value: 'a:menu' },
      ],
    };
  }

  /** /lich: the person's and their dependents' upcoming appointments, each with a way to cancel it. */
  private async appointments(c: Conversation): Promise<OutboundMessage> {
    const subs = await c.person.subscriptions();
    const appts = await c.person.bookings.upcoming();
    const lines = appts.length
      ? [c.t('appointments.title'), ...appts.map((a) => `• ${appointmentLine(c.t, a)}`)]
      : [c.t('appointments.none')];
    if (subs.length) lines.push(c.t('appointments.subscribed', { list: subs.map((p) => c.t(`programmes.${p}.label`)).join(', ') }));
    const journeys = await c.person.journeys.current();
    if (journeys.length) lines.push(c.t('journeys.lich'), ...journeys.map((j) => `• ${journeyLine(c.t, j, c.now)}`));
    const choices = appts.map((a, i) => ({ label: c.t('appointments.cancel', { n: i + 1, date: formatDate(a.session.startsAt) }), value: `a:bkc:${a.bookingId}` }));
    choices.push(...journeys.map((j) => ({ label: c.t('journeys.hub.manage', { label: c.t(`journeys.kinds.${j.kind}`) }), value: `a:jm:${j.id}` })));
    return { text: lines.join('\n'), ...(choices.length ? { choices } : {}) };
  }

  /** Free text outside a flow: the FAQ, or an honest "I don't know" with a way to a person. */
  private ask(c: Conversation, question: string): OutboundMessage[] {
    const result = this.deps.matcher.match(question);
    this.deps.log.info({ event: 'faq', kind: result.kind, topic: result.topic, score: Number(result.score.toFixed(3)) }, 'faq');
    this.deps.log.debug({ event: 'faq.question', question }, 'faq question');
    switch (result.kind) {
      case 'answer':
        this.deps.gaps.answered(c.personKey, question, result.topic);
        return [this.faqAnswer(c, result.topic, true)];
      case 'safety':
        return [this.faqAnswer(c, result.topic, false)];
      case 'ambiguous': {
        const options = [result.topic, ...result.alternatives].filter((id) => this.deps.faq.has(id)).slice(0, 3);
        return [{
          text: c.t('faq.didYouMean'),
          choices: [
            ...options.map((id) => ({ label: this.title(c, this.deps.faq.get(id)!), value: `a:faq:${id}` })),
            { label: c.t('faq.neither'), value: 'a:counsel' },
          ],
        }];
      }
      case 'none':
        this.deps.gaps.unanswered(question);
        return [{
          text: c.t('faq.unknown'),
          choices: [{ label: c.t('faq.counsellor'), value: 'a:counsel' }, { label: c.t('menu.button'), value: 'a:menu' }],
        }];
    }
  }

  private title(c: Conversation, entry: FaqEntry): string {
    return c.person.locale === 'en' && entry.en ? entry.en.title : entry.title;
  }

  private faqAnswer(c: Conversation, topic: string, withFeedback: boolean): OutboundMessage {
    const entry = this.deps.faq.get(topic);
    if (!entry) return { text: c.t('faq.unknown') };
    const answer = c.person.locale === 'en' && entry.en ? entry.en.answer : entry.answer;
    const text = `${answer.trim()}\n\n${c.t('faq.source', { sources: entry.sources.join('; ') })}`;
    return { text, choices: this.afterAnswer(c, entry, withFeedback) };
  }

  private afterAnswer(c: Conversation, entry: FaqEntry, withFeedback: boolean): Choice[] {
    const choices: Choice[] = [];
    if (entry.more && withFeedback) choices.push({ label: c.t('faq.more'), value: `a:more:${entry.topic}` });
    for (const id of entry.related.slice(0, 3)) {
      const related = this.deps.faq.get(id);
      if (related) choices.push({ label: this.title(c, related), value: `a:faq:${id}` });
    }
    if (withFeedback) {
      choices.push({ label: c.t('faq.useful'), value: `a:fb:up:${entry.topic}` });
      choices.push({ label: c.t('faq.wrong'), value: `a:fb:down:${entry.topic}` });
    }
    choices.push({ label: c.t('faq.counsellor'), value: 'a:counsel' });
    return choices;
  }
}

/** Global actions that start a flow, with their argument: `a:book:<session>` from an invitation, `a:bkc:<booking>` from a reminder… */
const ACTION_FLOWS: Record<string, string> = {
  book: 'book',
  bkc: 'cancel-booking',
  stop: 'stop',
  staff: 'staff',
  snew: 'session-new',
  ses: 'session',
  roles: 'roles',
  bc: 'broadcast',
  bco: 'broadcast-op',
  jp: 'journey-pregnancy',
  jnb: 'journey-newborn',
  jpm: 'journey-premarital',
  rel: 'relatives',
};

/** What follows a command's name: "/moi ABCD1234" → "ABCD1234". */
function commandArg(text: string): string | undefined {
  const rest = text.trim().startsWith('/') ? text.trim().replace(/^\S+\s*/, '') : '';
  return rest || undefined;
}

function lastChoices(replies: OutboundMessage[]): Choice[] | null {
  for (let i = replies.length - 1; i >= 0; i--) {
    const choices = replies[i]!.choices;
    if (choices?.length) return choices;
  }
  return null;
}

/** Tags replies with the language they were written in (the person's, after whatever this update changed). */
const inLocale = (replies: OutboundMessage[], locale: string): OutboundMessage[] => replies.map((r) => ({ ...r, locale }));
