/**
 * The car's sync channel against the real server: it receives the current manifest, then each new
 * one, and reconnects with backoff after the server goes away and comes back (R7: maintenance).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { base64UrlToBytes } from '../../../shared/base64url.js';
import { revokedKeyDigestHex } from '../../../shared/credential/revokedKeyDigest.js';
import { readStateManifest } from '../../../shared/credential/stateManifest.js';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { ManualClock } from '../../../shared/clock.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';
import { VehicleSync, type SyncEvent } from '../../../ble-sim/vehicle/vehicleSync.js';
import { POLL } from '../../support/poll.js';
import { startTestServer } from '../../support/testServer.js';

const cleanup: Array<() => Promise<void>> = [];
/** A manifest as the sync channel hands it to the car: base64url of its COSE bytes. */
const manifestOf = (m: string) => readStateManifest(base64UrlToBytes(m));
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('vehicle sync channel', () => {
  it('delivers the current manifest and each new one to the car', async () => {
    const t = await startTestServer();
    cleanup.push(() => t.close());
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const applied: string[] = [];
    const sync = new VehicleSync({ baseUrl: t.baseUrl, vin: v.vin, privateKey: v.vehiclePrivateJwk, issuer: t.config.ISSUER, clock: t.clock, applyManifest: async (m) => applied.push(m) });
    sync.start();
    cleanup.push(() => sync.stop());
    await expect.poll(() => applied.length, POLL).toBe(1); // the current manifest
    await owner.api.request('DELETE', `/v1/me/vehicles/${v.vin}`, {});
    await expect.poll(() => applied.length, POLL).toBe(2); // the wipe's manifest
    expect(manifestOf(applied[1]!)).toMatchObject({ ep: 1, seq: 1 });
    expect(sync.lastSeq).toBe(1);
  });

  it('a heartbeat naming a seq the car has not applied makes it reconnect and fetch that manifest', async () => {
    const t = await startTestServer({ env: { SYNC_HEARTBEAT: '1s' } });
    cleanup.push(() => t.close());
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const events: SyncEvent[] = [];
    const applied: string[] = [];
    let refuseOnce = true;
    const applyManifest = async (m: string) => {
      // The first delivery of the wipe's manifest fails on the car (say, its storage was busy).
      if (manifestOf(m).seq === 1 && refuseOnce) {
        refuseOnce = false;
        throw new Error('storage busy');
      }
      applied.push(m);
    };
    const sync = new VehicleSync({ baseUrl: t.baseUrl, vin: v.vin, privateKey: v.vehiclePrivateJwk, issuer: t.config.ISSUER, clock: t.clock, applyManifest, onEvent: (e) => events.push(e), initialBackoffMs: 20, random: () => 0.5 });
    sync.start();
    cleanup.push(() => sync.stop());
    await expect.poll(() => applied.length, POLL).toBe(1); // the current manifest
    await owner.api.request('DELETE', `/v1/me/vehicles/${v.vin}`, {});
    await expect.poll(() => applied.length, POLL).toBe(2); // the wipe's manifest, after a heartbeat
    expect(manifestOf(applied[1]!)).toMatchObject({ ep: 1, seq: 1 });
    const kinds = events.map((e) => e.type);
    expect(kinds.indexOf('rejected')).toBeLessThan(kinds.indexOf('heartbeat'));
    expect(events.find((e) => e.type === 'heartbeat')).toEqual({ type: 'heartbeat', seq: 1 });
    expect(kinds.filter((k) => k === 'connected').length).toBe(2);
  });

  it('reconnects with backoff when the server goes away and learns what it missed', async () => {
    const clock = new ManualClock(Date.now());
    const store = new MemoryStore({ clock });
    const issuerKey = await LocalIssuerKey.generate();
    let t = await startTestServer({ store, clock, issuerKey });
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const events: SyncEvent[] = [];
    const applied: string[] = [];
    const port = new URL(t.baseUrl).port;
    const sync = new VehicleSync({ baseUrl: t.baseUrl, vin: v.vin, privateKey: v.vehiclePrivateJwk, issuer: t.config.ISSUER, clock, applyManifest: async (m) => applied.push(m), onEvent: (e) => events.push(e), initialBackoffMs: 20, maxBackoffMs: 100, random: () => 0.5 });
    sync.start();
    cleanup.push(() => sync.stop());
    await expect.poll(() => sync.connected, POLL).toBe(true);

    await t.close();
    await expect.poll(() => events.filter((e) => e.type === 'disconnected').length, POLL).toBeGreaterThanOrEqual(2); // a failed reconnect
    // While the car is cut off, the owner's key is revoked on the (restarted) server.
    t = await startTestServer({ store, clock, issuerKey, port: Number(port) });
    cleanup.push(() => t.close());
    await owner.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${owner.wallet.get(v.vin)!.keyId}`);
    await expect.poll(() => applied.map((m) => manifestOf(m).revoked), POLL).toContainEqual([revokedKeyDigestHex(owner.wallet.get(v.vin)!.keyId)]); // the missed revocation
    const retries = events.filter((e): e is Extract<SyncEvent, { type: 'disconnected' }> => e.type === 'disconnected').map((e) => e.retryInMs);
    expect(retries[1]).toBeGreaterThan(retries[0]!);
  });
});
