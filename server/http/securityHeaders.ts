/**
 * Security headers on every response, from `helmet`. The API answers JSON only, so its policy is the
 * strictest there is (nothing may load, frame or post); the portals (server/portal/staticPortal.ts)
 * set their own strict CSP after this runs, which replaces the API's on their files. HSTS only when
 * the service says it is served over HTTPS (ISSUER is https://): on plain http it would be ignored
 * at best and pin a developer's localhost at worst.
 *
 * The headers do not depend on the request, so helmet runs once at start and each response gets
 * the list it wrote, in one loop by the request edge (helmet's eleven middlewares per request cost more than the rest
 * of a credential refresh's routing).
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** One year, the HSTS preload lists' minimum. */
const HSTS_MAX_AGE_S = 365 * 86_400;

/**
 * The headers every answer gets, in helmet's order (the request edge sets them: requestEdge.ts).
 * @example securityHeaderList({ issuer: config.ISSUER })
 */
export function securityHeaderList(opts: { issuer: string }): Array<[string, string]> {
  return headersOf(helmetFor(opts));
}

function helmetFor(opts: { issuer: string }): RequestHandler {
  const https = opts.issuer.startsWith('https://');
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: HSTS_MAX_AGE_S, includeSubDomains: true } : false,
  });
}

/** The headers a middleware that only sets headers writes, in its order (it must call next at once). */
function headersOf(middleware: RequestHandler): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  let nextCalled = false;
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
      return res;
    },
    removeHeader() {},
  };
  middleware({ headers: {}, method: 'GET', url: '/' } as never, res as never, () => {
    nextCalled = true;
  });
  if (!nextCalled) throw new Error('the security headers middleware did not finish at once');
  return headers;
}
