import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage } from '../i18n';
import { NativeSelect } from './Field';

/** Switches the console's language (remembered per browser). */
export function LanguageSelect() {
  const { t, i18n } = useTranslation();
  return (
    <NativeSelect
      aria-label={t('Language')}
      name="language"
      value={i18n.language}
      onChange={(e) => setLanguage(e.target.value)}
    >
      {LANGUAGES.map((l) => (
        // Each language's name in that language.
        <option key={l.code} value={l.code} lang={l.code}>
          {l.label}
        </option>
      ))}
    </NativeSelect>
  );
}
