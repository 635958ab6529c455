import { fold, hasDiacritics } from '../core/text.js';
import { parseNameAndYear, type Relationship } from './bookings.js';

/**
 * A relative's name as people type it: "mẹ Lan 1954", "Bố tôi Nguyễn Văn
 * Nam, 1950", "me lan 1954", "my mother Lan 1954". The kinship words are not
 * part of the name ("mẹ Lan" is stored as "Lan", not "me Lan", and every
 * message then names Lan); they say the relationship, which is kept apart
 * and offered first. Typed with diacritics, a word counts only with its own
 * marks ("Chu Văn An" keeps his surname, "chú Ba" is an uncle); typed without
 * any, only words that are no common surname are taken ("ba" could be bố or
 * bà: taken off, the relationship left to ask).
 */
const KIN: readonly { words: readonly string[]; relationship: Relationship | null; plain?: readonly string[] }[] = [
  { words: ['bà nội', 'bà ngoại'], relationship: 'grandmother', plain: ['ba noi', 'ba ngoai'] },
  { words: ['ông nội', 'ông ngoại'], relationship: 'grandfather', plain: ['ong noi', 'ong ngoai'] },
  { words: ['mẹ', 'má', 'mạ'], relationship: 'mother', plain: ['me'] },
  { words: ['bố', 'cha', 'tía', 'ba'], relationship: 'father', plain: ['bo', 'cha'] },
  { words: ['bà'], relationship: 'grandmother' },
  { words: ['ông'], relationship: 'grandfather', plain: ['ong'] },
  { words: ['bác', 'cô', 'chú', 'dì', 'cậu', 'mợ', 'thím', 'dượng'], relationship: 'other' },
  { words: [], relationship: null, plain: ['ba'] },
];

const EN_KIN: readonly { words: readonly string[]; relationship: Relationship }[] = [
  { words: ['grandmother', 'grandma', 'granny'], relationship: 'grandmother' },
  { words: ['grandfather', 'grandpa', 'granddad', 'grandad'], relationship: 'grandfather' },
  { words: ['mother', 'mom', 'mum', 'mummy', 'mommy'], relationship: 'mother' },
  { words: ['father', 'dad', 'daddy'], relationship: 'father' },
  { words: ['aunt', 'auntie', 'uncle'], relationship: 'other' },
];

/** "của tôi", "tôi", "my" after (or before) the kinship word. */
const POSSESSIVE = /^(?:của\s+)?(?:tôi|tui|em|mình|con|cháu|tao)(?:\s+|$)/u;
const POSSESSIVE_PLAIN = /^(?:cua\s+)?(?:toi|tui|em|minh|con|chau)(?:\s+|$)/;

/** "lan" → "Lan", "nguyen thi lan" → "Nguyen Thi Lan"; a name typed with capitals stays as typed. */
function capitalised(name: string): string {
  if (name !== name.toLocaleLowerCase('vi')) return name;
  return name.replace(/(^|\s)(\p{L})/gu, (_, space: string, c: string) => space + c.toLocaleUpperCase('vi'));
}

/** The kinship words at the start of a name, and what is left. */
function takeKin(name: string): { relationship: Relationship | null; rest: string; word: string } | null {
  const lower = name.normalize('NFC').toLocaleLowerCase('vi');
  const marks = hasDiacritics(name);
  const en = /^(?:my\s+)?([a-z]+)\b\s*(.*)$/i.exec(name);
  if (en && !marks) {
    const k = EN_KIN.find((x) => x.words.includes(en[1]!.toLowerCase()));
    if (k && (en[2] || /^my\s/i.test(name))) return { relationship: k.relationship, rest: en[2]!.trim(), word: en[1]! };
  }
  const folded = fold(name);
  for (const k of KIN) {
    const forms = marks ? k.words : (k.plain ?? []);
    for (const w of forms) {
      const hay = marks ? lower : folded;
      if (hay === w || hay.startsWith(`${w} `)) {
        const rest = name.normalize('NFC').slice(w.length).trim();
        // Typed without marks, the word is named as it is written ("me" → "mẹ").
        const word = marks ? name.normalize('NFC').slice(0, w.length) : (k.words[k.plain!.indexOf(w)] ?? w);
        return { relationship: k.relationship, rest, word };
      }
    }
  }
  return null;
}

/**
 * A relative's name, birth year and, when the kinship words said it, the
 * relationship. Null when the name or the year is missing or implausible.
 */
export function parseRelative(typed: string, now: Date): { name: string; birthYear: number; relationship: Relationship | null } | null {
  const parsed = parseNameAndYear(typed, now);
  if (!parsed) return null;
  const kin = takeKin(parsed.name);
  if (!kin) return { name: capitalised(parsed.name), birthYear: parsed.birthYear, relationship: null };
  const rest = kin.rest
    .replace(hasDiacritics(kin.rest) ? POSSESSIVE : POSSESSIVE_PLAIN, '')
    .replace(/^[,:\s-]+/u, '')
    .trim();
  // Only the kinship word was typed ("Mẹ, 1952"): it is what the person calls them.
  const name = rest.length >= 2 ? capitalised(rest) : capitalised(kin.word);
  return { name, birthYear: parsed.birthYear, relationship: kin.relationship };
}
