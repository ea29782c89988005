/**
 * /metrics is off the public port (issue 12: 72 KB of route counts and versions were open to
 * anyone): its own listener, loopback by default; on the public port only for a bearer of
 * METRICS_TOKEN, and 404 to everyone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config.js';
import { startMetricsServer, type MetricsServer } from '../../../server/metrics/metricsServer.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

const TOKEN = 'm'.repeat(40);

let open: TestServer;
let withToken: TestServer;
let listener: MetricsServer;
beforeAll(async () => {
  open = await startTestServer();
  withToken = await startTestServer({ env: { METRICS_TOKEN: TOKEN } });
  listener = await startMetricsServer({ registry: open.app.metrics, host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  listener?.server.close();
  await open?.close();
  await withToken?.close();
});

const scrape = (baseUrl: string, authorization?: string) => fetch(`${baseUrl}/metrics`, authorization ? { headers: { authorization } } : {});

describe('/metrics off the public port', () => {
  it('the public port answers 404 NOT_FOUND for /metrics when no METRICS_TOKEN is set, whatever the caller sends', async () => {
    for (const authorization of [undefined, 'Bearer anything', `Bearer ${TOKEN}`]) {
      const res = await scrape(open.baseUrl, authorization);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no such route' } });
    }
  });

  it('the metrics listener serves the Prometheus text on GET /metrics, and nothing else', async () => {
    const res = await scrape(`http://127.0.0.1:${listener.port}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('sdk_http_requests_total');
    expect((await fetch(`http://127.0.0.1:${listener.port}/healthz`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${listener.port}/v1/openapi.json`)).status).toBe(404);
  });

  it('with METRICS_TOKEN, the public port serves /metrics to its bearer only; a wrong, partial or missing token gets 404', async () => {
    const ok = await scrape(withToken.baseUrl, `Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('sdk_http_requests_total');
    expect((await scrape(withToken.baseUrl, `bearer ${TOKEN}`)).status).toBe(200);
    for (const authorization of [undefined, 'Bearer', `Bearer ${TOKEN.slice(1)}`, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
      expect((await scrape(withToken.baseUrl, authorization)).status, String(authorization)).toBe(404);
    }
  });

  it('config: METRICS_PORT 9464 on 127.0.0.1 by default, 0 allowed; a short METRICS_TOKEN is refused', () => {
    expect(loadConfig({})).toMatchObject({ METRICS_PORT: 9464, METRICS_HOST: '127.0.0.1' });
    expect(loadConfig({}).METRICS_TOKEN).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: '0', METRICS_HOST: '0.0.0.0' })).toMatchObject({ METRICS_PORT: 0, METRICS_HOST: '0.0.0.0' });
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 32 characters/);
  });
});
