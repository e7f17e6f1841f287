import { describe, expect, it } from 'vitest';
import { consoleLanguage, hostLanguage } from './host';

describe("KubeSphere's language", () => {
  it('maps KubeSphere codes to the console languages', () => {
    expect(consoleLanguage('zh')).toBe('zh-CN');
    expect(consoleLanguage('en')).toBe('en');
    // Languages the console does not speak fall back to English.
    expect(consoleLanguage('tc')).toBe('en');
    expect(consoleLanguage(undefined)).toBe('en');
  });

  it("follows KubeSphere's lang cookie before the user's setting", () => {
    (window as unknown as { globals: unknown }).globals = { user: { username: 'u', lang: 'en' } };
    document.cookie = 'lang=zh; path=/';
    expect(hostLanguage()).toBe('zh-CN');
    document.cookie = 'lang=; path=/; max-age=0';
    expect(hostLanguage()).toBe('en');
  });
});
