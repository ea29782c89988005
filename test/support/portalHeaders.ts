/** The strict headers every portal response carries (dealer and customer portals share staticPortal.ts). */
import { expect } from 'vitest';

export function expectPortalHeaders(res: Response, path: string, type: string, csp: string): void {
  expect(res.status, path).toBe(200);
  expect(res.headers.get('content-type'), path).toContain(type);
  expect(res.headers.get('content-security-policy'), path).toBe(csp);
  expect(res.headers.get('x-frame-options'), path).toBe('DENY');
  expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
  expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
  expect(res.headers.get('cache-control'), path).toBe('no-store');
}
