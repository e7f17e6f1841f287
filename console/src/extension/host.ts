/**
 * What the extension reads from the KubeSphere console it runs in: the language the user
 * chose (KubeSphere's `lang` cookie, which its core keeps equal to the user's setting, else
 * `globals.user.lang`) and the user's name.
 */
interface KubeSphereGlobals {
  user?: { username?: string; lang?: string };
}

function globalsOf(): KubeSphereGlobals {
  return ((window as unknown as { globals?: KubeSphereGlobals }).globals ?? {}) as KubeSphereGlobals;
}

function cookie(name: string): string | undefined {
  const hit = document.cookie.split(';').find((c) => c.trim().startsWith(`${name}=`));
  return hit ? decodeURIComponent(hit.trim().slice(name.length + 1)) : undefined;
}

/** KubeSphere's language code (`en`, `zh`, `tc`, `es`) mapped to the console's (`en`, `zh-CN`). */
export function consoleLanguage(ksLang: string | undefined): string {
  return ksLang === 'zh' ? 'zh-CN' : 'en';
}

/** The language KubeSphere shows, as a console language code. */
export function hostLanguage(): string {
  return consoleLanguage(cookie('lang') ?? globalsOf().user?.lang);
}

/** The KubeSphere user's name. */
export function hostUser(): string {
  return globalsOf().user?.username ?? '';
}
