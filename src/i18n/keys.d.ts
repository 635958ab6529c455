import type vi from '../../content/locales/vi.json';

/**
 * The words' keys are typed from the Vietnamese locale: a key missing from
 * content/locales/vi.json fails the build (en.json is checked against vi.json
 * by a test).
 */
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof vi };
  }
}
