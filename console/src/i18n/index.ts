/**
 * English and Simplified Chinese. Keys are the English text (so English needs no file of its
 * own); `locales/zh-CN/*.json` (one file per part of the console, merged) translate every key
 * the sources use — a unit test checks that. The choice is remembered per browser.
 */
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

const parts = import.meta.glob<{ default: Record<string, string> }>('./locales/zh-CN/*.json', { eager: true });
/** Every Simplified Chinese string, from all parts. */
export const zhCN: Record<string, string> = Object.assign({}, ...Object.values(parts).map((m) => m.default));

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
  resources: { en: { translation: {} }, 'zh-CN': { translation: zhCN } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  keySeparator: false,
  nsSeparator: false,
  interpolation: { escapeValue: false },
  returnEmptyString: false,
});

/** Switches the language and remembers it. */
export function setLanguage(code: string): void {
  window.localStorage.setItem(LANG_KEY, code);
  void i18n.changeLanguage(code);
  document.documentElement.lang = code;
}

export default i18n;
