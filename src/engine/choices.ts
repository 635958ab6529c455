import { fold } from '../core/text.js';
import type { Choice } from '../core/messages.js';

const clean = (s: string) => fold(s.replace(/\p{Extended_Pictographic}/gu, ''));

export type TypedChoice = { choice: Choice } | { outOfRange: number } | null;

/**
 * What typed text means against the choices on screen: "2" or the words of a
 * label ("dong y" for "Đồng ý"). Channels without buttons number their choices.
 */
export function matchTypedChoice(text: string, choices: readonly Choice[]): TypedChoice {
  if (choices.length === 0) return null;
  const t = text.trim();
  if (/^\d{1,3}$/.test(t)) {
    const n = Number(t);
    const choice = choices[n - 1];
    return choice ? { choice } : { outOfRange: n };
  }
  const typed = clean(t);
  if (!typed) return null;
  const exact = labelTyped(t, choices);
  if (exact) return { choice: exact };
  // A unique label that starts with what was typed ("dong" for "Đồng ý"), at least 3 letters.
  if (typed.length >= 3) {
    const starts = choices.filter((c) => clean(c.label).startsWith(typed));
    if (starts.length === 1) return { choice: starts[0]! };
  }
  return null;
}

/** The choice on screen whose label is exactly what was typed (diacritics and case aside), if any. */
export function labelTyped(text: string, choices: readonly Choice[]): Choice | null {
  const typed = clean(text.trim());
  return (typed && choices.find((c) => clean(c.label) === typed)) || null;
}

/** Longest text worth reading against the choices on screen (a button's label is short). */
const LONGEST_LABEL = 64;

/** Whether typed text could name a choice at all: a number, or no longer than a label. */
export const mayBeChoice = (text: string): boolean => text.trim().length <= LONGEST_LABEL;
