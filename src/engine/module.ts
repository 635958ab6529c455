import type { ActionOf, ActionType } from '../core/actions.js';
import type { OutboundMessage } from '../core/messages.js';
import type { SafetyVerdict } from '../faq/types.js';
import type { Flow, FlowContext } from './flow.js';

/**
 * One update's context for a module's handlers: everything a flow sees, and
 * the engine's own moves. Handlers converse; domain services (ctx.person) hold
 * the rules and the SQL.
 */
export interface Turn extends FlowContext {
  /** Starts a flow (leaving any other) and returns what it says first. */
  start(flow: string, arg?: string): Promise<OutboundMessage[]>;
  /** Leaves the current flow, if any. */
  leave(): void;
  /** The id of the flow the person is in, or null. */
  currentFlow(): string | null;
  /** The current step's question again (nothing outside a flow), so bad input never loses a place. */
  reprompt(): OutboundMessage[];
  /** The main menu (provided by the module with `home`). */
  home(): OutboundMessage;
  /** The reply to a button that means nothing any more: say so, and ask the current question again or show the menu. */
  stale(): OutboundMessage[];
}

/**
 * Whether a handler may run without the person's lock. Most updates are
 * questions that change nothing; those are answered with one read and no
 * transaction. A handler that may write (state, consent, bookings…) runs in
 * one transaction under the person's advisory lock, once: the engine decides
 * which before running it, so nothing is ever run twice. Default: it may write.
 * (Should a read-only handler try to write, the write is refused, the slip is
 * logged as an error and the update is redone under the lock.)
 */
export type ReadOnly<I> = boolean | ((input: I) => boolean);

export interface CommandHandler {
  run(turn: Turn, arg: string | undefined): Promise<OutboundMessage[]>;
  readOnly?: ReadOnly<string | undefined>;
}

export interface ActionHandler<T extends ActionType> {
  run(turn: Turn, action: ActionOf<T>): Promise<OutboundMessage[]>;
  readOnly?: ReadOnly<ActionOf<T>>;
  /**
   * The button answers its message once and for all (a rating, "Sẽ đến",
   * "Đã làm"): the pressed message's buttons go where the channel can edit,
   * so it cannot be pressed twice. Default: they stay (a menu).
   */
  retiresPressed?: boolean;
}

export type ActionHandlers = { [T in ActionType]?: ActionHandler<T> };

/**
 * Looks at every typed message before a flow or the FAQ does (after the global
 * commands): a pregnancy loss, later a counsellor's open conversation. Its reply
 * comes after the safety answer when the message also carried a danger sign.
 */
export interface TextHook {
  /** Cheap and synchronous: whether this text may make the hook write (so the engine takes the lock). */
  mayWrite(text: string): boolean;
  run(turn: Turn, text: string): Promise<OutboundMessage[] | null>;
  /**
   * Cheap and synchronous: what this person types now are words for someone
   * else (a counsellor answering a person), so a danger sign in them gets no
   * safety answer to the writer; the hook still runs. Default: no.
   */
  relays?(turn: Turn): boolean;
}

/** Free text outside any flow that nothing else claimed: the FAQ's question handler. */
export interface QuestionHandler {
  run(turn: Turn, text: string): Promise<OutboundMessage[]>;
  readOnly?: ReadOnly<string>;
}

/**
 * A feature as the engine sees it: the flows it runs, the global commands and
 * button actions it answers, and hooks. Its commands' slash and word forms
 * live in content/commands.json under the same names. The engine looks all
 * of this up in a registry and imports no feature.
 */
export interface BotModule {
  id: string;
  // biome-ignore lint/suspicious/noExplicitAny: each flow has its own data type; the engine validates it with the flow's schema
  flows?: readonly Flow<any>[];
  commands?: Readonly<Record<string, CommandHandler>>;
  actions?: ActionHandlers;
  textHooks?: readonly TextHook[];
  question?: QuestionHandler;
  /** The answer to a danger sign (the FAQ's safety entries), or the question whether it is happening now. */
  safety?: (turn: Turn, verdict: SafetyVerdict, text: string) => Promise<OutboundMessage[]>;
  /**
   * Everyday words for a command beyond its word forms in content/commands.json
   * ("thôi, dừng lại đi" is stop): the command, or null. Tried on every message
   * the command table does not know, inside flows too.
   */
  recognise?: (text: string) => string | null;
  /** The main menu. */
  home?: (turn: FlowContext) => OutboundMessage;
}
