import type { ActionType } from '../core/actions.js';
import type { Flow } from './flow.js';
import type { ActionHandler, BotModule, CommandHandler, QuestionHandler, TextHook, Turn } from './module.js';

/**
 * Everything the modules declare, looked up by the engine: flows by id,
 * commands by name, actions by type. Two modules claiming the same name is a
 * start-up error.
 */
export class Registry {
  readonly flows = new Map<string, Flow<unknown>>();
  readonly commands = new Map<string, CommandHandler>();
  readonly actions = new Map<ActionType, ActionHandler<ActionType>>();
  readonly textHooks: TextHook[] = [];
  readonly recognisers: ((text: string) => string | null)[] = [];
  readonly question: QuestionHandler;
  readonly safety: NonNullable<BotModule['safety']>;
  readonly home: NonNullable<BotModule['home']>;

  constructor(readonly modules: readonly BotModule[]) {
    const claim = <K, V>(map: Map<K, V>, key: K, value: V, what: string, module: string) => {
      if (map.has(key)) throw new Error(`${what} "${String(key)}" is declared twice (again by module ${module})`);
      map.set(key, value);
    };
    let question: QuestionHandler | undefined;
    let safety: BotModule['safety'];
    let home: BotModule['home'];
    for (const m of modules) {
      for (const f of m.flows ?? []) claim(this.flows, f.id, f as Flow<unknown>, 'flow', m.id);
      for (const [name, h] of Object.entries(m.commands ?? {})) claim(this.commands, name, h, 'command', m.id);
      for (const [type, h] of Object.entries(m.actions ?? {})) claim(this.actions, type as ActionType, h as ActionHandler<ActionType>, 'action', m.id);
      this.textHooks.push(...(m.textHooks ?? []));
      if (m.recognise) this.recognisers.push(m.recognise);
      if (m.question) question = single(question, m.question, 'question handler', m.id);
      if (m.safety) safety = single(safety, m.safety, 'safety answer', m.id);
      if (m.home) home = single(home, m.home, 'main menu', m.id);
    }
    if (!question || !safety || !home) throw new Error('modules must provide a question handler, a safety answer and a main menu');
    this.question = question;
    this.safety = safety;
    this.home = home;
  }

  /** Flow ids each module's actions and commands may start (checked by tests). */
  hasFlow(id: string): boolean {
    return this.flows.has(id);
  }
}

function single<T>(current: T | undefined, next: T, what: string, module: string): T {
  if (current) throw new Error(`a second ${what} (module ${module}): only one module may provide it`);
  return next;
}

export type { Turn };
