import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { fold } from '../text/fold.js';

export const COMMANDS = ['start', 'help', 'menu', 'stop', 'resume', 'delete', 'appointments', 'language', 'staff', 'invite', 'broadcast', 'journeys', 'relatives', 'subscribe'] as const;
export type Command = (typeof COMMANDS)[number];

const CommandFile = z.object({
  commands: z.record(z.enum(COMMANDS), z.object({ slash: z.array(z.string()), words: z.array(z.string()) })),
});

export type Recognised = { command: Command } | { unknownCommand: string } | null;

/** Lowercase, trailing punctuation and extra spaces gone, diacritics kept. */
const plain = (s: string) =>
  s
    .normalize('NFC')
    .toLowerCase()
    .replace(/[!?.…,;:~]+$/u, '')
    .replace(/\s+/g, ' ')
    .trim();

const hasDiacritics = (s: string) => /[^\x00-\x7F]/.test(s);

/** Tone marks dropped, vowel marks kept: "huỷ" and "hủy" meet, "đúng" stays apart from "dừng". */
const toneless = (s: string) => s.normalize('NFD').replace(/[\u0300\u0301\u0303\u0309\u0323]/g, '').normalize('NFC');

/** Recognises a global command in either form: `/huy` (also `/huy@bot`) or the words "dừng", "hủy", "stop". */
export class CommandTable {
  private readonly slash = new Map<string, Command>();
  private readonly exact = new Map<string, Command>();
  private readonly folded = new Map<string, Command>();

  constructor(file = join(contentDir, 'commands.json')) {
    const parsed = CommandFile.parse(JSON.parse(readFileSync(file, 'utf8')));
    for (const [command, forms] of Object.entries(parsed.commands) as [Command, { slash: string[]; words: string[] }][]) {
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
