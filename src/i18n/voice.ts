/**
 * How the bot addresses a person. Vietnamese has no neutral "you": the bot
 * says "bạn" to everyone, and "bác" to an elderly person writing for
 * themselves (they said so by subscribing to elderly checkups for themselves).
 * Stored as the contact's locale, so every message — in chat, reminders,
 * invitations — is rendered in that voice without each caller knowing.
 */
export const VI_ELDER = 'vi-bac';

/** "bạn" as another word's part: a friend, a partner, a classmate, "that person"; never the reader. */
const NOT_YOU_AFTER = '(?:bè|tình|đời|trai|gái|học|thân|ấy|cùng lớp)';
const NOT_YOU_BEFORE = '(?:kết|người|làm|những|một)';
const YOU = new RegExp(`(?<![\\p{L}\\p{M}])(?<!${NOT_YOU_BEFORE} )(b|B)ạn(?![\\p{L}\\p{M}])(?! ${NOT_YOU_AFTER}(?![\\p{L}\\p{M}]))`, 'gu');

/** A Vietnamese text addressing the reader as "bác" instead of "bạn". */
export function addressAsElder(text: string): string {
  return text.normalize('NFC').replace(YOU, (_m, b: string) => (b === 'B' ? 'Bác' : 'bác'));
}
