import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import { kubedIcons } from './build/kubed-icons';

// With KSFLUX_REACT=18 the same pages are built against React 18 (the `react-18` and
// `react-dom-18` aliases), to check they run there too; the standalone and KubeSphere 4 host
// use React 17.
const react18 =
  process.env.KSFLUX_REACT === '18'
    ? [
        { find: /^react$/, replacement: 'react-18' },
        { find: /^react\/(.*)$/, replacement: 'react-18/$1' },
        { find: /^react-dom$/, replacement: 'react-dom-18' },
        { find: /^react-dom\/(.*)$/, replacement: 'react-dom-18/$1' },
      ]
    : [];

// The standalone console. `KSFLUX_API` (default http://127.0.0.1:9480) is where `vite dev`
// proxies API calls.
export default defineConfig({
  resolve: { alias: react18 },
  // KSFLUX_NO_ICON_REWRITE=1 builds without the icon rewrite, to measure what it saves.
  plugins: [process.env.KSFLUX_NO_ICON_REWRITE ? null : kubedIcons(), react()],
  server: {
    proxy: {
      '/kapis': process.env.KSFLUX_API ?? 'http://127.0.0.1:9480',
    },
  },
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      onwarn(warning, warn) {
        // @radix-ui and react-hot-toast carry "use client" directives; harmless here.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        // zod's sources put comments next to its pure annotations; rollup drops the comments.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/node_modules/zod/')) return;
        warn(warning);
      },
    },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['src/**/*.test.{ts,tsx}', 'build/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
  },
});
