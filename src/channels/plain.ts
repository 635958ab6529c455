import type { OutboundMessage } from '../core/messages.js';

/** Renders a reply as plain text with numbered choices (channels without buttons: the terminal, Zalo). */
export function renderPlain(message: OutboundMessage): string {
  const lines = [message.text];
  for (const [i, c] of (message.choices ?? []).entries()) lines.push(`  ${i + 1}. ${c.label}`);
  return lines.join('\n');
}

