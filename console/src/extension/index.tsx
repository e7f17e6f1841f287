/**
 * The KubeSphere 4 extension: the module KubeSphere's console loads with SystemJS from
 * `/pstatic/dist/ksflux/index.js` (the JSBundle of `deploy/extension/ksflux`). Its default
 * export is KubeSphere's `ExtensionConfig`: routes, menus and locales. Requests go to
 * `/kapis/fluxcd.kubesphere.io/v1alpha1/...` on KubeSphere's origin, which ks-console passes to
 * ks-apiserver with the user's login token, and ks-apiserver's APIService to ksflux.
 */
import { setUnauthorizedHandler } from '../api/client';
import '../i18n';
import { locales } from './locales';
import { menus, routes } from './routes';

// A login that expired: KubeSphere's login page, back here afterwards.
setUnauthorizedHandler(() => {
  window.location.assign(`/login?referer=${encodeURIComponent(window.location.pathname)}`);
});

export default { routes, menus, locales };
