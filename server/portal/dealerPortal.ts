/**
 * The dealer desk (DESIGN.md §1; R6, R13, R15; issue 9): the web front end built from `web/dealer/`
 * by Vite into `web/dist/dealer/`, served at /dealer/ with the portals' strict security headers; its
 * bundles share /assets/ with the customer portal. Everything it does goes through the /v1 API.
 */
import { join } from 'node:path';
import type { Router } from 'express';
import { WEB_DIST_DIR } from './customerPortal.js';
import { PORTAL_HEADERS, staticPortal } from './staticPortal.js';

/** Where the desk is served. */
export const DEALER_PORTAL_PATH = '/dealer';

/** The desk's headers: those of every portal. */
export const DEALER_PORTAL_HEADERS = PORTAL_HEADERS;

/**
 * The desk's router, to mount at {@link DEALER_PORTAL_PATH} (without a build it answers NOT_FOUND;
 * mountCustomerPortal warns about the missing build).
 * @example app.use(DEALER_PORTAL_PATH, dealerPortal());
 */
export function dealerPortal(distDir: string = WEB_DIST_DIR): Router {
  return staticPortal(join(distDir, 'dealer'));
}
