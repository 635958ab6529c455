import type { z } from 'zod';
import type { TFunction } from 'i18next';
import type { Person } from '../domain/person.js';
import type { WardDirectory } from '../domain/wards.js';
import type { ChannelName, OutboundMessage, PhotoRef } from './types.js';

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

/** Everything a flow may use: words, time, the person's domain services. Never SQL, never a platform. */
export interface FlowContext {
  t: TFunction;
  locale: string;
  now: Date;
  channel: ChannelName;
  person: Person;
  wards: WardDirectory;
}

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
  start(ctx: FlowContext, arg?: string): Promise<StepOutcome<D>>;
  steps: Record<string, Step<D>>;
}

/** Helper for typing a flow definition without losing its data type. */
export const defineFlow = <D>(flow: Flow<D>): Flow<D> => flow;

export type FlowRegistry = ReadonlyMap<string, Flow<unknown>>;

export function registry(flows: Flow<any>[]): FlowRegistry {
  return new Map(flows.map((f) => [f.id, f as Flow<unknown>]));
}
