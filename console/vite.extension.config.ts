import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The KubeSphere 4 extension build: the same pages as one SystemJS module whose default
 * export is `{ routes, menus, locales }` (`src/extension/index.tsx`). The modules KubeSphere's
 * console shares with extensions (its import map, ks-console `server/configs/systemImports.js`)
 * stay external; everything else is bundled. Output: `dist/extension/index.js`, served by
 * ksflux with the console and named by the extension's JSBundle.
 */
export const HOST_SHARED = [
  '@ks-console/shared',
  '@kubed/charts',
  '@kubed/code-editor',
  '@kubed/components',
  '@kubed/hooks',
  '@kubed/icons',
  'react',
  'react-dom',
  'react-query',
  'react-router-dom',
  'styled-components',
  'wujie-react',
];

export default defineConfig({
  plugins: [react()],
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
