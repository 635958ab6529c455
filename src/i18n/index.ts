import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import i18next, { type ParseKeys, type TFunction, type i18n } from 'i18next';
import { z } from 'zod';
import { contentDir } from '../config/paths.js';
import { loadContent } from '../core/content.js';
import { fold } from '../core/text.js';
import { addressAsElder, VI_ELDER } from './voice.js';

export { addressAsElder, VI_ELDER } from './voice.js';

export const LOCALES = ['vi', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'vi';

export const isLocale = (v: unknown): v is Locale => LOCALES.includes(v as Locale);

type Tree = { [key: string]: string | string[] | Tree };
const TreeSchema: z.ZodType<Tree> = z.lazy(() =>
  z.record(z.string(), z.union([z.string(), z.array(z.string()), TreeSchema])),
);

/** Loads content/locales/<lng>.json (zod-checked) into one i18next instance. */
export function createI18n(dir: string = join(contentDir, 'locales')): i18n {
  const resources: Record<string, { translation: Tree }> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const lng = file.replace(/\.json$/, '');
    resources[lng] = { translation: loadContent(join(dir, file), TreeSchema) };
  }
  const instance = i18next.createInstance();
  void instance.init({
    resources,
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    interpolation: { escapeValue: false },
    returnNull: false,
    initAsync: false,
  });
  // "{{who, kin}}": a relative named with the kinship word of their `rel` ("mẹ Lan", "your mother Lan").
  instance.services.formatter?.add('kin', (value, lng, options) => kinName(instance, value, lng, options?.rel));
  return instance;
}

/**
 * A relative's name with the word for who they are to the reader, from
 * `kin.<rel>` ("mẹ {{name}}"); the name alone when the relationship is
 * unknown or "other", or when the name already starts with that word
 * (a name saved as "Mẹ Hoa").
 */
function kinName(instance: i18n, name: unknown, lng: string | undefined, rel: unknown): string {
  if (typeof name !== 'string') return String(name ?? '');
  if (typeof rel !== 'string' || !name) return name;
  const t = translate(instance, lng ?? DEFAULT_LOCALE);
  const key = `kin.${rel}`;
  const word = t(key, { name: '', defaultValue: '' }).trim();
  if (!word || fold(name).startsWith(`${fold(word)} `)) return name;
  return t(key, { name, defaultValue: name });
}

const fixed = new WeakMap<i18n, Map<string, TFunction>>();

/**
 * The `t` of one locale, made once per instance (getFixedT is not free on the
 * hot path). VI_ELDER (voice.ts) is Vietnamese addressing the reader as "bác".
 */
export function translator(i18n: i18n, locale: string): TFunction {
  const lng = isLocale(locale) || locale === VI_ELDER ? locale : DEFAULT_LOCALE;
  let byLocale = fixed.get(i18n);
  if (!byLocale) fixed.set(i18n, (byLocale = new Map()));
  let t = byLocale.get(lng);
  if (!t) {
    const elder = lng === VI_ELDER;
    const call = i18n.getFixedT(elder ? 'vi' : lng) as unknown as (...a: unknown[]) => unknown;
    const render = (key: unknown, rest: unknown[]) => {
      const out = call(key, ...rest.map(inertValues));
      return elder && typeof out === 'string' ? addressAsElder(out) : out;
    };
    // The resources never change: a key with the same plain values always reads the same, so
    // the texts of the latest calls are kept (i18next's own path costs tens of µs a call).
    const texts = new Map<string, unknown>();
    t = ((key: unknown, ...rest: unknown[]) => {
      const memo = typeof key === 'string' ? memoKey(key, rest) : null;
      if (memo === null) return render(key, rest);
      let out = texts.get(memo);
      if (out === undefined) {
        if (texts.size >= MEMO_SIZE) texts.clear();
        texts.set(memo, (out = render(key, rest)));
      }
      return out;
    }) as unknown as TFunction;
    byLocale.set(lng, t);
  }
  return t;
}

const MEMO_SIZE = 2_000;

/** The call as a string when its options are one flat object of plain values (else null: not kept). */
function memoKey(key: string, rest: unknown[]): string | null {
  if (rest.length === 0) return key;
  const o = rest[0];
  if (rest.length > 1 || !o || typeof o !== 'object' || Array.isArray(o)) return null;
  let k = key;
  for (const name in o) {
    const v = (o as Record<string, unknown>)[name];
    if ((v !== null && typeof v === 'object') || typeof v === 'function') return null;
    k += `\u0001${name}\u0002${String(v)}`;
  }
  return k;
}

/**
 * A value is text to show, never i18next syntax. "{{…}}" in a value is left
 * alone by i18next already; a whole "$t(…)" in one (a session note, a name, a
 * broadcast) would not be expanded either, but i18next then stops expanding
 * the template's own $t(…), and the person reads "$t(weekdays.4)". A word
 * joiner (invisible) between "$" and "t(" keeps the value's text as typed.
 */
export const inert = (value: string): string => value.replace(/\$t\(/g, '$\u2060t(');

function inertValues(params: unknown): unknown {
  if (!params || typeof params !== 'object' || Array.isArray(params)) return params;
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' && v.includes('$t(')) (out ??= { ...(params as Record<string, unknown>) })[k] = inert(v);
  }
  return out ?? params;
}

/** A key of content/locales (typed from vi.json: a missing key fails the build). */
export type Key = ParseKeys;

/** A plain translate function, for code that passes keys and values it builds at run time (a channel's own words). */
export type Translate = (key: string, params?: Record<string, unknown>) => string;

/**
 * `translator` for keys that are data, not code: an outbox row's key (written
 * by code, stored in Postgres), a menu label from content/menu.json (checked at
 * load), a channel's own words. Keys in code use the typed `t`.
 */
export function translate(i18n: i18n, locale: string): Translate {
  const t = translator(i18n, locale);
  return (key, params) => String(t(key as ParseKeys, params ?? {}));
}

/** Whether a key exists in the default language (for keys held in content files). */
export const hasKey = (i18n: i18n, key: string): boolean => i18n.exists(key, { lng: DEFAULT_LOCALE });
