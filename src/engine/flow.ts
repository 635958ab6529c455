import type { TFunction } from 'i18next';
import type { z } from 'zod';
import type { CapsOf, ChannelCaps } from '../core/caps.js';
import type { ChannelName, OutboundMessage, PhotoRef } from '../core/messages.js';
import type { Person } from '../domain/person.js';
import type { Settings } from '../domain/port.js';
import type { WardDirectory } from '../domain/wards.js';

/** What a step receives: typed text, a choice (the step's own value), a shared phone number, or a photo (only where `acceptsPhoto`). */
export type FlowInput =
  | { kind: 'text'; text: string }
  | { kind: 'choice'; value: string }
  | { kind: 'contact'; phone: string }
  | { kind: 'photo'; photo: PhotoRef; caption?: string };

/** What a step decides. The engine adds the next step's prompt itself. */
export type StepOutcome<D> =
  /** Move on (or stay, with new data) and ask that step's question. */
  | { type: 'goto'; step: string; data: D; say?: OutboundMessage[] }
  /** Bad input: say why, ask the same question again; data unchanged. */
  | { type: 'retry'; say: OutboundMessage[] }
  /** The flow is over. */
  | { type: 'done'; say: OutboundMessage[] };

/** Everything a flow may use: words, time, the person's domain services, what the channel can do. Never SQL, never a platform. */
export interface FlowContext {
  t: TFunction;
  locale: string;
  now: Date;
  channel: ChannelName;
  /** What the person's channel can do (buttons, photos, limits). */
  caps: ChannelCaps;
  /** What any channel can do (a broadcast's audience is on several). */
  capsOf: CapsOf;
  person: Person;
  wards: WardDirectory;
  settings: Settings;
}

/**
 * One question of a flow. Steps always run under the person's lock (a flow's
 * state is being written), in one transaction: a step may write, and whatever
 * it writes is committed with the new state or not at all.
 */
export interface Step<D> {
  /** The step's question, with its choices (values local to the step). */
  prompt(ctx: FlowContext, data: D): OutboundMessage;
  handle(ctx: FlowContext, data: D, input: FlowInput): Promise<StepOutcome<D>>;
  /** Longest typed text this step accepts (default: the engine's MAX_TEXT). */
  maxText?: number;
  /** This step takes a photo (other steps answer a photo with the kind "text only" reply). */
  acceptsPhoto?: boolean;
}

/** A conversation flow: a small state machine whose data is zod-validated on every load. */
export interface Flow<D = unknown> {
  id: string;
  data: z.ZodType<D>;
  /** Runs under the lock too: a flow's start may write (e.g. redeem an invite code). */
  start(ctx: FlowContext, arg?: string): Promise<StepOutcome<D>>;
  steps: Record<string, Step<D>>;
}

/** Helper for typing a flow definition without losing its data type. */
export const defineFlow = <D>(flow: Flow<D>): Flow<D> => flow;
