/**
 * The standalone console's theme: KubeSphere's light theme with a darker primary green, so
 * white text on primary buttons reads (4.5:1 and more; KubeSphere's #55bc8a gives 2.3:1).
 * Inside KubeSphere the host's theme applies.
 */
import { themeUtils } from '@kubed/components';

/** Primary buttons: background, then hover. */
export const PRIMARY = '#2e7d55';
const PRIMARY_HOVER = '#256846';

export const THEME_TYPE = 'ksflux';

const theme = themeUtils.createFromLight({
  type: THEME_TYPE,
  // Arrays are prepended to the light theme's: these five are the shades 0..4.
  palette: {
    colors: { green: ['#c4e6d4', '#a2d8bb', PRIMARY, PRIMARY_HOVER, '#3b747a'] },
    // Links: #0070f3 gives 4.1:1 on the page's background.
    link: '#0062d6',
  },
});

/** The themes to hand `KubedConfigProvider` (one array, so it is not re-applied on render). */
export const THEMES = [theme];
