import type { ChannelCaps } from '../../core/caps.js';
import type { OutboundMessage } from '../../core/messages.js';
import type { Translate } from '../../i18n/index.js';
import { renderPlain } from '../plain.js';
import type { ZaloApi } from './api.js';

/**
 * What the Zalo Bot Platform can do: no buttons (choices are numbered lines), no
 * edits, no share-phone button, photos by URL only, 2,000 characters a message
 * (sendPhoto's caption limit is not documented: assumed to be the text limit).
 */
export const ZALO_CAPS: ChannelCaps = {
  buttons: false,
  editable: false,
  textLimit: 2000,
  captionLimit: 2000,
  photo: 'url',
  phoneButton: false,
  maxButtons: 0,
};


/** The numbered-choice hint in a locale: "Trả lời 1, 2 hoặc 3". */
export function replyHint(t: Translate, count: number): string {
  if (count <= 1) return t('zalo.replyHintOne');
  if (count > 5) return t('zalo.replyHintRange', { max: count });
  const numbers = Array.from({ length: count }, (_, i) => String(i + 1));
  return t('zalo.replyHint', { list: numbers.slice(0, -1).join(', '), last: numbers.at(-1) });
}

/**
 * One engine reply as Zalo text: the terminal's numbered lines, then the hint.
 * Zalo has no share-phone button, so a phone request asks the person to type it.
 */
export function renderZalo(message: OutboundMessage, t: Translate): string {
  const lines = [renderPlain(message)];
  if (message.choices?.length) lines.push('', replyHint(t, message.choices.length));
  if (message.requestPhone) lines.push('', t('zalo.typePhone'));
  return lines.join('\n');
}

/**
 * Sends one engine reply. With a photo that has a URL (Zalo takes nothing
 * else): the text as its caption when it fits, else the photo then the text
 * in pieces; without one, the text alone.
 */
export async function sendZalo(
  api: Pick<ZaloApi, 'sendMessage' | 'sendPhoto'>,
  chatId: string,
  message: OutboundMessage,
  t: Translate,
): Promise<void> {
  const text = renderZalo(message, t);
  const url = message.photo?.url;
  if (url && text.length <= ZALO_CAPS.captionLimit) {
    await api.sendPhoto(chatId, url, text);
    return;
  }
  if (url) await api.sendPhoto(chatId, url);
  for (const piece of splitMessage(text)) await api.sendMessage(chatId, piece);
}

/**
 * Splits text into pieces of at most `limit` characters, cutting at the last
 * paragraph, line or sentence end in the second half of the allowance, else at
 * the last sentence end, else at the last space (a word boundary); a hard cut
 * only inside one enormous word, never inside a surrogate pair.
 */
export function splitMessage(text: string, limit = ZALO_CAPS.textLimit): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  const half = Math.floor(limit / 2);
  const sentence = /[.!?…]["'”’)»]*\s/g;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    const cut =
      lastBreak(window, /\n\s*\n/g, half) ??
      lastBreak(window, /\n/g, half) ??
      lastBreak(window, sentence, half) ??
      lastBreak(window, sentence, 1) ??
      lastBreak(window, /\s/g, 1) ??
      hardCut(rest, limit);
    const head = rest.slice(0, cut).trimEnd();
    if (head) parts.push(head);
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

/**
 * Where to cut after the last match in `window` (its length is limit + 1): after
 * a sentence mark, before whitespace. Null when no match leaves a head of
 * `min`..limit characters.
 */
function lastBreak(window: string, re: RegExp, min: number): number | null {
  const limit = window.length - 1;
  let best: number | null = null;
  for (const m of window.matchAll(re)) {
    const at = m.index + m[0].trimEnd().length;
    if (at >= min && at <= limit) best = at;
  }
  return best;
}

function hardCut(text: string, limit: number): number {
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

