import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import { kubedIcons } from './build/kubed-icons';

// The standalone console. `KSFLUX_API` (default http://127.0.0.1:9480) is where `vite dev`
// proxies API calls.
export default defineConfig({
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
