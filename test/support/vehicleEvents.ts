/** A vehicle's side of the sync API in tests: its signed request token and its event stream. */
import { expect } from 'vitest';
import type { JWK } from 'jose';
import { z } from 'zod';
import { verifyTrustUpdate } from '../../shared/credential/trustUpdate.js';
import { signVehicleRequestToken } from '../../shared/credential/vehicleRequestToken.js';
import { readServerSentEvents, type ServerSentEvent } from '../../ble-sim/vehicle/serverSentEvents.js';
import type { TestServer } from './testServer.js';

export async function vehicleToken(t: TestServer, vin: string, key: JWK, opts: { nowSeconds?: number } = {}): Promise<string> {
  return signVehicleRequestToken({ vin, privateKey: key, issuer: t.config.ISSUER, nowSeconds: opts.nowSeconds ?? Math.floor(t.clock.now() / 1000) });
}

/** Open the SSE stream (expecting 200); returns the next event (5 s at most) and a close function. */
export async function openEvents(t: TestServer, vin: string, key: JWK) {
  const controller = new AbortController();
  const res = await fetch(`${t.baseUrl}/v1/vehicle-api/events`, { headers: { authorization: `Bearer ${await vehicleToken(t, vin, key)}` }, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events = readServerSentEvents(res.body!);
  const next = async (): Promise<ServerSentEvent> => {
    const timeout = new Promise<never>((_r, reject) => setTimeout(() => reject(new Error('no event within 5 s')), 5000).unref());
    const { value, done } = await Promise.race([events.next(), timeout]);
    if (done) throw new Error('stream ended');
    return value;
  };
  // Every stream opens with the issuer keys to trust: a trust update signed by the issuer's key.
  const trust = await next();
  expect(trust.event).toBe('trust');
  const { tokens } = z.object({ tokens: z.array(z.string()) }).parse(JSON.parse(trust.data));
  expect((await verifyTrustUpdate({ token: tokens[0] ?? '', trust: t.app.ctx.trust, nowSeconds: Math.floor(t.clock.now() / 1000) })).keys.map((k) => k.kid)).toContain(t.app.ctx.issuerKey.kid);
  return { next, close: () => controller.abort() };
}
