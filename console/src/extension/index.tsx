/**
 * The KubeSphere 4 extension: the module KubeSphere's console loads with SystemJS from
 * `/pstatic/dist/ksflux/index.js` (the JSBundle of `deploy/extension/ksflux`). Its default
 * export is KubeSphere's `ExtensionConfig`: routes, menus and locales.
 */
import '../i18n';
import { locales } from './locales';
import { menus, routes } from './routes';

export default { routes, menus, locales };
