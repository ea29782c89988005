/**
 * The dealer web portal (DESIGN.md §1; R6, R13): public static files (static/) served at /dealer/
 * with strict security headers. It holds no data and no secret: everything it shows comes from the
 * authenticated dealer API, called from the same origin.
 */
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

/** Where the portal is served. */
export const DEALER_PORTAL_PATH = '/dealer';

/**
 * Only our own script, styles and API; no inline code, no framing, no forms posting anywhere, no
 * referrer. The session token lives in the script's memory, so an injected script is what it must stop.
 */
export const DEALER_PORTAL_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

/**
 * The portal's router, to mount at {@link DEALER_PORTAL_PATH}. Unknown files fall through to the
 * app's NOT_FOUND handler; the app's `cache-control: no-store` is kept.
 * @example app.use(DEALER_PORTAL_PATH, dealerPortal());
 */
export function dealerPortal(): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    for (const [name, value] of Object.entries(DEALER_PORTAL_HEADERS)) res.setHeader(name, value);
    next();
  });
  router.use(express.static(STATIC_DIR, { index: 'index.html', dotfiles: 'ignore', cacheControl: false, fallthrough: true, redirect: true }));
  return router;
}
