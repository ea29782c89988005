/**
 * Language, dates and money for the web front ends. One message catalogue (messages.ts) holds every
 * sentence in Dutch, French and English; the language is the profile's, else the browser's first
 * supported one, else English. Dates are shown in the user's time zone (the profile's, else the
 * browser's), money with `Intl.NumberFormat` in the currency the server names.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { messages } from './messages';

export const LANGUAGES = ['nl', 'fr', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language's own name, for the language picker. */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = { nl: 'Nederlands', fr: 'Français', en: 'English' };

/** Belgian conventions for Dutch and French (the terms are Belgian); British English. */
const LOCALES: Readonly<Record<Language, string>> = { nl: 'nl-BE', fr: 'fr-BE', en: 'en-GB' };

type Catalogue = typeof messages;
export type MessageKey = keyof Catalogue;
type ArgsOf<K extends MessageKey> = Catalogue[K]['en'] extends (p: infer P) => string ? [params: P] : [];

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The first of the browser's preferred languages the portal speaks (`nl-BE` → `nl`), else English. */
export function browserLanguage(preferred: readonly string[] = navigator.languages): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export interface I18n {
  lang: Language;
  timeZone: string;
  /** A sentence from the catalogue, with its parameters when it takes some. */
  t<K extends MessageKey>(key: K, ...args: ArgsOf<K>): string;
  /** A sentence without parameters by a key made at run time (e.g. `error.<server code>`), or null. */
  lookup(key: string): string | null;
  /** Date and time in the user's zone, with the zone named: "30 nov. 2026 10:42 CET". */
  dateTime(ms: number): string;
  /** A calendar date in the user's zone. */
  date(ms: number): string;
  /** An amount of integer cents in a currency: "€ 4,99". */
  money(cents: number, currency: string): string;
  /** A list of words joined the way the language does: "unlock, lock and start". */
  list(items: readonly string[]): string;
}

export function makeI18n(lang: Language, timeZone: string = browserTimeZone()): I18n {
  const locale = LOCALES[lang];
  // dateStyle/timeStyle cannot be combined with timeZoneName: the fields are spelled out.
  const dateTimeFormat = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone, timeZoneName: 'short' });
  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone });
  const listFormat = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
  const moneyFormats = new Map<string, Intl.NumberFormat>();
  return {
    lang,
    timeZone,
    t(key, ...args) {
      const entry = messages[key][lang] as string | ((p: unknown) => string);
      return typeof entry === 'function' ? entry(args[0]) : entry;
    },
    lookup(key) {
      if (!Object.hasOwn(messages, key)) return null;
      const entry = (messages as Record<string, Record<Language, unknown>>)[key]![lang];
      return typeof entry === 'string' ? entry : null;
    },
    dateTime: (ms) => dateTimeFormat.format(ms),
    date: (ms) => dateFormat.format(ms),
    money(cents, currency) {
      let format = moneyFormats.get(currency);
      if (!format) {
        format = new Intl.NumberFormat(locale, { style: 'currency', currency });
        moneyFormats.set(currency, format);
      }
      return format.format(cents / 100);
    },
    list: (items) => listFormat.format(items),
  };
}

export const I18nContext = createContext<I18n>(makeI18n('en', 'UTC'));

/** The current language's helpers, for a component. */
export function useI18n(): I18n {
  return useContext(I18nContext);
}
