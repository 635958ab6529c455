import type { i18n } from 'i18next';
import { translate } from '../i18n/index.js';
import type { RenderOutbox } from './types.js';

/** Renders an outbox payload with the app's i18next: text and button labels in the recipient's language. */
export function i18nRender(i18n: i18n): RenderOutbox {
  return (message, locale) => {
    const t = translate(i18n, locale);
    const { key, params, choices, photo } = message.payload;
    return {
      text: t(key, params ?? {}),
      ...(photo ? { photo } : {}),
      ...(choices?.length ? { choices: choices.map((c) => ({ label: t(c.key, c.params ?? {}), value: c.value })) } : {}),
    };
  };
}
