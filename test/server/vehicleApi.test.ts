/**
 * The vehicle sync API: vehicle-signed, single-use request tokens; the latest manifest; the SSE
 * stream of new manifests; and fan-out across two server instances sharing one Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64UrlToBytes } from '../../shared/base64url.js';
import { revokedKeyDigestHex } from '../../shared/credential/revokedKeyDigest.js';
import { readStateManifest, verifyStateManifest } from '../../shared/credential/stateManifest.js';
import { rawCall } from '../support/httpCalls.js';
import { openEvents, vehicleToken } from '../support/vehicleEvents.js';
import { startTwoInstances, type TwoInstances } from '../support/twoInstances.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

describe('vehicle API on one instance', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('returns the latest manifest to the vehicle that signed the request', async () => {
    const v = await t.provision();
    const res = await rawCall(t.baseUrl, 'GET', '/v1/vehicle-api/state', { token: await vehicleToken(t, v.vin, v.vehiclePrivateJwk) });
    expect(res.status).toBe(200);
    const claims = verifyStateManifest({ manifest: base64UrlToBytes(res.json!.manifest as string), trust: t.app.ctx.trust, vin: v.vin, nowSeconds: Math.floor(t.clock.now() / 1000) });
    expect(claims).toMatchObject({ seq: 0, ep: 0 });
  });

  it('refuses a replayed, foreign-signed, expired, over-long or session token with 401', async () => {
    const v = await t.provision();
    const other = await t.provision();
    const token = await vehicleToken(t, v.vin, v.vehiclePrivateJwk);
    expect((await rawCall(t.baseUrl, 'GET', '/v1/vehicle-api/state', { token })).status).toBe(200);
    const replay = await rawCall(t.baseUrl, 'GET', '/v1/vehicle-api/state', { token });
    expect([replay.status, replay.json?.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    // Signed with another car's key while claiming this VIN.
    const forged = await vehicleToken(t, v.vin, other.vehiclePrivateJwk);
    expect((await rawCall(t.baseUrl, 'GET', '/v1/vehicle-api/state', { token: forged })).status).toBe(401);
    const old = await vehicleToken(t, v.vin, v.vehiclePrivateJwk, { nowSeconds: Math.floor(t.clock.now() / 1000) - 600 });
    expect((await rawCall(t.baseUrl, 'GET', '/v1/vehicle-api/state', { token: old })).status).toBe(401);
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    expect((await rawCall(t.baseUrl, 'GET', '/v1/vehicle-api/state', { token: owner.api.token! })).status).toBe(401);
    // A vehicle token is no session either.
    expect((await rawCall(t.baseUrl, 'GET', '/v1/me', { token: await vehicleToken(t, v.vin, v.vehiclePrivateJwk) })).status).toBe(401);
    expect((await rawCall(t.baseUrl, 'GET', '/v1/vehicle-api/state')).status).toBe(401);
  });

  it('streams the current manifest, then each new one as revocations happen', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const stream = await openEvents(t, v.vin, v.vehiclePrivateJwk);
    const first = await stream.next();
    expect(first.event).toBe('manifest');
    expect(JSON.parse(first.data)).toMatchObject({ vin: v.vin, seq: 0 });
    await owner.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${owner.wallet.get(v.vin)!.keyId}`);
    const second = JSON.parse((await stream.next()).data) as { seq: number; manifest: string };
    expect(second.seq).toBe(1);
    expect(readStateManifest(base64UrlToBytes(second.manifest)).revoked).toEqual([revokedKeyDigestHex(owner.wallet.get(v.vin)!.keyId)]);
    stream.close();
  });
});

describe('vehicle API while the server drains (shutdown)', () => {
  it('an open sync stream gets a retry hint and a closing event, then ends', async () => {
    const t = await startTestServer();
    try {
      const v = await t.provision();
      const controller = new AbortController();
      const res = await fetch(`${t.baseUrl}/v1/vehicle-api/events`, { headers: { authorization: `Bearer ${await vehicleToken(t, v.vin, v.vehiclePrivateJwk)}` }, signal: controller.signal });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('event: manifest')) text += (await reader.read()).value ?? '';
      t.app.beginShutdown();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      expect(text).toMatch(/retry: 2000\nevent: closing\ndata: \{"retryInMs":2000\}\n\n$/);
      // A request made while draining is answered and told to close its connection.
      const late = await rawCall(t.baseUrl, 'GET', '/healthz');
      expect([late.status, late.headers.get('connection')]).toEqual([200, 'close']);
    } finally {
      await t.close();
    }
  });
});

describe('fan-out across two instances sharing one Redis', () => {
  let two: TwoInstances;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    two = await startTwoInstances();
    ({ a, b } = two);
  });
  afterAll(async () => {
    await two.stop();
  });

  it('a revocation made on one instance reaches a car connected to the other', async () => {
    const v = await a.provision();
    const owner = await a.mainUserWithKey(v.vin, v.odometerKm);
    const stream = await openEvents(b, v.vin, v.vehiclePrivateJwk);
    expect(JSON.parse((await stream.next()).data)).toMatchObject({ seq: 0 });
    await owner.api.request('DELETE', `/v1/me/vehicles/${v.vin}`, {});
    const wiped = JSON.parse((await stream.next()).data) as { seq: number; manifest: string };
    expect(wiped.seq).toBe(1);
    expect(readStateManifest(base64UrlToBytes(wiped.manifest))).toMatchObject({ ep: 1 });
    stream.close();
  });
});
