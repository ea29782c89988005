/**
 * The build of the web front ends in `web/` (the customer portal at /account/, the dealer desk at
 * /dealer/): Vite bundles typed TSX written against Preact into `web/dist/`, which the
 * server serves under its strict CSP. No inline script or style is emitted, so `script-src 'self'`
 * and `style-src 'self'` hold. Built by `npm run build:web`, before `npm start`, and by the test
 * suite's global setup when the sources are newer than the build.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const web = fileURLToPath(new URL('./web/', import.meta.url));

export default defineConfig({
  root: web,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('./web/dist/', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // The module-preload polyfill would be an inline script in the page: CSP refuses it, and every
    // browser the portal supports preloads modules natively.
    modulePreload: { polyfill: false },
    // Small assets inlined as data: URLs would need img-src/font-src data:, which the CSP refuses.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    rollupOptions: {
      input: {
        account: fileURLToPath(new URL('./web/account/index.html', import.meta.url)),
        dealer: fileURLToPath(new URL('./web/dealer/index.html', import.meta.url)),
      },
    },
  },
});
