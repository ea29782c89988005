/**
 * The dealer web portal (DESIGN.md §1; R6, R13): public static files (static/) served at /dealer/
 * with the portals' strict security headers.
 */
import { fileURLToPath } from 'node:url';
import type { Router } from 'express';
import { PORTAL_HEADERS, staticPortal } from './staticPortal.js';

/** Where the portal is served. */
export const DEALER_PORTAL_PATH = '/dealer';

/** The dealer portal's headers: those of every portal. */
export const DEALER_PORTAL_HEADERS = PORTAL_HEADERS;

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

/**
 * The portal's router, to mount at {@link DEALER_PORTAL_PATH}.
 * @example app.use(DEALER_PORTAL_PATH, dealerPortal());
 */
export function dealerPortal(): Router {
  return staticPortal(STATIC_DIR);
}
