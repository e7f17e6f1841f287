// Checks the KubeSphere extension bundle (`dist/extension/index.js`, `vite.extension.config.ts`):
// its gzip size is within the budget (KB, default 300; KubeSphere's shared modules are
// external, so not counted), it imports only modules KubeSphere's console shares (its import
// map), and it carries no copy of them: no React (apart from the JSX runtime, which calls the
// host's React), React DOM, router, styled-components, @kubed kit, @ks-console packages,
// react-query or wujie.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const dir = new URL('../dist/extension/', import.meta.url);
/** The modules KubeSphere's console shares with extensions (its SystemJS import map). */
const HOST_SHARED = JSON.parse(readFileSync(new URL('../build/kubesphere-shared.json', import.meta.url), 'utf8'));
const budget = Number(process.env.KSFLUX_EXTENSION_BUDGET_KB ?? 300);
const bundle = readFileSync(new URL('index.js', dir));
const { imports, modules } = JSON.parse(readFileSync(new URL('modules.json', dir), 'utf8'));
const failures = [];

const gz = gzipSync(bundle, { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(1);
console.log(`extension bundle: ${kb(bundle.length)} KB raw, ${kb(gz)} KB gzip (budget ${budget} KB gzip)`);
if (gz / 1024 > budget) failures.push(`over budget: ${kb(gz)} KB gzip`);

if (!bundle.subarray(0, 32).toString().startsWith('System.register(')) failures.push('not a SystemJS module');
const foreign = imports.filter((i) => !HOST_SHARED.includes(i));
if (foreign.length) failures.push(`imports modules KubeSphere does not share: ${foreign.join(', ')}`);
console.log(`extension imports from KubeSphere: ${imports.join(', ')}`);

/**
 * Packages whose code must come from KubeSphere, never from the bundle — listed here, not
 * taken from the build's externals, so a build that stops treating one as external fails.
 */
const SHARED_PACKAGES = [
  'react',
  'react-dom',
  'react-router',
  'react-router-dom',
  'styled-components',
  'react-query',
  '@remix-run/router',
  'scheduler',
  '@kubed/',
  '@ks-console/',
  'wujie',
];
/** The one allowed exception: React's JSX runtime (not in the import map; it uses the host's React). */
const ALLOWED = [/^node_modules\/react\/jsx-runtime\.js(\?[\w-]+)?$/, /^node_modules\/react\/cjs\/react-jsx-runtime\.production\.min\.js(\?[\w-]+)?$/];
const packageOf = (id) => {
  const parts = id.replace(/^node_modules\//, '').replace(/\?.*$/, '').split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
};
const copies = Object.keys(modules)
  .map((id) => id.replace(/^\0/, ''))
  .filter((id) => id.startsWith('node_modules/'))
  .filter((id) => !ALLOWED.some((re) => re.test(id)))
  .filter((id) => {
    const pkg = packageOf(id);
    return SHARED_PACKAGES.some((s) => (s.endsWith('/') ? pkg.startsWith(s) : pkg === s));
  });
if (copies.length) failures.push(`bundles its own copy of shared modules: ${copies.join(', ')}`);

if (failures.length) {
  for (const f of failures) console.error(`extension bundle: ${f}`);
  process.exit(1);
}
console.log('extension bundle: no copy of React, React DOM, the router, styled-components or the @kubed kit');
