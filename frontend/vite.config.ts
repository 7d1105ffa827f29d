import { defineConfig } from 'vitest/config';

// The dev server forwards API calls to a locally running `chorus serve`
// (default listen address 127.0.0.1:8080); override with CHORUS_DEV_API.
const devApi = process.env.CHORUS_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: 'dist',
    // Every browser we target supports <link rel=modulepreload>; skip the polyfill bytes.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': devApi,
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
