import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import shared from './build/kubesphere-shared.json';

/**
 * The KubeSphere 4 extension build: the same pages as one SystemJS module whose default
 * export is `{ routes, menus, locales }` (`src/extension/index.tsx`). The modules KubeSphere's
 * console shares with extensions (`build/kubesphere-shared.json`, its import map: ks-console's
 * `server/configs/systemImports.js`) stay external; everything else is bundled. Output:
 * `dist/extension/index.js`, served by ksflux with the console and named by the extension's
 * JSBundle.
 */
export const HOST_SHARED: string[] = shared;

/**
 * Writes `modules.json` beside the bundle: every module in it with its rendered size, so
 * `scripts/extension-size.mjs` can check that no copy of a shared module slipped in.
 */
function moduleList(): Plugin {
  return {
    name: 'ksflux-module-list',
    generateBundle(_, bundle) {
      const modules: Record<string, number> = {};
      const imports: string[] = [];
      for (const out of Object.values(bundle)) {
        if (out.type !== 'chunk') continue;
        imports.push(...out.imports);
        for (const [id, m] of Object.entries(out.modules)) {
          modules[id.replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/console\//, '')] = m.renderedLength;
        }
      }
      this.emitFile({ type: 'asset', fileName: 'modules.json', source: JSON.stringify({ imports, modules }, null, 1) });
    },
  };
}

export default defineConfig({
  plugins: [react(), moduleList()],
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: 'dist/extension',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    lib: {
      entry: 'src/extension/index.tsx',
      formats: ['system'],
      fileName: () => 'index.js',
    },
    rollupOptions: {
      // Exactly the shared names: `react/jsx-runtime` is not in KubeSphere's import map, so it
      // is bundled (a few hundred bytes that call the host's React).
      external: HOST_SHARED,
      output: { inlineDynamicImports: true },
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/node_modules/zod/')) return;
        warn(warning);
      },
    },
  },
});
