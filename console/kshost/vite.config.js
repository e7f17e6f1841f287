// The KubeSphere 4.1.1 console frontend, built from its npm packages into one page script
// (`dist/host.js` + CSS), as ks-console's own webpack build does for its `main.js`. The page
// around it (the `globals` and the SystemJS import map) comes from the test server
// `console/e2e/kshost-server.mjs`.
import { defineConfig } from 'vite';

/**
 * A few of the published ESM files still call `require("pkg")` (webpack, which KubeSphere
 * builds with, accepts that); turn each into an import of the package's default export.
 */
function esmRequire() {
  return {
    name: 'ks-esm-require',
    transform(code, id) {
      if (!id.includes('/node_modules/@ks-console/') || !/[^.\w$]require\("/.test(code)) return null;
      const imports = [];
      const out = code.replace(/([^.\w$])require\("([^"]+)"\)/g, (_, before, pkg) => {
        const name = `__ks_require_${imports.length}`;
        imports.push(`import ${name} from ${JSON.stringify(pkg)};`);
        return `${before}${name}`;
      });
      return { code: `${imports.join('\n')}\n${out}`, map: null };
    },
  };
}

export default defineConfig({
  plugins: [esmRequire()],
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
