import { createInterface } from 'node:readline';
import type { ChannelCaps } from '../../core/caps.js';
import { cleanText } from '../../core/text.js';
import type { Choice, InboundEvent, InboundHandler, OutboundMessage } from '../../core/messages.js';
import { DEFAULT_LOCALE, translate } from '../../i18n/index.js';
import type { RateLimits } from '../../outbox/rate-limit.js';
import type { RenderOutbox, Sender } from '../../outbox/types.js';
import type { ChannelPlugin } from '../plugin.js';
import { renderPlain } from '../plain.js';

/** The terminal: plain text with numbered choices, no photos, nothing to edit. */
export const TERMINAL_CAPS: ChannelCaps = {
  buttons: false,
  editable: false,
  textLimit: 4096,
  captionLimit: 4096,
  photo: 'none',
  phoneButton: false,
  maxButtons: 0,
};

/**
 * Reminders and broadcasts in the terminal: one local reader, so a few a
 * second at most, and one a second to the chat (as Telegram's per-chat rate),
 * which keeps a burst of reminders readable.
 */
export const TERMINAL_LIMITS: RateLimits = { perSecond: 5, perChatPerSecond: 1, burst: 1 };

export interface TerminalIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** A person at a keyboard (a prompt is shown); piped input is echoed after the prompt instead. */
  interactive: boolean;
}

const IDENTITY = { channel: 'terminal' as const, userId: 'local', chatId: 'local' };

/**
 * One terminal conversation: the replies to what is typed, and what the bot
 * says first (reminders, broadcasts, printed as they fall due). The chat owns
 * the output (logs go to stderr). The prompt is in the language of the last
 * reply. A number typed just after a reminder with choices picks one of its
 * choices, as a button under it would.
 */
export class TerminalChat {
  private locale: string = DEFAULT_LOCALE;
  /** The choices of the last message the bot sent first, while nothing else was said since. */
  private proactive: Choice[] | null = null;
  /** Between an input line and its replies, a reminder waits, so it does not fall between them. */
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly handle: InboundHandler,
    private readonly io: TerminalIo,
    /** The prompt ("Bạn: ") in a language. */
    private readonly prompt: (locale: string) => string,
  ) {}

  private write(s: string): void {
    this.io.output.write(`${s}\n`);
  }

  private ask(): void {
    if (this.io.interactive) this.io.output.write(this.prompt(this.locale));
  }

  private show(replies: readonly OutboundMessage[]): void {
    for (const reply of replies) this.write(`${renderPlain(reply)}\n`);
    const locale = replies.at(-1)?.locale;
    if (locale) this.locale = locale;
  }

  /** Sends one event and shows the replies. */
  private async turn(event: InboundEvent): Promise<void> {
    this.show(await this.handle(event));
  }

  /** The welcome, as /start gives it, before the first prompt. */
  async greet(): Promise<void> {
    await this.turn({ ...IDENTITY, kind: 'text', text: '/start' });
  }

  /** Reads lines until the end of input. */
  async run(opts: { greet?: boolean } = {}): Promise<void> {
    const rl = createInterface({ input: this.io.input, terminal: false });
    if (opts.greet) await this.greet();
    this.ask();
    for await (const line of rl) {
      if (!this.io.interactive) this.write(`${this.prompt(this.locale)}${line}`);
      const done = this.line(line);
      this.busy = done.catch(() => {});
      await done;
      this.ask();
    }
  }

  private async line(typed: string): Promise<void> {
    // As on every channel: no NUL or lone surrogate reaches the engine (Postgres refuses them in text).
    const line = cleanText(typed);
    const picked = this.pickProactive(line);
    this.proactive = null;
    await this.turn(picked ? { ...IDENTITY, kind: 'choice', value: picked.value } : { ...IDENTITY, kind: 'text', text: line });
  }

  private pickProactive(line: string): Choice | null {
    const m = /^\s*(\d{1,2})\s*$/.exec(line);
    return m && this.proactive ? (this.proactive[Number(m[1]) - 1] ?? null) : null;
  }

  /** A message the bot sends first (the outbox's), printed between turns, then the prompt again. */
  async say(message: OutboundMessage): Promise<void> {
    await this.busy;
    this.write(`\n${renderPlain(message)}\n`);
    this.proactive = message.choices?.length ? message.choices : null;
    this.ask();
  }
}

/** The outbox's sender for the terminal: each due row rendered in its recipient's language and printed. */
export function terminalSender(chat: () => TerminalChat | null, render: RenderOutbox): Sender {
  return {
    async send(message) {
      const c = chat();
      if (!c) return { kind: 'error', message: 'terminal: not running' };
      const rendered = render(message, message.locale);
      await c.say({ ...rendered, locale: message.locale });
      return { kind: 'ok' };
    },
  };
}

/**
 * The terminal channel: one local person, a line in, replies out. Piped input
 * is handled line by line in order, and the promise resolves at end of input.
 * (Kept for callers that drive it directly; the channel uses TerminalChat.)
 */
export async function runTerminal(handle: InboundHandler, io: TerminalIo & { prompt: string | ((locale: string) => string); greet?: boolean }): Promise<void> {
  const given = io.prompt;
  const prompt = typeof given === 'string' ? () => given : given;
  await new TerminalChat(handle, io, prompt).run({ greet: io.greet ?? false });
}

/**
 * Enabled when the app is given a terminal (npm start with no platform
 * configured). It greets first, as /start does, and is a channel like the
 * others: reminders and broadcasts that fall due while it runs are printed.
 */
export function terminalChannel(io: TerminalIo | null): ChannelPlugin {
  return {
    name: 'terminal',
    caps: TERMINAL_CAPS,
    enabled: () => io !== null,
    create(deps) {
      let finish: () => void = () => {};
      let running: Promise<void> | null = null;
      let chat: TerminalChat | null = null;
      const done = new Promise<void>((resolve) => (finish = resolve));
      const prompt = (locale: string) => translate(deps.i18n, locale)('terminal.prompt');
      return {
        name: 'terminal',
        caps: TERMINAL_CAPS,
        outbox: { sender: terminalSender(() => chat, deps.render), limits: TERMINAL_LIMITS },
        done,
        async start() {
          if (!io) return;
          chat = new TerminalChat(deps.handle, io, prompt);
          // The welcome is on screen before start() resolves; then lines are read until the end of input.
          await chat.greet();
          running = chat.run().finally(finish);
        },
        async stop() {
          finish();
          await running?.catch(() => {});
          chat = null;
        },
      };
    },
  };
}
