/**
 * Private advertising (protocol.md, Advertising), over noble through the air: the car's name and
 * address rotate every 15 minutes of its clock, so a stranger's captures from two periods cannot be
 * linked, while a key holder resolves both, finds the car in one scan and, once bonded, reconnects
 * without discovery; a rotation never drops a connection.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { staticRandomAddress } from '../../ble-sim/air/staticRandomAddress.js';
import type { Noble, Peripheral } from '../../ble-sim/noble/createNoble.js';
import { buildCommandRequest } from '../../ble-sim/phone/commandRequest.js';
import { openVehicleSession } from '../../ble-sim/phone/vehicleSession.js';
import { ADVERTISING_PERIOD_MS, resolveAdvertisingName } from '../../shared/ble/advertisingName.js';
import { nobleUuid, SERVICE_UUID } from '../../shared/ble/gattUuids.js';
import { deriveAdvertisingKey } from '../../shared/ble/linkKeys.js';
import { encodeRequest } from '../../shared/ble/messages.js';
import { ManualClock } from '../../shared/clock.js';
import { ADVERTISING_KEY, createPhone, ORIGIN, RP_ID, VIN } from '../support/bleFixtures.js';
import { bleWorldPerTest } from '../support/bleWorldPerTest.js';

const newWorld = bleWorldPerTest();
const MINUTE = 60_000;

interface Capture {
  address: string;
  localName: string | undefined;
}

/** One scan for the digital-key service, as any radio nearby can make it: what each advertiser says. */
async function capture(noble: Noble): Promise<Capture[]> {
  const seen: Capture[] = [];
  const onDiscover = (p: Peripheral) => seen.push({ address: p.address, localName: p.advertisement.localName });
  noble.on('discover', onDiscover);
  try {
    await noble.startScanningAsync([nobleUuid(SERVICE_UUID)], false);
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    await noble.stopScanningAsync();
    noble.removeListener('discover', onDiscover);
  }
  return seen;
}

/** What the car advertised before private advertising: everything derived from the VIN alone. */
const sha256 = (text: string) => createHash('sha256').update(text).digest();
const VIN_DERIVED = { localName: `S${sha256(VIN).toString('hex').slice(0, 16)}D`, address: staticRandomAddress(sha256(`ble-address:${VIN}`).subarray(0, 6)) };

describe('private advertising', () => {
  it('advertisement linkability: a stranger\'s captures from two periods differ in name and address, neither comes from the VIN, and only the key holder resolves them', async () => {
    const w = await newWorld();
    const stranger = createPhone(w.air);
    const [first] = await capture(stranger.noble);
    const firstAtMs = w.clock.now();
    // Within a period the car stays as it was (one name and address per period, not per scan).
    w.clock.advance(10 * MINUTE);
    expect(await capture(createPhone(w.air).noble)).toEqual([first]);
    w.clock.advance(5 * MINUTE);
    const [later] = await capture(createPhone(w.air).noble);
    const laterAtMs = w.clock.now();

    expect(first).toBeDefined();
    expect(later).toBeDefined();
    expect(later!.localName).not.toBe(first!.localName);
    expect(later!.address).not.toBe(first!.address);
    for (const c of [first!, later!]) {
      expect(c.localName).toMatch(/^S[0-9a-f]{16}D$/);
      // A non-resolvable private address: the two top bits 00.
      expect(parseInt(c.address.slice(0, 2), 16) >> 6).toBe(0);
      expect([c.localName, c.address]).not.toContain(VIN_DERIVED.localName);
      expect([c.localName, c.address]).not.toContain(VIN_DERIVED.address);
      expect(JSON.stringify(c)).not.toContain(VIN);
    }
    // The car's key holders resolve each capture in its period; another car's key resolves neither.
    expect(resolveAdvertisingName(first!.localName, ADVERTISING_KEY, firstAtMs)).toBe(true);
    expect(resolveAdvertisingName(later!.localName, ADVERTISING_KEY, laterAtMs)).toBe(true);
    const otherCarsKey = deriveAdvertisingKey(new Uint8Array(32).fill(1));
    expect(resolveAdvertisingName(first!.localName, otherCarsKey, firstAtMs)).toBe(false);
    expect(resolveAdvertisingName(later!.localName, otherCarsKey, laterAtMs)).toBe(false);
  });

  it('after a rotation the owner\'s phone finds its car in one scan, and a bonded phone reconnects without discovery', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const bonds = w.phone.bindings;
    const first = await w.send({ cmd: 'unlock', credential: key.credential, bonds });
    expect([first.response.code, first.metrics.roundTrips]).toEqual(['OK', 7]);
    const before = w.air.connections().at(-1)!.peripheralAddress;

    w.clock.advance(ADVERTISING_PERIOD_MS);
    const scans = vi.spyOn(bonds, 'startScanning');
    const second = await w.send({ cmd: 'lock', credential: key.credential, bonds });
    expect(second.response.code).toBe('OK');
    // The MTU exchange only: the bond, kept under the VIN, served discovery and the CCCD (and the
    // phone, at a new address, asked for its challenge with an empty write).
    expect(second.metrics.roundTrips).toBe(1);
    expect(scans).toHaveBeenCalledTimes(1);
    const after = w.air.connections().at(-1)!.peripheralAddress;
    expect(after).not.toBe(before);
    expect(after).toBe(w.vehicle.address);
  });

  it('a phone whose clock is ten minutes off still finds the car (the period either side is tried)', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    for (const offMs of [-10 * MINUTE, 10 * MINUTE]) {
      const { response } = await w.send({ cmd: 'unlock', credential: key.credential, advertising: { key: ADVERTISING_KEY, clock: new ManualClock(w.clock.now() + offMs) } });
      expect(response.code).toBe('OK');
    }
  });

  it('a rotation does not drop a connection: a session opened before it still carries a command after it', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const session = await openVehicleSession({ noble: w.phone.noble, vin: VIN, advertising: w.advertising, metricsSource: w.phone.bindings });
    try {
      const before = w.vehicle.address;
      w.clock.advance(ADVERTISING_PERIOD_MS);
      // A scanner in the new period sees the car at its new address, while the session stays on the old one.
      const [seen] = await capture(createPhone(w.air).noble);
      expect(seen?.address).not.toBe(before);
      expect(w.air.connections()).toEqual([expect.objectContaining({ peripheralAddress: before, open: true })]);

      const challenge = await session.readChallenge();
      const request = await buildCommandRequest({ challenge, vin: VIN, cmd: 'unlock', credential: key.credential, passkeyId: key.passkey.id, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
      expect(await session.request(encodeRequest(request))).toMatchObject({ ok: true, code: 'OK', cmd: 'unlock' });
      expect(w.vehicle.state.actuators.locked).toBe(false);
    } finally {
      await session.close();
    }
  });
});
