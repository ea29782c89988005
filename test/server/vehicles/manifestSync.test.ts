/**
 * The vehicle sync channel under faults: a failed SUBSCRIBE is retried (and readiness says so until
 * it is live), connections dropped at any point of the handshake hold nothing, and a manifest whose
 * publish was lost reaches the car with the next heartbeat.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { base64UrlToBytes } from '../../../shared/base64url.js';
import { revokedKeyDigestHex } from '../../../shared/credential/revokedKeyDigest.js';
import { readStateManifest } from '../../../shared/credential/stateManifest.js';
import { ManualClock } from '../../../shared/clock.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';
import { FaultyStore } from '../../support/faultyStore.js';
import { rawCall } from '../../support/httpCalls.js';
import { POLL } from '../../support/poll.js';
import { openEvents, vehicleToken } from '../../support/vehicleEvents.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

let t: TestServer | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await t?.close();
  t = undefined;
});

async function faultyServer(env: Record<string, string> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
  const store = new FaultyStore(new MemoryStore({ clock }));
  t = await startTestServer({ store, clock, env });
  return { t, store };
}

describe('manifest subscription', () => {
  it('a failed first SUBSCRIBE is retried with backoff; /readyz is 503 until the instance can deliver to cars', async () => {
    const { t, store } = await faultyServer();
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    // Redis refuses SUBSCRIBE until further notice.
    store.subscribeFailures = Number.MAX_SAFE_INTEGER;

    const notReady = await rawCall(t.baseUrl, 'GET', '/readyz');
    expect([notReady.status, notReady.json?.error?.code]).toEqual([503, 'STORE_UNAVAILABLE']);
    const refused = await rawCall(t.baseUrl, 'GET', '/v1/vehicle-api/events', { token: await vehicleToken(t, v.vin, v.vehiclePrivateJwk) });
    expect([refused.status, refused.json?.error?.code]).toEqual([503, 'STORE_UNAVAILABLE']);

    await expect.poll(() => store.subscribeCalls, POLL).toBeGreaterThanOrEqual(3); // two retries
    expect((await rawCall(t.baseUrl, 'GET', '/readyz')).status).toBe(503);

    // Redis is back. No restart: the hub retries by itself until the subscription is live.
    store.subscribeFailures = 0;
    await expect.poll(async () => (await rawCall(t.baseUrl, 'GET', '/readyz')).status, POLL).toBe(200);
    const stream = await openEvents(t, v.vin, v.vehiclePrivateJwk);
    expect(JSON.parse((await stream.next()).data)).toMatchObject({ seq: 0 });
    await owner.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${owner.wallet.get(v.vin)!.keyId}`);
    expect(JSON.parse((await stream.next()).data)).toMatchObject({ seq: 1 });
    stream.close();
  });
});

describe('sync connections', () => {
  it('release their hub listener, heartbeat timer and response whether they close before, during or after the handshake', async () => {
    const { t, store } = await faultyServer({ SYNC_HEARTBEAT: '7s' });
    const v = await t.provision();
    // Open heartbeat timers: the sync stream is the only user of a 7 s interval.
    const open = new Set<unknown>();
    const realSet = globalThis.setInterval;
    const realClear = globalThis.clearInterval;
    vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
      const handle = realSet(fn, ms);
      if (ms === 7000) open.add(handle);
      return handle;
    }) as typeof setInterval);
    vi.spyOn(globalThis, 'clearInterval').mockImplementation(((handle?: NodeJS.Timeout) => {
      open.delete(handle);
      realClear(handle);
    }) as typeof clearInterval);

    // Every store read takes 30 ms: authentication and the handshake take several of them.
    store.readDelayMs = 30;
    // Dropped after `ms` (null: after the first event, so surely after the handshake).
    const dropAfterMs = [0, 0, 1, 5, 10, 20, 30, 40, 50, 60, 75, 90, 110, 130, 160, 200, 260, 320, 400, 600, null, null, null];
    let established = 0;
    await Promise.all(
      dropAfterMs.map(async (ms) => {
        const controller = new AbortController();
        const token = await vehicleToken(t, v.vin, v.vehiclePrivateJwk);
        const timer = ms === null ? undefined : setTimeout(() => controller.abort(), ms);
        try {
          const res = await fetch(`${t.baseUrl}/v1/vehicle-api/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
          if (res.status === 200) established += 1;
          if (ms === null) await res.body!.getReader().read();
          await res.body?.cancel().catch(() => undefined);
        } catch {
          // aborted before the response
        } finally {
          clearTimeout(timer);
          controller.abort();
        }
      }),
    );
    // Some closed before the handshake ended and some after it (the case list spans both).
    expect(established).toBeGreaterThanOrEqual(3);
    expect(established).toBeLessThan(dropAfterMs.length);
    const openConnections = () => new Promise<number>((resolve, reject) => t.httpServer.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    // Sockets, hub listeners and heartbeat timers all back to none.
    await expect.poll(async () => [await openConnections(), t.app.hub.listenerCount, open.size], POLL).toEqual([0, 0, 0]);
    expect(t.app.hub.connectedVehicles).toBe(0);
  });
});

describe('sync heartbeat', () => {
  it('carries the current seq, and a manifest whose publish was lost reaches the car within one heartbeat', async () => {
    const { t, store } = await faultyServer({ SYNC_HEARTBEAT: '1s' });
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const stream = await openEvents(t, v.vin, v.vehiclePrivateJwk);
    expect(JSON.parse((await stream.next()).data)).toMatchObject({ seq: 0 });

    store.publishDrops = 1;
    const keyId = owner.wallet.get(v.vin)!.keyId;
    await owner.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${keyId}`);
    const caughtUp = await stream.next();
    expect(caughtUp.event).toBe('manifest');
    const manifest = JSON.parse(caughtUp.data) as { seq: number; manifest: string };
    expect(manifest.seq).toBe(1);
    expect(readStateManifest(base64UrlToBytes(manifest.manifest)).revoked).toEqual([revokedKeyDigestHex(keyId)]);
    const heartbeat = await stream.next();
    expect([heartbeat.event, JSON.parse(heartbeat.data)]).toEqual(['heartbeat', { seq: 1 }]);
    stream.close();
  });
});
