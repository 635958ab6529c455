import type { i18n } from 'i18next';
import { addressAsElder, VI_ELDER } from '../i18n/index.js';
import { type Action, decodeAction, encodeAction, type Stale } from '../core/actions.js';
import type { CapsOf } from '../core/caps.js';
import type { Clock } from '../core/clock.js';
import type { Choice, InboundEvent, OutboundMessage } from '../core/messages.js';
import type { Db, Queryable } from '../db/client.js';
import { findContactWithState, lockAndFindContact, lockContact, setBlocked } from '../domain/contacts.js';
import { NeedsLockError } from '../domain/person.js';
import type { PersonServices, Settings } from '../domain/port.js';
import type { WardDirectory } from '../domain/wards.js';
import type { SafetyCheck, SafetyVerdict } from '../faq/types.js';
import type { Logger } from '../log.js';
import { labelTyped, matchTypedChoice, mayBeChoice } from './choices.js';
import type { CommandTable } from './commands.js';
import { Conversation } from './conversation.js';
import type { Flow, FlowInput, StepOutcome } from './flow.js';
import type { ReadOnly, Turn } from './module.js';
import type { Registry } from './registry.js';

/** Longer than this is not a chat question; the person is asked to shorten it. */
export const MAX_TEXT = 1000;

export interface EngineDeps {
  db: Db;
  clock: Clock;
  i18n: i18n;
  safety: SafetyCheck;
  /** Works a message out ahead, off the event loop, before the safety check and the handlers ask about it. */
  prepare?: (text: string) => Promise<void>;
  wards: WardDirectory;
  registry: Registry;
  commands: CommandTable;
  capsOf: CapsOf;
  settings: Settings;
  services?: PersonServices;
  log: Logger;
}

export interface HandleOptions {
  /**
   * Called with the replies before the update's work commits, in its
   * transaction (the read-only path: on the database): the inbox marks the
   * event handled there, so it is handled once.
   */
  record?: (q: Queryable, replies: readonly OutboundMessage[]) => Promise<void>;
}

/** What an update is, worked out once before choosing how to run it. */
type Classified =
  | { kind: 'text'; text: string; command: { name: string; arg: string | undefined } | null; unknownCommand: string | null; verdict: SafetyVerdict | null; hookWrites: boolean }
  | { kind: 'choice'; action: Action | Stale }
  | { kind: 'other' };

const readOnly = <I>(flag: ReadOnly<I> | undefined, input: I): boolean => (typeof flag === 'function' ? flag(input) : flag === true);

/**
 * The conversation engine: one update in, replies out. It knows no platform,
 * no feature and no SQL beyond the state it loads: global commands first
 * ("dừng" works inside any flow), then the text hooks and the safety check,
 * then the active flow's step, else the FAQ. Modules (flows/) declare the
 * rest in a Registry.
 *
 * Each update runs once, in one of two ways decided before any handler runs:
 * a handler declared read-only, for a person with no flow in progress on a
 * channel with buttons, runs on the fast path (one prepared read, no
 * transaction); everything else runs in one transaction under the person's
 * advisory lock, so two quick taps cannot double-book.
 */
export class Engine {
  /** Read-only handlers that tried to write (a bug: each is logged as an error and redone under the lock). */
  slips = 0;

  constructor(private readonly deps: EngineDeps) {}

  /**
   * Handles one update. Never throws: a failure is logged and the person gets
   * a short apology in their language, never a stack trace.
   */
  async handle(event: InboundEvent, opts: HandleOptions = {}): Promise<OutboundMessage[]> {
    try {
      return await this.process(event, opts);
    } catch (err) {
      this.deps.log.error({ err, channel: event.channel, kind: event.kind }, 'update failed');
      return event.kind === 'blocked' || event.kind === 'unblocked' ? [] : [{ text: this.deps.i18n.t('errors.generic') }];
    }
  }

  private async process(event: InboundEvent, opts: HandleOptions): Promise<OutboundMessage[]> {
    const now = this.deps.clock.now();
    const classified = await this.classify(event);
    if (this.mayRunFast(event, classified)) {
      const found = await findContactWithState(this.deps.db, event.channel, event.userId);
      if (!found?.contact.blockedAt && !found?.state) {
        const convo = this.conversation(this.deps.db, event, found, now, true);
        try {
          const replies = inLocale(await this.route(convo, event, classified), convo.flowContext.locale);
          if (!convo.wantsWrite) {
            await opts.record?.(this.deps.db, replies);
            return replies;
          }
        } catch (err) {
          if (!(err instanceof NeedsLockError)) throw err;
        }
        this.slips++;
        this.deps.log.error({ event: 'engine.slip', channel: event.channel, kind: event.kind }, 'a handler declared read-only tried to write; redone under the lock');
      }
    }
    return this.deps.db.transaction(async (tx) => {
      if (event.kind === 'blocked' || event.kind === 'unblocked') {
        await lockContact(tx, event.channel, event.userId);
        await setBlocked(tx, event.channel, event.userId, event.kind === 'blocked' ? now : null);
        await opts.record?.(tx, []);
        return [];
      }
      const found = await lockAndFindContact(tx, event.channel, event.userId);
      if (found?.contact.blockedAt) {
        // Writing to us again means the person unblocked the bot.
        await setBlocked(tx, event.channel, event.userId, null);
      }
      const convo = this.conversation(tx, event, found, now);
      const replies = await this.route(convo, event, classified);
      // Channels without buttons number the choices outside a flow: remember them to read a typed number.
      if (!convo.caps.buttons && convo.state.flow === null) convo.setMenu(lastChoices(replies));
      await convo.persist();
      const said = inLocale(replies, convo.flowContext.locale);
      await opts.record?.(tx, said);
      return said;
    });
  }

  /** Reads what an update is: its text cleaned, the command or action it names, the safety verdict. */
  private async classify(event: InboundEvent): Promise<Classified> {
    if (event.kind === 'choice') return { kind: 'choice', action: decodeAction(event.value) };
    if (event.kind !== 'text') return { kind: 'other' };
    const text = event.text.normalize('NFC').trim();
    if (text && !text.startsWith('/')) await this.deps.prepare?.(text);
    const recognised = text ? (this.deps.commands.recognise(text) ?? this.everydayCommand(text)) : null;
    const command = recognised && 'command' in recognised ? { name: recognised.command, arg: commandArg(text) } : null;
    const unknownCommand = recognised && 'unknownCommand' in recognised ? recognised.unknownCommand : null;
    const plain = text && !recognised;
    return {
      kind: 'text',
      text,
      command,
      unknownCommand,
      verdict: plain ? this.deps.safety(text) : null,
      hookWrites: Boolean(plain && this.deps.registry.textHooks.some((h) => h.mayWrite(text))),
    };
  }

  /** A command said in everyday words (a module's recogniser), when it is one the modules answer. */
  private everydayCommand(text: string): { command: string } | null {
    if (text.startsWith('/')) return null;
    for (const recognise of this.deps.registry.recognisers) {
      const command = recognise(text);
      if (command && this.deps.registry.commands.has(command)) return { command };
    }
    return null;
  }

  /** Whether the handler this update reaches is declared read-only (given no flow in progress). */
  private mayRunFast(event: InboundEvent, c: Classified): boolean {
    if (!this.deps.capsOf(event.channel).buttons) return false;
    const r = this.deps.registry;
    if (c.kind === 'choice') {
      if (c.action.type === 'stale' || c.action.type === 'flow') return true; // "old button": words only
      const handler = r.actions.get(c.action.type);
      return !handler || readOnly(handler.readOnly, c.action);
    }
    if (c.kind !== 'text') return false;
    if (!c.text || c.text.length > MAX_TEXT || c.unknownCommand !== null) return true;
    if (c.command) return readOnly(r.commands.get(c.command.name)?.readOnly, c.command.arg);
    if (c.hookWrites || (c.verdict && c.verdict.kind !== 'alarm')) return false;
    return readOnly(r.question.readOnly, c.text);
  }

  private conversation(q: Queryable, event: InboundEvent, found: Awaited<ReturnType<typeof findContactWithState>>, now: Date, readOnlyPath = false) {
    return new Conversation({
      q,
      i18n: this.deps.i18n,
      channel: event.channel,
      caps: this.deps.capsOf(event.channel),
      capsOf: this.deps.capsOf,
      identity: { userId: event.userId, chatId: event.chatId, displayName: event.displayName },
      contact: found?.contact ?? null,
      row: found?.state ?? null,
      now,
      wards: this.deps.wards,
      settings: this.deps.settings,
      services: this.deps.services ?? {},
      readOnly: readOnlyPath,
    });
  }

  /** The context a module's handlers get for this update. */
  private turn(c: Conversation): Turn {
    let turn = this.turns.get(c);
    if (!turn) this.turns.set(c, (turn = this.makeTurn(c)));
    return turn;
  }

  /** Several steps of one update ask for its turn: made once per conversation. */
  private readonly turns = new WeakMap<Conversation, Turn>();

  private makeTurn(c: Conversation): Turn {
    return Object.assign(c.flowContext, {
      start: (flow: string, arg?: string) => this.startFlow(c, flow, arg),
      leave: () => c.leaveFlow(),
      currentFlow: () => c.state.flow,
      reprompt: () => this.reprompt(c),
      home: () => this.deps.registry.home(c.flowContext),
      stale: () => this.stale(c),
    });
  }

  private async route(c: Conversation, event: InboundEvent, classified: Classified): Promise<OutboundMessage[]> {
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
        return classified.kind === 'choice' ? this.choice(c, classified.action) : this.stale(c);
      case 'text':
        return classified.kind === 'text' ? this.text(c, classified) : [];
      default:
        return [];
    }
  }

  private async text(c: Conversation, m: Extract<Classified, { kind: 'text' }>): Promise<OutboundMessage[]> {
    const { text } = m;
    if (!text) return [{ text: c.t('errors.empty') }, ...this.reprompt(c)];
    // A step may accept longer text (the broadcast wizard's message: up to a channel's limit).
    const max = (c.state.flow ? this.activeFlow(c)?.step.maxText : undefined) ?? MAX_TEXT;
    if (text.length > max) return [{ text: c.t('errors.tooLong', { max }) }, ...this.reprompt(c)];

    if (m.command) {
      // A command's word that is also a label on screen ("English" when asked for a language) is that choice:
      // running the command again would ask the same question for ever.
      const onScreen = c.state.flow && !text.startsWith('/') ? labelTyped(text, this.currentPrompt(c)?.choices ?? []) : null;
      if (onScreen) return this.choice(c, decodeAction(onScreen.value));
      this.deps.log.info({ event: 'command', command: m.command.name, channel: c.channel }, 'command');
      return this.deps.registry.commands.get(m.command.name)!.run(this.turn(c), m.command.arg);
    }
    if (m.unknownCommand !== null) return [{ text: c.t('errors.unknownCommand', { command: m.unknownCommand }) }, ...this.reprompt(c)];

    const turn = this.turn(c);
    const before = c.state.flow;
    // A counsellor's answer that names a danger sign is advice for someone else, not a call for help.
    const verdict = m.verdict && !this.deps.registry.textHooks.some((h) => h.relays?.(turn)) ? m.verdict : null;
    const danger = verdict ? await this.deps.registry.safety(turn, verdict, text) : [];
    if (verdict) this.deps.log.warn({ event: 'safety', topic: verdict.topic, verdict: verdict.kind, channel: c.channel }, 'safety route');
    for (const hook of this.deps.registry.textHooks) {
      const said = await hook.run(turn, text);
      if (said) return [...danger, ...said];
    }
    // The person's place again after the safety answer (unless it started a question of its own).
    // Words meant to be relayed that no hook took are the writer's own after all: they get the answer.
    if (m.verdict) {
      const said = verdict ? danger : await this.deps.registry.safety(turn, m.verdict, text);
      return [...said, ...(c.state.flow === before ? this.reprompt(c) : [])];
    }

    if (c.state.flow) {
      const prompt = this.currentPrompt(c);
      const typed = matchTypedChoice(text, prompt?.choices ?? []);
      if (typed && 'outOfRange' in typed) return [{ text: c.t('errors.outOfRange', { n: typed.outOfRange, max: prompt!.choices!.length }) }, ...this.reprompt(c)];
      if (typed) return this.choice(c, decodeAction(typed.choice.value));
      return this.flowInput(c, { kind: 'text', text });
    }

    const menu = await this.choicesOnScreen(c, text);
    const typed = matchTypedChoice(text, menu);
    if (typed && 'outOfRange' in typed) {
      return [{ text: c.t('errors.outOfRange', { n: typed.outOfRange, max: menu.length }) }, { text: c.t('menu.again'), choices: menu }];
    }
    if (typed) return this.choice(c, decodeAction(typed.choice.value));
    return this.deps.registry.question.run(turn, text);
  }

  /**
   * The numbered choices a person without buttons answers outside a flow: the
   * last menu the bot showed in chat, unless a proactive message with choices
   * (an invitation's "Đăng ký") reached them since.
   */
  private async choicesOnScreen(c: Conversation, text: string): Promise<Choice[]> {
    // Only text short enough to be a label is read against them: a question costs no extra read.
    const sent = c.caps.buttons || !mayBeChoice(text) ? null : await c.promptSentSince();
    if (!sent) return c.state.menu ?? [];
    return sent.map((ch) => ({ label: String(c.t(ch.key as never, ch.params ?? {})), value: ch.value }));
  }

  /** A pressed button (or a typed number / label resolved to one). */
  private async choice(c: Conversation, action: Action | Stale): Promise<OutboundMessage[]> {
    if (action.type === 'stale') return this.stale(c);
    if (action.type === 'flow') {
      if (action.flow === c.state.flow && action.step === c.state.step) return this.flowInput(c, { kind: 'choice', value: action.value }, true);
      return this.stale(c);
    }
    const handler = this.deps.registry.actions.get(action.type);
    if (!handler) return this.stale(c);
    const replies = await handler.run(this.turn(c), action as never);
    return handler.retiresPressed ? marked(replies, 'retiresPressed') : replies;
  }

  private stale(c: Conversation): OutboundMessage[] {
    const again = this.reprompt(c);
    return [{ text: c.t('errors.staleButton') }, ...(again.length ? again : [this.deps.registry.home(c.flowContext)])];
  }

  private async startFlow(c: Conversation, id: string, arg?: string): Promise<OutboundMessage[]> {
    const flow = this.deps.registry.flows.get(id);
    if (!flow) throw new Error(`no flow "${id}"`);
    c.leaveFlow();
    return this.apply(c, flow, await flow.start(c.flowContext, arg));
  }

  /** `pressed`: the input is a button of the step's own message, which the replies may replace or retire. */
  private async flowInput(c: Conversation, input: FlowInput, pressed = false): Promise<OutboundMessage[]> {
    const active = this.activeFlow(c);
    if (!active) return this.stale(c);
    const { flow, data, step } = active;
    const stepId = c.state.step;
    const outcome = await step.handle(c.flowContext, data, input);
    const replies = this.apply(c, flow, outcome);
    if (!pressed || outcome.type === 'retry' || !replies.length) return replies;
    // The same question again with nothing said before it (a toggle, a page): in place of the pressed message.
    if (outcome.type === 'goto' && outcome.step === stepId && !outcome.say?.length) return marked(replies, 'replacesPressed');
    // The question was answered: its buttons go.
    return marked(replies, 'retiresPressed');
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
    const flow = this.deps.registry.flows.get(id);
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

  /** A step's own choice values, made into buttons that are valid only while the person is at that step. */
  private render(flow: string, step: string, message: OutboundMessage): OutboundMessage {
    if (!message.choices) return message;
    return { ...message, choices: message.choices.map((ch) => ({ ...ch, value: encodeAction({ type: 'flow', flow, step, value: ch.value }) })) };
  }
}

/** What follows a command's name: "/moi ABCD1234" → "ABCD1234". */
function commandArg(text: string): string | undefined {
  const rest = text.trim().startsWith('/') ? text.trim().replace(/^\S+\s*/, '') : '';
  return rest || undefined;
}

/** The replies with the first one marked to replace, or retire, the message whose button was pressed. */
function marked(replies: OutboundMessage[], how: 'replacesPressed' | 'retiresPressed'): OutboundMessage[] {
  return replies.length ? [{ ...replies[0]!, [how]: true }, ...replies.slice(1)] : replies;
}

function lastChoices(replies: OutboundMessage[]) {
  for (let i = replies.length - 1; i >= 0; i--) {
    const choices = replies[i]!.choices;
    if (choices?.length) return choices;
  }
  return null;
}

/** Tags replies with the language they were written in (the person's, after whatever this update changed). */
/** Each reply tagged with its language; in the elder voice, texts built without `t` (an FAQ answer, a name) say "bác" too. */
const inLocale = (replies: OutboundMessage[], locale: string): OutboundMessage[] =>
  replies.map((r) =>
    locale === VI_ELDER
      ? { ...r, text: addressAsElder(r.text), ...(r.choices ? { choices: r.choices.map((c) => ({ ...c, label: addressAsElder(c.label) })) } : {}), locale }
      : { ...r, locale },
  );
