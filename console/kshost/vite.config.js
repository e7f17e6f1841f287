// The KubeSphere 4.1.1 console frontend, built from its npm packages into one page script
// (`dist/host.js` + CSS), as ks-console's own webpack build does for its `main.js`. The page
// around it (the `globals` and the SystemJS import map) comes from the test server
// `console/e2e/kshost-server.mjs`.
import { defineConfig } from 'vite';

/**
 * What webpack (KubeSphere's own bundler) gives the published ESM files and Vite does not:
 * - some still call `require("pkg")`: each becomes an import of the package's default export;
 * - some use webpack's per-file `module` object (@ks-console/shared's store factories key
 *   their queries with it): each such file gets a `module` of its own.
 */
/** Whether a module's top level declares or imports a binding named `module`. */
function declaresModule(ast) {
  return ast.body.some(
    (n) =>
      (n.type === 'VariableDeclaration' && n.declarations.some((d) => d.id.type === 'Identifier' && d.id.name === 'module')) ||
      (n.type === 'ExportNamedDeclaration' &&
        n.declaration?.type === 'VariableDeclaration' &&
        n.declaration.declarations.some((d) => d.id.type === 'Identifier' && d.id.name === 'module')) ||
      (n.type === 'ImportDeclaration' && n.specifiers.some((sp) => sp.local.name === 'module')) ||
      (n.type === 'FunctionDeclaration' && n.id?.name === 'module'),
  );
}

function webpackCompat() {
  const bareModule = /[[(,=:]\s*module\s*[,\]).;]/;
  return {
    name: 'ks-webpack-compat',
    transform(code, id) {
      if (!id.includes('/node_modules/@ks-console/')) return null;
      const needsRequire = /[^.\w$]require\("/.test(code);
      const needsModule = bareModule.test(code) && !declaresModule(this.parse(code));
      if (!needsRequire && !needsModule) return null;
      const head = [];
      const out = code.replace(/([^.\w$])require\("([^"]+)"\)/g, (_, before, pkg) => {
        const name = `__ks_require_${head.length}`;
        head.push(`import ${name} from ${JSON.stringify(pkg)};`);
        return `${before}${name}`;
      });
      if (needsModule) head.push(`var module = { id: ${JSON.stringify(id.replace(/^.*\/node_modules\//, ''))} };`);
      return { code: `${head.join('\n')}\n${out}`, map: null };
    },
  };
}

export default defineConfig({
  plugins: [webpackCompat()],
  define: {
    'process.env.NODE_ENV': JSON.stringify('production'),
    // The open-source edition, as KubeSphere's own build sets it.
    'process.env.KUBESPHERE_EDITION': JSON.stringify('ks'),
    // Only read in ks-console's development mode (local extensions), never here.
    'process.env.EXTENSIONS_PATH': JSON.stringify(''),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 20000,
    sourcemap: false,
    rollupOptions: {
      input: 'src/host.js',
      output: { format: 'es', entryFileNames: 'host.js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' },
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE' || warning.code === 'EVAL' || warning.code === 'SOURCEMAP_ERROR') return;
        warn(warning);
      },
    },
  },
});
