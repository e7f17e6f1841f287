/**
 * English and Simplified Chinese. Keys are the English text (so English needs no file for
 * them); `locales/zh-CN/*.json` (one file per part of the console, merged in `zh.ts`, loaded
 * when the language is Chinese) translate every key the sources use — a unit test checks
 * that. Names of the API's kinds have keys of their own (`kinds.<Kind>.plural` and
 * `.singular`), translated in `locales/en` and `locales/zh-CN`. The choice is remembered per
 * browser.
 */
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

type Part = { default: Record<string, string> };
const enParts = import.meta.glob<Part>('./locales/en/*.json', { eager: true });
const merge = (parts: Record<string, Part>): Record<string, string> =>
  Object.assign({}, ...Object.values(parts).map((m) => m.default));
/** The English strings whose keys are not the text itself. */
export const en: Record<string, string> = merge(enParts);

/** The languages the console speaks. */
export const LANGUAGES = [
  { code: 'en', label: 'English' },
  { code: 'zh-CN', label: '简体中文' },
] as const;

const LANG_KEY = 'ksflux.lang';

function initialLanguage(): string {
  const saved = typeof window !== 'undefined' ? window.localStorage.getItem(LANG_KEY) : null;
  if (saved) return saved;
  const nav = typeof navigator !== 'undefined' ? navigator.language : 'en';
  return nav.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  keySeparator: false,
  nsSeparator: false,
  interpolation: { escapeValue: false },
  returnEmptyString: false,
});

/** Loads the strings of language `code` when they are not loaded yet, then switches to it. */
export async function loadLanguage(code: string): Promise<void> {
  if (code.startsWith('zh') && !i18n.hasResourceBundle('zh-CN', 'translation')) await import('./zh');
  await i18n.changeLanguage(code);
}

/** Switches the language and remembers it. */
export function setLanguage(code: string): void {
  window.localStorage.setItem(LANG_KEY, code);
  document.documentElement.lang = code;
  void loadLanguage(code);
}

export default i18n;
