// FIXTURE — stands in for the ks-console *server* (KubeSphere's Koa backend, not published on
// npm) in front of the real KubeSphere 4.1.1 console frontend (`console/kshost`, built from
// the npm packages @ks-console/core, console, shared, appstore, locales and the @kubed kit).
// What it does, as the ks-console server does (read from the public kubesphere/console
// sources, not copied):
//
// - renders the page: the `globals` (client config, the user with their global rules, the
//   workspaces and clusters, ksConfig, the installed extensions from the JSBundles and
//   ExtensionEntries) and the SystemJS import map of the modules shared with extensions
//   (`react` -> `core:react`, ...), then the console's script, whose `run()` starts KubeSphere;
// - serves the console's locale files (`dist/locales-<lang>.json`, merged from
//   @ks-console/locales as KubeSphere's build does);
// - forwards `/kapis`, `/apis`, `/api` and `/pstatic/dist/*` (as `/dist/*`) to ks-apiserver
//   (here the fixture `ks-apiserver.mjs`) with `Authorization: Bearer <token cookie>`;
// - sends a visitor without a token cookie to `/login`;
// - answers KubeSphere's own images (`/assets/*.svg`, not on npm) with a neutral picture.
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { consoleConfig } from './console-config.mjs';

/** ks-console's import map: the modules KubeSphere shares with extensions. */
export const SYSTEM_IMPORTS = {
  '@ks-console/shared': 'core:@kubed/@ks-console/shared',
  '@kubed/charts': 'core:@kubed/charts',
  '@kubed/code-editor': 'core:@kubed/code-editor',
  '@kubed/components': 'core:@kubed/components',
  '@kubed/hooks': 'core:@kubed/hooks',
  '@kubed/icons': 'core:@kubed/icons',
  react: 'core:react',
  'react-dom': 'core:react-dom',
  'react-query': 'core:react-query',
  'react-router-dom': 'core:react-router-dom',
  'styled-components': 'core:styled-components',
  'wujie-react': 'core:wujie-react',
};

const PLACEHOLDER_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40" width="40" height="40"><rect width="40" height="40" rx="6" fill="#d8dee5"/></svg>';

const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };

/** KubeSphere's locale files: every JSON of @ks-console/locales' `dist/<lang>/`, merged. */
function localeFiles(localesDir) {
  const out = {};
  for (const lang of readdirSync(localesDir)) {
    const dir = join(localesDir, lang);
    if (!statSync(dir).isDirectory()) continue;
    const merged = {};
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.json')) Object.assign(merged, JSON.parse(readFileSync(join(dir, f), 'utf8')));
    }
    out[lang] = JSON.stringify(merged);
  }
  return out;
}

function cookieOf(req, name) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** The user name in a KubeSphere token (a JWT: the console's server decodes, never verifies). */
function usernameOf(token) {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).username;
  } catch {
    return undefined;
  }
}

/**
 * Starts the fixture. `apiserver`: the ks-apiserver's URL; `hostDist`: the built console
 * (`console/kshost/dist`); `localesDir`: @ks-console/locales' `dist`.
 */
export async function startKsConsole({ apiserver, hostDist, localesDir }) {
  const locales = localeFiles(localesDir);
  const manifest = Object.fromEntries(Object.keys(locales).map((l) => [`locales-${l}`, `locales-${l}.json`]));

  /** A GET to ks-apiserver as the token's user; the parsed JSON, or undefined on failure. */
  const gateway = (path, token) =>
    new Promise((resolve) => {
      const up = new URL(path, apiserver);
      const req = httpRequest(
        { host: up.hostname, port: up.port, path: up.pathname + up.search, headers: token ? { authorization: `Bearer ${token}` } : {} },
        (res) => {
          let s = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (s += c));
          res.on('end', () => {
            try {
              resolve(res.statusCode < 400 ? JSON.parse(s) : undefined);
            } catch {
              resolve(undefined);
            }
          });
        },
      );
      req.on('error', () => resolve(undefined));
      req.end();
    });

  /** `globals` of the page, gathered from ks-apiserver as the ks-console server does. */
  const pageGlobals = async (token) => {
    const config = consoleConfig();
    if (!token) return { config, manifest, ksConfig: {}, installedExtensions: [] };
    const username = usernameOf(token);
    const [userObj, templates, workspaces, clusters, configz, version, extensions, bundles, entries] = await Promise.all([
      gateway(`/kapis/iam.kubesphere.io/v1beta1/users/${username}`, token),
      gateway(`/kapis/iam.kubesphere.io/v1beta1/users/${username}/roletemplates?scope=global`, token),
      gateway('/kapis/tenant.kubesphere.io/v1beta1/workspacetemplates?limit=10', token),
      gateway('/kapis/tenant.kubesphere.io/v1beta1/clusters', token),
      gateway('/kapis/config.kubesphere.io/v1alpha2/configs/configz', token),
      gateway('/version', token),
      gateway('/apis/kubesphere.io/v1alpha1/extensions', token),
      gateway('/apis/extensions.kubesphere.io/v1alpha1/jsbundles', token),
      gateway('/apis/extensions.kubesphere.io/v1alpha1/extensionentries', token),
    ]);
    if (!userObj) return null;
    const globalRules = {};
    for (const t of templates?.items ?? []) {
      const rules = JSON.parse(t.metadata.annotations?.['iam.kubesphere.io/role-template-rules'] ?? '{}');
      for (const [module, action] of Object.entries(rules)) {
        globalRules[module] = [...new Set([...(globalRules[module] ?? []), ...[action].flat(), t.metadata.name])];
      }
    }
    const user = {
      email: userObj.spec.email,
      lang: userObj.spec.lang,
      username: userObj.metadata.name,
      globalrole: userObj.metadata.annotations['iam.kubesphere.io/globalrole'],
      grantedClusters: [],
      uninitialized: 'false',
      lastLoginTime: userObj.status.lastLoginTime,
      globalRules,
      workspaces: (workspaces?.items ?? []).map((w) => w.metadata.name),
      workspacesAliasName: {},
      clusters: (clusters?.items ?? []).map((c) => c.metadata.name),
    };
    const enabledExtensionModulesStatus = {};
    const enabledModules = {};
    for (const e of extensions?.items ?? []) {
      enabledModules[e.metadata.name] = true;
      enabledExtensionModulesStatus[e.metadata.name] = { status: true, clusterSchedulingStatuses: {} };
    }
    const installedExtensions = (bundles?.items ?? [])
      .filter((b) => b.status?.state === 'Available')
      .map((b) => {
        const extensionName = b.metadata.labels?.['kubesphere.io/extension-ref'];
        const entry = (entries?.items ?? []).filter((e) => e.metadata.labels?.['kubesphere.io/extension-ref'] === extensionName);
        const list = entry.flatMap((e) => e.spec.entries ?? []);
        return {
          name: b.metadata.name,
          extensionName,
          link: b.status.link,
          resourceVersion: b.metadata.resourceVersion ?? '1',
          ...(list.length ? { entries: list } : {}),
        };
      });
    return {
      config,
      manifest,
      localeManifest: {},
      theme: {},
      defaultTheme: { title: 'KubeSphere', tabTitle: 'KubeSphere', logo: '/assets/logo.svg' },
      useDefaultTheme: true,
      user,
      runtime: 'containerd',
      clusterRole: 'host',
      ksConfig: {
        ...configz,
        ...enabledModules,
        enabledExtensionModulesStatus,
        ksVersion: version?.gitVersion,
        k8sVersion: version?.kubernetes?.gitVersion,
        metrics_server: false,
      },
      installedExtensions,
    };
  };

  const page = (g) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>KubeSphere</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="systemjs-importmap">{ "imports": ${JSON.stringify(SYSTEM_IMPORTS)} }</script>
    <script>window.globals = JSON.parse(decodeURIComponent(${JSON.stringify(encodeURIComponent(JSON.stringify(g)))}));</script>
    <script type="module" src="/kshost/host.js"></script>
  </body>
</html>`;

  const forward = (req, res, path, token) => {
    const up = new URL(apiserver);
    const headers = { ...req.headers };
    delete headers.cookie;
    delete headers.referer;
    delete headers.host;
    if (token) headers.authorization = `Bearer ${token}`;
    const out = httpRequest({ host: up.hostname, port: up.port, method: req.method, path, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(out);
    res.on('close', () => out.destroy());
  };

  const server = createServer(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    const token = cookieOf(req, 'token');
    const p = u.pathname;
    if (p.startsWith('/kshost/')) {
      const file = normalize(join(hostDist, p.slice('/kshost/'.length)));
      if (!file.startsWith(hostDist) || !existsSync(file)) return res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
      return createReadStream(file).pipe(res);
    }
    const locale = p.match(/\/dist\/locales-([a-z]+)\.json$/);
    if (locale && locales[locale[1]]) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(locales[locale[1]]);
    }
    if (p.startsWith('/pstatic/dist/')) return forward(req, res, p.slice('/pstatic'.length) + u.search, token);
    if (/^\/(kapis|apis|api|clusters)\//.test(p)) return forward(req, res, p + u.search, token);
    // KubeSphere's images (logo, avatars, icons) are not on npm: one neutral picture for all.
    if (p.startsWith('/assets/') && p.endsWith('.svg')) {
      res.writeHead(200, { 'Content-Type': 'image/svg+xml' });
      return res.end(PLACEHOLDER_SVG);
    }
    if (p === '/favicon.ico' || p.startsWith('/assets/')) return res.writeHead(404).end();
    if (!token && p !== '/login') {
      res.writeHead(302, { Location: `/login?referer=${encodeURIComponent(p)}` });
      return res.end();
    }
    const g = await pageGlobals(token);
    if (!g) {
      res.writeHead(302, { Location: '/login', 'Set-Cookie': 'token=; Max-Age=0; Path=/' });
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page(g));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}
