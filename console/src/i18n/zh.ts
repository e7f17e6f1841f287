/**
 * Simplified Chinese: every part of `locales/zh-CN/*.json`, merged and added to i18next on
 * import. The standalone console imports it only when the language is Chinese (its own
 * chunk); the KubeSphere extension imports it at once (KubeSphere holds every string).
 */
import i18n from './index';

type Part = { default: Record<string, string> };
const parts = import.meta.glob<Part>('./locales/zh-CN/*.json', { eager: true });

/** Every Simplified Chinese string, from all parts. */
export const zhCN: Record<string, string> = Object.assign({}, ...Object.values(parts).map((m) => m.default));

i18n.addResourceBundle('zh-CN', 'translation', zhCN, true, true);
