/**
 * End to end over BLE: a phone (noble over the simulated air, VirtualAuthenticator) sends commands
 * to the simulated vehicle, which verifies credential + assertion offline and acts. Each attack
 * test names the attack and checks the exact code the car answers (DESIGN.md §3).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LINK_PROFILE, LOSSY_LINK_PROFILE, MIN_MTU_LINK_PROFILE, SLOW_LINK_PROFILE, type LinkProfile } from '../../ble-sim/air/linkProfile.js';
import { buildCommandRequest, type AssertionSource } from '../../ble-sim/phone/commandRequest.js';
import { openVehicleSession } from '../../ble-sim/phone/vehicleSession.js';
import { encodeRequest } from '../../shared/ble/messages.js';
import { revokedKeyDigestHex } from '../../shared/credential/revokedKeyDigest.js';
import type { Command } from '../../shared/commands.js';
import {
  createIssuer,
  counterKeyOf,
  createPhone,
  DAY_S,
  mintCredential,
  mintManifest,
  ORIGIN,
  OTHER_VIN,
  RP_ID,
  START_MS,
  VIN,
  type BleWorld,
} from '../support/bleFixtures.js';
import { bleWorldPerTest } from '../support/bleWorldPerTest.js';

const newWorld = bleWorldPerTest();

function setup(linkProfile?: LinkProfile): Promise<BleWorld> {
  return newWorld(linkProfile ? { linkProfile } : {});
}

describe.each([
  ['MTU 185 / 30 ms (default)', DEFAULT_LINK_PROFILE],
  ['MTU 23 / 7.5 ms', MIN_MTU_LINK_PROFILE],
  ['MTU 185 / 30 ms, 20 % loss', LOSSY_LINK_PROFILE],
])('commands through noble at %s', (_name, profile) => {
  it('unlock, lock, start and trunk act on the car and report link metrics', async () => {
    const w = await setup(profile);
    const key = await w.issueKey();
    const expected: Record<Command, { locked: boolean; engine: boolean }> = {
      unlock: { locked: false, engine: false },
      lock: { locked: true, engine: false },
      start: { locked: true, engine: true },
      trunk: { locked: true, engine: true },
    };
    for (const cmd of ['unlock', 'lock', 'start', 'trunk'] as const) {
      const { response, metrics } = await w.send({ cmd, credential: key.credential });
      expect(response).toMatchObject({ v: 2, ok: true, code: 'OK', cmd, vehicle: expected[cmd] });
      expect(metrics.mtu).toBe(profile.mtu);
      expect(metrics.intervalMs).toBe(profile.intervalMs);
      // Setup, each round trip and each retransmission take an event of their own, then termination;
      // write commands and notifications share events up to the profile's packets per event.
      expect(metrics.connectionEvents).toBeGreaterThanOrEqual(1 + metrics.roundTrips + metrics.retransmissions + 1 + (metrics.notifications > 0 ? 1 : 0));
      const request = Math.ceil(1100 / (profile.mtu - 3) / (profile.packetsPerEvent ?? 1));
      expect(metrics.connectionEvents).toBeLessThanOrEqual(1 + metrics.roundTrips + metrics.retransmissions + request + 2 + metrics.notifications + 1);
      expect(metrics.simulatedMs).toBe(metrics.connectionEvents * profile.intervalMs);
      if (!profile.lossRate) expect(metrics.retransmissions).toBe(0);
    }
    expect(w.vehicle.state.actuators).toEqual({ locked: true, engine: true });
    // Relay-attack evidence: RSSI and timing recorded with every command.
    const events = w.vehicle.events();
    expect(events.map((e) => e.cmd)).toEqual(['unlock', 'lock', 'start', 'trunk']);
    for (const e of events) {
      expect(e.keyId).toBe(key.keyId);
      expect(e.rssi).toBeGreaterThanOrEqual(-62);
      expect(e.rssi).toBeLessThanOrEqual(-58);
      expect(e.rttMs).toBeGreaterThanOrEqual(profile.intervalMs);
      expect(e.challengeToRequestMs).toBeGreaterThan(0);
    }
  });
});

describe('attacks over BLE', () => {
  it('replay: the same request bytes written again on the same connection → UNKNOWN_NONCE', async () => {
    const w = await setup();
    const key = await w.issueKey();
    const session = await openVehicleSession({ noble: w.phone.noble, vin: VIN, advertising: w.advertising });
    try {
      const challenge = await session.readChallenge();
      const bytes = encodeRequest(
        await buildCommandRequest({ challenge, vin: VIN, cmd: 'unlock', credential: key.credential, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN }),
      );
      await session.writeMessage(bytes);
      expect((await session.nextResponse()).code).toBe('OK');
      await session.writeMessage(bytes);
      expect(await session.nextResponse()).toMatchObject({ ok: false, code: 'UNKNOWN_NONCE', cmd: 'unlock' });
    } finally {
      await session.close();
    }
  });

  it('replay: sniffed request bytes written on a new connection → BAD_ASSERTION (the car pushed its own fresh nonce), then UNKNOWN_NONCE (spent)', async () => {
    const w = await setup();
    const key = await w.issueKey();
    const victim = await openVehicleSession({ noble: w.phone.noble, vin: VIN, advertising: w.advertising });
    const challenge = await victim.readChallenge();
    const sniffed = encodeRequest(
      await buildCommandRequest({ challenge, vin: VIN, cmd: 'unlock', credential: key.credential, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN }),
    );
    await victim.writeMessage(sniffed);
    expect((await victim.nextResponse()).code).toBe('OK');
    await victim.close();
    await w.send({ cmd: 'lock', credential: key.credential });

    const attacker = createPhone(w.air);
    const replay = await openVehicleSession({ noble: attacker.noble, vin: VIN, advertising: w.advertising });
    try {
      await replay.writeMessage(sniffed);
      expect(await replay.nextResponse()).toMatchObject({ ok: false, code: 'BAD_ASSERTION' });
      await replay.writeMessage(sniffed);
      expect(await replay.nextResponse()).toMatchObject({ ok: false, code: 'UNKNOWN_NONCE' });
      await replay.readChallenge();
      await replay.writeMessage(sniffed);
      expect(await replay.nextResponse()).toMatchObject({ ok: false, code: 'BAD_ASSERTION' });
    } finally {
      await replay.close();
    }
    expect(w.vehicle.state.actuators.locked).toBe(true);
  });

  it('a phone that stops mid-message: the car drops the partial message after 2 s and answers BAD_FRAME', async () => {
    const w = await setup();
    const session = await openVehicleSession({ noble: w.phone.noble, vin: VIN, advertising: w.advertising });
    try {
      await session.readChallenge();
      // The first fragment announces 500 bytes; the rest never comes.
      await session.writeFragments([new Uint8Array([0x01, 0xf4, 0xa1, 0x61])]);
      // Nothing else is sent: only the car's own 2 s rule can produce this answer.
      expect(await session.nextResponse()).toMatchObject({ ok: false, code: 'BAD_FRAME' });
    } finally {
      await session.close();
    }
  });

  it.each([
    // Seeds picked so that the car's host drops a fragment of the first copy (then of none, then of the copy sent again).
    ['the copy sent again gets through → OK, unlocked', 1, 'OK', ['BAD_FRAME', 'OK'], false],
    ['the copy sent again loses one too → BAD_FRAME, nothing done', 14, 'BAD_FRAME', undefined, true],
  ] as const)('a request fragment the car drops (write command lost): BAD_FRAME after 2 s, the phone resends the whole message once; %s', async (_name, seed, code, events, locked) => {
    const w = await newWorld({ linkProfile: { ...DEFAULT_LINK_PROFILE, commandLossRate: 0.1 }, seed });
    const key = await w.issueKey();
    const { response } = await w.send({ cmd: 'unlock', credential: key.credential });
    expect(response.code).toBe(code);
    expect(w.vehicle.events()[0]?.code).toBe('BAD_FRAME');
    if (events) expect(w.vehicle.events().map((e) => e.code)).toEqual(events);
    expect(w.vehicle.state.actuators.locked).toBe(locked);
  });

  it('every fragment of the request lost unseen: no answer, so the phone sends it again once → OK', async () => {
    // Seed picked so that the car's host drops every fragment of the first copy.
    const w = await newWorld({ linkProfile: { ...DEFAULT_LINK_PROFILE, commandLossRate: 0.1 }, seed: 22 });
    const key = await w.issueKey();
    const { response } = await w.send({ cmd: 'unlock', credential: key.credential, timeoutMs: 10_000 });
    expect(response.code).toBe('OK');
    expect(w.vehicle.events().map((e) => e.code)).toEqual(['OK']);
  });

  it('a link too slow to carry the request within the nonce lifetime (MTU 23, 2 s interval) → UNKNOWN_NONCE', async () => {
    const w = await setup({ ...SLOW_LINK_PROFILE, intervalMs: 2000 });
    const key = await w.issueKey();
    const { response, metrics } = await w.send({ cmd: 'unlock', credential: key.credential });
    expect(response).toMatchObject({ ok: false, code: 'UNKNOWN_NONCE', vehicle: { locked: true } });
    expect(metrics.simulatedMs).toBeGreaterThan(30_000);
    expect(w.vehicle.events().at(-1)!.challengeToRequestMs).toBeGreaterThan(30_000);
  });

  it('command swap: an assertion made for lock, sent as unlock → BAD_ASSERTION', async () => {
    const w = await setup();
    const key = await w.issueKey();
    const session = await openVehicleSession({ noble: w.phone.noble, vin: VIN, advertising: w.advertising });
    try {
      const challenge = await session.readChallenge();
      const forLock = await buildCommandRequest({ challenge, vin: VIN, cmd: 'lock', credential: key.credential, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
      await session.writeMessage(encodeRequest({ ...forLock, cmd: 'unlock' }));
      expect(await session.nextResponse()).toMatchObject({ ok: false, code: 'BAD_ASSERTION', cmd: 'unlock', vehicle: { locked: true } });
    } finally {
      await session.close();
    }
  });

  it('wrong car: a credential issued for another VIN → WRONG_VEHICLE', async () => {
    const w = await setup();
    const key = await w.issueKey({ vin: OTHER_VIN });
    const { response } = await w.send({ cmd: 'unlock', credential: key.credential });
    expect(response).toMatchObject({ ok: false, code: 'WRONG_VEHICLE', vehicle: { locked: true } });
  });

  it('R14: an assertion without biometric user verification → USER_NOT_VERIFIED', async () => {
    const w = await setup();
    const key = await w.issueKey();
    w.phone.authenticator.biometricPasses = false;
    const { response } = await w.send({ cmd: 'unlock', credential: key.credential });
    expect(response).toMatchObject({ ok: false, code: 'USER_NOT_VERIFIED', vehicle: { locked: true } });
  });

  it('an assertion without user presence (UP flag clear, UV set) → BAD_ASSERTION: the car never relaxes presence (no advancedFIDOConfig)', async () => {
    const w = await setup();
    const key = await w.issueKey();
    const noPresence: AssertionSource = { getAssertion: (o) => w.phone.authenticator.getAssertion({ ...o, userPresent: false }) };
    const { response } = await w.send({ cmd: 'unlock', credential: key.credential, authenticator: noPresence });
    expect(response).toMatchObject({ ok: false, code: 'BAD_ASSERTION', vehicle: { locked: true } });
  });

  it("stolen credential: a valid credential used with the thief's own passkey → BAD_ASSERTION", async () => {
    const w = await setup();
    const key = await w.issueKey();
    const thief = createPhone(w.air);
    await w.issueKey({ phone: thief }); // the thief has a passkey of their own for the same RP
    const anyPasskey: AssertionSource = { getAssertion: (o) => thief.authenticator.getAssertion({ ...o, allowCredentials: [] }) };
    const { response } = await w.send({ cmd: 'unlock', credential: key.credential, phone: thief, authenticator: anyPasskey });
    expect(response).toMatchObject({ ok: false, code: 'BAD_ASSERTION' });
  });

  it("stolen credential: the thief's assertion passed off as the victim's passkey (v2 carries no passkey id: the car uses the credential's key) → BAD_ASSERTION", async () => {
    const w = await setup();
    const key = await w.issueKey();
    const thief = createPhone(w.air);
    await w.issueKey({ phone: thief });
    const relabelled: AssertionSource = {
      getAssertion: (o) => {
        const a = thief.authenticator.getAssertion({ ...o, allowCredentials: [] });
        return { ...a, id: key.passkey.id, rawId: key.passkey.id };
      },
    };
    const { response } = await w.send({ cmd: 'unlock', credential: key.credential, phone: thief, authenticator: relabelled });
    expect(response).toMatchObject({ ok: false, code: 'BAD_ASSERTION' });
    expect(w.vehicle.state.actuators.locked).toBe(true);
  });

  it('a reference to a credential the car does not hold → CREDENTIAL_UNKNOWN, unauthenticated, nothing done', async () => {
    const w = await setup();
    const key = await w.issueKey();
    const result = await w.send({ cmd: 'unlock', credential: key.credential, carHoldsCredential: true, responseKey: key.responseKey });
    // The phone recovers on the same link by sending the credential whole…
    expect(result.response.ok).toBe(true);
    expect(w.vehicle.events().map((e) => e.code)).toEqual(['CREDENTIAL_UNKNOWN', 'OK']);
    // …but an attacker naming a credential by reference gets nothing for it.
    const attacker = createPhone(w.air);
    const session = await openVehicleSession({ noble: attacker.noble, vin: VIN, advertising: w.advertising });
    try {
      const challenge = await session.challenge();
      const other = await w.issueKey({ phone: attacker });
      const request = await buildCommandRequest({ challenge, vin: VIN, cmd: 'unlock', credential: other.credential, byReference: true, authenticator: attacker.authenticator, rpId: RP_ID, origin: ORIGIN });
      await session.writeMessage(encodeRequest(request));
      const answer = await session.nextResponse();
      expect(answer).toMatchObject({ ok: false, code: 'CREDENTIAL_UNKNOWN' });
      expect(answer.mac).toBeUndefined();
    } finally {
      await session.close();
    }
  });

  it('a credential the car holds, named by reference after it expired → EXPIRED (authenticated), and with a thief\'s passkey → BAD_ASSERTION', async () => {
    const w = await setup();
    const key = await w.issueKey({ ttlS: 3600 });
    expect((await w.send({ cmd: 'unlock', credential: key.credential })).carHoldsCredential).toBe(true);
    const thief = createPhone(w.air);
    await w.issueKey({ phone: thief });
    const thiefPasskey: AssertionSource = { getAssertion: (o) => thief.authenticator.getAssertion({ ...o, allowCredentials: [] }) };
    const stolen = await w.send({ cmd: 'lock', credential: key.credential, carHoldsCredential: true, phone: thief, authenticator: thiefPasskey });
    expect(stolen.response).toMatchObject({ ok: false, code: 'BAD_ASSERTION' });
    w.clock.advance(3600_000 + 61_000 + 1000);
    const late = await w.send({ cmd: 'lock', credential: key.credential, carHoldsCredential: true });
    expect(late).toMatchObject({ response: { ok: false, code: 'EXPIRED' }, authenticated: true });
    expect(w.vehicle.state.actuators.locked).toBe(false);
  });

  it('expired credential → EXPIRED, and still EXPIRED after the car clock is rolled back (and after a reboot)', async () => {
    const w = await setup();
    const key = await w.issueKey({ ttlS: 3600 });
    expect((await w.send({ cmd: 'unlock', credential: key.credential })).response.code).toBe('OK');
    w.clock.advance(3600_000 + 61_000 + 1000); // past exp plus the accepted skew
    expect((await w.send({ cmd: 'lock', credential: key.credential })).response.code).toBe('EXPIRED');
    w.clock.set(START_MS); // attacker rolls the clock back
    expect((await w.send({ cmd: 'lock', credential: key.credential })).response.code).toBe('EXPIRED');
    await w.restartVehicle();
    expect((await w.send({ cmd: 'lock', credential: key.credential })).response.code).toBe('EXPIRED');
    expect(w.vehicle.now()).toBeGreaterThan(START_MS + 3600_000);
  });

  it('not yet valid: a credential whose window starts tomorrow → NOT_YET_VALID', async () => {
    const w = await setup();
    const key = await w.issueKey({ nowMs: START_MS + DAY_S * 1000 });
    expect((await w.send({ cmd: 'unlock', credential: key.credential })).response.code).toBe('NOT_YET_VALID');
  });

  it('forged credential: signed by an issuer the car does not trust → BAD_SIGNATURE', async () => {
    const w = await setup();
    const key = await w.issueKey();
    const rogue = await createIssuer(w.issuer.trust.issuer);
    const forged = await mintCredential({ issuer: rogue, passkey: key.passkey, nowMs: START_MS });
    expect((await w.send({ cmd: 'unlock', credential: forged })).response.code).toBe('BAD_SIGNATURE');
  });

  it('R4: a key from before a wipe → EPOCH_STALE once a phone delivers the newer manifest, and forever after', async () => {
    const w = await setup();
    const oldKey = await w.issueKey({ ep: 0 });
    expect((await w.send({ cmd: 'unlock', credential: oldKey.credential })).response.code).toBe('OK');
    const wipe = await mintManifest({ issuer: w.issuer, seq: 1, ep: 1 });
    const newOwner = createPhone(w.air);
    const newKey = await w.issueKey({ phone: newOwner, ep: 1 });
    // The new owner's phone hands the car the manifest with its own (valid) command.
    expect((await w.send({ cmd: 'lock', credential: newKey.credential, state: wipe, phone: newOwner })).response.code).toBe('OK');
    expect(w.vehicle.state).toMatchObject({ seq: 1, ep: 1 });
    expect((await w.send({ cmd: 'unlock', credential: oldKey.credential })).response.code).toBe('EPOCH_STALE');
  });

  it('R4: a stale key carrying the wipe manifest itself is refused by that very manifest → EPOCH_STALE', async () => {
    const w = await setup();
    const oldKey = await w.issueKey({ ep: 0 });
    const wipe = await mintManifest({ issuer: w.issuer, seq: 1, ep: 1 });
    expect((await w.send({ cmd: 'unlock', credential: oldKey.credential, state: wipe })).response.code).toBe('EPOCH_STALE');
    expect(w.vehicle.state.ep).toBe(1);
  });

  it('R6: a revoked key → REVOKED, whether the manifest came from a phone or the sync channel', async () => {
    const w = await setup();
    const lost = await w.issueKey();
    const secondPhone = createPhone(w.air);
    const other = await w.issueKey({ phone: secondPhone });
    const revocation = await mintManifest({ issuer: w.issuer, seq: 1, revoked: [lost.keyId] });
    expect((await w.send({ cmd: 'unlock', credential: lost.credential, state: revocation })).response.code).toBe('REVOKED');
    expect(w.vehicle.state.revoked).toEqual([revokedKeyDigestHex(lost.keyId)]);
    expect((await w.send({ cmd: 'unlock', credential: other.credential, phone: secondPhone })).response.code).toBe('OK');

    const second = await mintManifest({ issuer: w.issuer, seq: 2, revoked: [lost.keyId, other.keyId] });
    expect(await w.vehicle.applyManifest(second)).toEqual({ applied: true, seq: 2, ep: 0 });
    expect((await w.send({ cmd: 'lock', credential: other.credential, phone: secondPhone })).response.code).toBe('REVOKED');
    expect((await w.send({ cmd: 'lock', credential: lost.credential })).response.code).toBe('REVOKED');
  });

  it('a manifest for another VIN, a forged one, or one with a lower seq is ignored, never blocking the command', async () => {
    const w = await setup();
    const key = await w.issueKey();
    const foreign = await mintManifest({ issuer: w.issuer, vin: OTHER_VIN, seq: 9, ep: 3, revoked: [key.keyId] });
    expect((await w.send({ cmd: 'unlock', credential: key.credential, state: foreign })).response.code).toBe('OK');
    const rogue = await createIssuer(w.issuer.trust.issuer);
    const forged = await mintManifest({ issuer: rogue, seq: 9, ep: 3, revoked: [key.keyId] });
    expect((await w.send({ cmd: 'lock', credential: key.credential, state: forged })).response.code).toBe('OK');
    expect(w.vehicle.state).toMatchObject({ seq: 0, ep: 0, revoked: [] });

    expect((await w.vehicle.applyManifest(await mintManifest({ issuer: w.issuer, seq: 5 }))).applied).toBe(true);
    const older = await mintManifest({ issuer: w.issuer, seq: 3, ep: 2, revoked: [key.keyId] });
    expect((await w.send({ cmd: 'unlock', credential: key.credential, state: older })).response.code).toBe('OK');
    expect(await w.vehicle.applyManifest(older)).toEqual({ applied: false, seq: 5, ep: 0 });
    expect(w.vehicle.state).toMatchObject({ seq: 5, ep: 0, revoked: [] });
  });

  it('R3: a restricted shared key used for a command it does not allow → PERMISSION_DENIED', async () => {
    const w = await setup();
    const key = await w.issueKey({ role: 'shared', perms: ['unlock', 'lock'] });
    expect((await w.send({ cmd: 'start', credential: key.credential })).response.code).toBe('PERMISSION_DENIED');
    expect(w.vehicle.state.actuators.engine).toBe(false);
  });

  it('harvested assertion: an assertion made earlier, used after a newer one → COUNTER_REGRESSION', async () => {
    const w = await setup();
    const key = await w.issueKey();
    // Malware on the phone has the authenticator sign a challenge from the attacker's connection…
    const attacker = createPhone(w.air);
    const held = await openVehicleSession({ noble: attacker.noble, vin: VIN, advertising: w.advertising });
    try {
      const challenge = await held.readChallenge();
      const harvested = await buildCommandRequest({ challenge, vin: VIN, cmd: 'unlock', credential: key.credential, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
      // …the owner then uses the car normally (a higher counter)…
      expect((await w.send({ cmd: 'lock', credential: key.credential })).response.code).toBe('OK');
      // …and the held assertion, though signed over a live nonce, is now behind.
      await held.writeMessage(encodeRequest(harvested));
      expect(await held.nextResponse()).toMatchObject({ ok: false, code: 'COUNTER_REGRESSION', vehicle: { locked: true } });
    } finally {
      await held.close();
    }
  });

  it('passkeys without a signature counter (always 0) keep working', async () => {
    const w = await setup();
    w.phone = createPhone(w.air, { countSignatures: false });
    const key = await w.issueKey();
    for (const cmd of ['unlock', 'lock'] as const) expect((await w.send({ cmd, credential: key.credential })).response.code).toBe('OK');
    expect(w.vehicle.state.counters[counterKeyOf(key.passkey)]).toBe(0);
  });

  it('a vehicle rebooted from its state file keeps epoch, revocations, counters and actuators', async () => {
    const w = await setup();
    const staleKey = await w.issueKey({ ep: 0 });
    const revokedPhone = createPhone(w.air);
    const revokedKey = await w.issueKey({ phone: revokedPhone, ep: 1 });
    const ownerPhone = createPhone(w.air);
    const key = await w.issueKey({ phone: ownerPhone, ep: 1 });
    await w.vehicle.applyManifest(await mintManifest({ issuer: w.issuer, seq: 4, ep: 1, revoked: [revokedKey.keyId] }));
    expect((await w.send({ cmd: 'unlock', credential: key.credential, phone: ownerPhone })).response.code).toBe('OK');
    const before = w.vehicle.state;
    expect(before).toMatchObject({ seq: 4, ep: 1, revoked: [revokedKeyDigestHex(revokedKey.keyId)], counters: { [counterKeyOf(key.passkey)]: 1 }, actuators: { locked: false } });

    await w.restartVehicle();
    expect(w.vehicle.state).toEqual(before);
    expect((await w.send({ cmd: 'lock', credential: staleKey.credential })).response.code).toBe('EPOCH_STALE');
    expect((await w.send({ cmd: 'lock', credential: revokedKey.credential, phone: revokedPhone })).response.code).toBe('REVOKED');
    expect((await w.send({ cmd: 'lock', credential: key.credential, phone: ownerPhone })).response.code).toBe('OK');
    expect(w.vehicle.state.counters[counterKeyOf(key.passkey)]).toBe(2);
  });
});
