/** Security headers from helmet on every response (issue 12, HTTP edges), without weakening the portals' own strict CSP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEALER_PORTAL_HEADERS } from '../../server/portal/dealerPortal.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

const API_CSP = "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'";

let http: TestServer;
let https: TestServer;
beforeAll(async () => {
  http = await startTestServer();
  https = await startTestServer({ env: { ISSUER: 'https://keys.example.com' } });
});
afterAll(async () => {
  await http?.close();
  await https?.close();
});

describe('security headers', () => {
  it('every API answer — success, 404, 401, 400 — carries the helmet headers with the API’s strict CSP', async () => {
    const answers: Array<[method: string, path: string, status: number]> = [['GET', '/healthz', 200], ['GET', '/v1/openapi.json', 200], ['GET', '/no/such/route', 404], ['GET', '/v1/vehicles/WVWZZZ1JZ3W386752/keys', 401], ['POST', '/v1/accounts', 400]];
    for (const [method, path, status] of answers) {
      const res = await fetch(http.baseUrl + path, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(res.status, path).toBe(status);
      const expected = { 'content-security-policy': API_CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff', 'cross-origin-opener-policy': 'same-origin', 'cross-origin-resource-policy': 'same-origin', 'x-dns-prefetch-control': 'off', 'x-permitted-cross-domain-policies': 'none' };
      for (const [name, value] of Object.entries(expected)) expect(res.headers.get(name), `${path} ${name}`).toBe(value);
      expect(res.headers.get('x-powered-by'), path).toBeNull();
    }
  });

  it('a portal file keeps the portal’s own CSP (helmet’s does not replace it)', async () => {
    const res = await fetch(`${http.baseUrl}/dealer/index.html`);
    expect(res.status).toBe(200);
    for (const [name, value] of Object.entries(DEALER_PORTAL_HEADERS)) expect(res.headers.get(name), name).toBe(value);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('HSTS only when ISSUER is https://', async () => {
    expect((await fetch(`${http.baseUrl}/healthz`)).headers.get('strict-transport-security')).toBeNull();
    expect((await fetch(`${https.baseUrl}/healthz`)).headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect((await fetch(`${https.baseUrl}/no/such/route`)).headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });
});
