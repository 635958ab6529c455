import { createInterface } from 'node:readline';
import type { Engine } from '../engine/engine.js';
import type { OutboundMessage } from '../engine/types.js';

/** Renders a reply as plain text with numbered choices (as on Zalo). */
export function renderPlain(message: OutboundMessage): string {
  const lines = [message.text];
  message.choices?.forEach((c, i) => lines.push(`  ${i + 1}. ${c.label}`));
  return lines.join('\n');
}

/**
 * The terminal channel: one local person, a line in, replies out. Piped input
 * is handled line by line in order, and the promise resolves at end of input.
 */
export async function runTerminal(
  engine: Engine,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; interactive: boolean; prompt: string },
): Promise<void> {
  const rl = createInterface({ input: io.input, terminal: false });
  const write = (s: string) => io.output.write(`${s}\n`);
  const ask = () => {
    if (io.interactive) io.output.write(io.prompt);
  };
  const identity = { channel: 'terminal' as const, userId: 'local', chatId: 'local' };
  ask();
  for await (const line of rl) {
    if (!io.interactive) write(`${io.prompt}${line}`);
    try {
      const replies = await engine.handle({ ...identity, kind: 'text', text: line });
      for (const reply of replies) write(`${renderPlain(reply)}\n`);
    } catch (err) {
      write(`(lỗi: ${(err as Error).message})`);
    }
    ask();
  }
}
