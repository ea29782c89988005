/**
 * The customer portal (issue 8): the web front end built from `web/` by Vite into `web/dist/`,
 * served at /account/ with its bundled scripts and styles at /assets/, under the portals' strict
 * security headers. Everything it does goes through the public /v1 API.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import type { Logger } from '../logger.js';
import { staticPortal } from './staticPortal.js';

/** Where the portal is served. */
export const CUSTOMER_PORTAL_PATH = '/account';
/** Where the bundles of the web front ends are served (Vite's `assetsDir`). */
export const WEB_ASSETS_PATH = '/assets';

/** The build output of vite.config.ts. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/**
 * Mount the customer portal on the app. Without a build (`npm run build:web`, which `npm start`
 * and the test suite run) it warns once and the paths answer NOT_FOUND.
 */
export function mountCustomerPortal(app: Express, logger: Logger, distDir: string = WEB_DIST_DIR): void {
  if (!existsSync(join(distDir, 'account', 'index.html'))) {
    logger.warn({ distDir }, 'the customer portal is not built: run `npm run build:web` to serve /account/');
  }
  app.use(CUSTOMER_PORTAL_PATH, staticPortal(join(distDir, 'account')));
  app.use(WEB_ASSETS_PATH, staticPortal(join(distDir, 'assets')));
}
