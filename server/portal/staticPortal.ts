/**
 * What the web portals share on the server: their strict security headers and the static-file
 * router that serves a portal's files under them. A portal holds no data and no secret: everything
 * it shows comes from the /v1 API on the same origin.
 */
import express, { type Router } from 'express';

/**
 * Only our own script, styles and API; no inline code, no framing, no forms posting anywhere, no
 * referrer. The session token lives in the script's memory, so an injected script is what it must stop.
 */
export const PORTAL_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * Serve the files of `dir` with {@link PORTAL_HEADERS}. Unknown files fall through to the app's
 * NOT_FOUND handler; the request edge's `cache-control: no-store` is kept.
 */
export function staticPortal(dir: string): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    for (const [name, value] of Object.entries(PORTAL_HEADERS)) res.setHeader(name, value);
    next();
  });
  router.use(express.static(dir, { index: 'index.html', dotfiles: 'ignore', cacheControl: false, fallthrough: true, redirect: true }));
  return router;
}
