/**
 * The locales handed to KubeSphere's i18next (its language codes: `en`, `zh`): the menu
 * titles and descriptions, which KubeSphere translates itself, plus every string of the
 * pages, so KubeSphere holds the whole extension's text.
 */
import { en } from '../i18n';
import { zhCN } from '../i18n/zh';

/** Menu titles and descriptions, in KubeSphere's upper-case key style. */
export const MENU_TEXT: Record<string, { en: string; zh: string }> = {
  FLUXCD_TITLE: { en: 'Flux GitOps', zh: 'Flux GitOps' },
  FLUXCD_DESC: {
    en: 'Flux sources, multi-cluster applications and automation across every cluster',
    zh: '跨所有集群的 Flux 源、多集群应用和自动化',
  },
  FLUXCD_CLUSTERS: { en: 'Flux Clusters', zh: 'Flux 集群' },
  FLUXCD_CLUSTERS_DESC: { en: 'Flux state of every cluster', zh: '每个集群的 Flux 状态' },
  FLUXCD_APPLICATIONS: { en: 'Flux Applications', zh: 'Flux 应用' },
  FLUXCD_SOURCES: { en: 'Flux Sources', zh: 'Flux 源' },
};

function pick(lang: 'en' | 'zh'): Record<string, string> {
  return Object.fromEntries(Object.entries(MENU_TEXT).map(([k, v]) => [k, v[lang]]));
}

export const locales = {
  en: { ...en, ...pick('en') },
  zh: { ...zhCN, ...pick('zh') },
};
