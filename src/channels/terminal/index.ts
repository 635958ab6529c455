import { createInterface } from 'node:readline';
import type { ChannelCaps } from '../../core/caps.js';
import type { InboundHandler } from '../../core/messages.js';
import { translate } from '../../i18n/index.js';
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

export interface TerminalIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** A person at a keyboard (a prompt is shown); piped input is echoed after the prompt instead. */
  interactive: boolean;
}

/**
 * The terminal channel: one local person, a line in, replies out. Piped input
 * is handled line by line in order, and the promise resolves at end of input.
 */
export async function runTerminal(handle: InboundHandler, io: TerminalIo & { prompt: string }): Promise<void> {
  const rl = createInterface({ input: io.input, terminal: false });
  const write = (s: string) => io.output.write(`${s}\n`);
  const ask = () => {
    if (io.interactive) io.output.write(io.prompt);
  };
  const identity = { channel: 'terminal' as const, userId: 'local', chatId: 'local' };
  ask();
  for await (const line of rl) {
    if (!io.interactive) write(`${io.prompt}${line}`);
    const replies = await handle({ ...identity, kind: 'text', text: line });
    for (const reply of replies) write(`${renderPlain(reply)}\n`);
    ask();
  }
}

/** Enabled when the app is given a terminal (npm start with no platform configured). */
export function terminalChannel(io: TerminalIo | null): ChannelPlugin {
  return {
    name: 'terminal',
    caps: TERMINAL_CAPS,
    enabled: () => io !== null,
    create(deps) {
      let finish: () => void = () => {};
      let running: Promise<void> | null = null;
      const done = new Promise<void>((resolve) => (finish = resolve));
      return {
        name: 'terminal',
        caps: TERMINAL_CAPS,
        done,
        async start() {
          if (!io) return;
          const prompt = translate(deps.i18n, 'vi')('terminal.prompt');
          running = runTerminal(deps.handle, { ...io, prompt }).finally(finish);
        },
        async stop() {
          finish();
          await running?.catch(() => {});
        },
      };
    },
  };
}
