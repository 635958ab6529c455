import { z } from 'zod';
import { loadContent } from '../core/content.js';
import { fold, hasDiacritics, toneless } from '../core/text.js';

const CommandFile = z.object({
  about: z.string().optional(),
  commands: z.record(z.string(), z.object({ slash: z.array(z.string()), words: z.array(z.string()) })),
});

export type Recognised = { command: string } | { unknownCommand: string } | null;

/** Lowercase, trailing punctuation and extra spaces gone, diacritics kept. */
const plain = (s: string) =>
  s
    .normalize('NFC')
    .toLowerCase()
    .replace(/[!?.…,;:~]+$/u, '')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * Recognises a global command in either form: `/huy` (also `/huy@bot`) or the
 * words "dừng", "hủy", "stop" (content/commands.json, editable by staff).
 * Built for the commands the modules answer: a command in content that no
 * module answers, or one a module answers with no words in content, is a
 * start-up error, not a silent gap.
 */
export class CommandTable {
  private readonly slash = new Map<string, string>();
  private readonly exact = new Map<string, string>();
  private readonly folded = new Map<string, string>();

  constructor(file: string, known: ReadonlySet<string>) {
    const parsed = loadContent(file, CommandFile);
    const inContent = new Set(Object.keys(parsed.commands));
    const unknown = [...inContent].filter((c) => !known.has(c));
    const missing = [...known].filter((c) => !inContent.has(c));
    if (unknown.length) throw new Error(`${file}: no module answers the command(s) ${unknown.join(', ')}`);
    if (missing.length) throw new Error(`${file}: the command(s) ${missing.join(', ')} have no slash or word forms here`);
    for (const [command, forms] of Object.entries(parsed.commands)) {
      for (const s of forms.slash) this.slash.set(s.toLowerCase(), command);
      for (const w of forms.words) {
        this.exact.set(toneless(plain(w)), command);
        this.folded.set(fold(w), command);
      }
    }
  }

  recognise(text: string): Recognised {
    const t = text.trim();
    if (t.startsWith('/')) {
      const name = (t.slice(1).split(/[\s@]/, 1)[0] ?? '').toLowerCase();
      const command = this.slash.get(name);
      return command ? { command } : { unknownCommand: name };
    }
    if (t.length > 40) return null;
    const p = plain(t);
    // "đúng" folds to "dung" like "dừng": with diacritics typed, only the exact form counts.
    const command = hasDiacritics(p) ? this.exact.get(toneless(p)) : this.folded.get(fold(p));
    return command ? { command } : null;
  }
}
