/**
 * The phone's BLE side: bounded waits (TIMEOUT, which may have succeeded), the request it builds
 * (assertion over tx, the bound passkey, compact), its check of the car's authenticated answer (a
 * fake car or a relay cannot report "unlocked"), and its metrics.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Air } from '../../../ble-sim/air/air.js';
import type { GattServer } from '../../../ble-sim/air/gattServer.js';
import { buildCommandRequest } from '../../../ble-sim/phone/commandRequest.js';
import { sendCommand } from '../../../ble-sim/phone/phoneCentral.js';
import { VirtualAuthenticator } from '../../../ble-sim/phone/virtualAuthenticator.js';
import { CHALLENGE_CHAR_UUID, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID, SERVICE_UUID } from '../../../shared/ble/gattUuids.js';
import { encodeFrames } from '../../../shared/ble/framing.js';
import { decodeRequest, encodeChallenge, encodeResponse } from '../../../shared/ble/messages.js';
import { base64UrlToBytes } from '../../../shared/base64url.js';
import { canonicalClientDataJSON } from '../../../shared/ble/canonicalClientData.js';
import { sha256 } from '../../../shared/ble/transactionHash.js';
import { compressedPointOfCoseKey } from '../../../shared/cose/p256Point.js';
import type { PeripheralLink } from '../../../ble-sim/air/links.js';
import { transactionHash } from '../../../shared/ble/transactionHash.js';
import { advertisingName } from '../../../shared/ble/advertisingName.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { ADVERTISING_KEY, createIssuer, createPhone, mintCredential, mintManifest, ORIGIN, registerPasskey, responseKeyFor, RP_ID, VIN } from '../../support/bleFixtures.js';
import { bleWorldPerTest } from '../../support/bleWorldPerTest.js';

const newWorld = bleWorldPerTest();

const notify = (link: PeripheralLink, message: Uint8Array) => {
  for (const f of encodeFrames(message, link.mtu)) link.notify(SERVICE_UUID, RESPONSE_CHAR_UUID, f);
};
const challengeMessage = () => encodeChallenge({ nonce: new Uint8Array(16), seq: 0 });

/**
 * A car that pushes challenges and takes requests but never answers (or refuses every write), or —
 * `answer` — a fake car that answers each request with what `answer` makes of it.
 */
function silentCar(air: Air, opts: { refuseWrites?: boolean; hangUpOnWrite?: boolean; answer?: (request: Uint8Array) => Uint8Array; nowMs?: number } = {}) {
  let request: number[] = [];
  const server: GattServer = {
    services: [
      {
        uuid: SERVICE_UUID,
        characteristics: [
          { uuid: CHALLENGE_CHAR_UUID, properties: ['read'] },
          { uuid: REQUEST_CHAR_UUID, properties: opts.refuseWrites ? ['read'] : ['write', 'writeWithoutResponse'] },
          { uuid: RESPONSE_CHAR_UUID, properties: ['notify'] },
        ],
      },
    ],
    onRead: () => challengeMessage(),
    onSubscribe: (link) => notify(link, challengeMessage()),
    onWrite: (link, _s, _c, value) => {
      if (opts.hangUpOnWrite) link.disconnect();
      if (!opts.answer) return;
      request.push(...value);
      const length = ((request[0] ?? 0) << 8) | (request[1] ?? 0);
      if (request.length < 2 + length) return;
      const whole = Uint8Array.from(request.slice(2, 2 + length));
      request = [];
      notify(link, opts.answer(whole));
    },
  };
  // Its name by the system clock, which the phone resolves with (no clock given).
  return air.advertise({ localName: advertisingName(ADVERTISING_KEY, opts.nowMs ?? Date.now()), serviceUuids: [SERVICE_UUID], server });
}

async function holder() {
  const issuer = await createIssuer();
  const authenticator = new VirtualAuthenticator();
  const passkey = await registerPasskey(authenticator);
  const credential = await mintCredential({ issuer, passkey });
  return { authenticator, passkey, credential, responseKey: responseKeyFor(new Uint8Array(32), credential) };
}

describe('sendCommand timeouts', () => {
  it.each([
    ['the car takes the request and never answers', {}, 'response'],
    // Fragments are write commands: a refused one is dropped unseen, so the phone waits for the response.
    ['the car refuses the write (noble hears nothing)', { refuseWrites: true }, 'response'],
  ])('%s → TIMEOUT that may have succeeded, and the phone hangs up', async (_name, carOpts, stage) => {
    const air = new Air();
    const car = silentCar(air, carOpts);
    const phone = createPhone(air);
    const { authenticator, credential, responseKey } = await holder();
    const started = Date.now();
    const err = await sendCommand({ noble: phone.noble, advertising: { key: ADVERTISING_KEY }, vin: VIN, cmd: 'unlock', credential, responseKey, authenticator, rpId: RP_ID, origin: ORIGIN, timeoutMs: 200 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(DigitalKeyError);
    expect(err).toMatchObject({ code: 'TIMEOUT', mayHaveSucceeded: true, temporary: false, detail: { stage, requestSent: true } });
    await expect.poll(() => car.links().length).toBe(0);
  });

  it('the car hangs up mid-command → TIMEOUT at once (not at the deadline), may have succeeded', async () => {
    const air = new Air();
    silentCar(air, { hangUpOnWrite: true });
    const phone = createPhone(air);
    const { authenticator, credential, responseKey } = await holder();
    const started = Date.now();
    const err = await sendCommand({ noble: phone.noble, advertising: { key: ADVERTISING_KEY }, vin: VIN, cmd: 'unlock', credential, responseKey, authenticator, rpId: RP_ID, origin: ORIGIN, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toMatchObject({ code: 'TIMEOUT', mayHaveSucceeded: true, detail: { requestSent: true, disconnected: true } });
  });

  it('no car in range → TIMEOUT while scanning, before anything was sent', async () => {
    const phone = createPhone(new Air());
    const { authenticator, credential, responseKey } = await holder();
    const err = await sendCommand({ noble: phone.noble, advertising: { key: ADVERTISING_KEY }, vin: VIN, cmd: 'unlock', credential, responseKey, authenticator, rpId: RP_ID, origin: ORIGIN, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', detail: { stage: 'scan', requestSent: false } });
  });
});

describe('a fake car or a relay cannot report "unlocked"', () => {
  const ok = (cmd: 'unlock') => ({ code: 'OK' as const, cmd, vehicle: { locked: false, engine: false } });
  it.each<[string, (request: Uint8Array) => Uint8Array]>([
    ['an OK without a MAC', () => encodeResponse(ok('unlock'))],
    ['an OK with a MAC of random bytes', () => encodeResponse({ ...ok('unlock'), mac: new Uint8Array(8).fill(9) })],
  ])('%s → RESPONSE_UNVERIFIED, not ok', async (_name, answer) => {
    const air = new Air();
    silentCar(air, { answer });
    const phone = createPhone(air);
    const { authenticator, credential, responseKey } = await holder();
    const { response, authenticated } = await sendCommand({ noble: phone.noble, advertising: { key: ADVERTISING_KEY }, vin: VIN, cmd: 'unlock', credential, responseKey, authenticator, rpId: RP_ID, origin: ORIGIN, timeoutMs: 3000 });
    expect(response).toMatchObject({ ok: false, code: 'RESPONSE_UNVERIFIED' });
    expect(authenticated).toBe(false);
  });

  it("a relay replaying the car's authenticated OK from an earlier request → RESPONSE_UNVERIFIED (the MAC is bound to tx)", async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const phone = createPhone(w.air);
    // Record a genuine authenticated OK from the car (as a relay on the air would).
    const genuine = await w.send({ cmd: 'unlock', credential: key.credential, phone: w.phone });
    expect(genuine.authenticated).toBe(true);
    const recorded = encodeResponse(genuine.response);
    await w.vehicle.stop();
    silentCar(w.air, { answer: () => recorded, nowMs: w.clock.now() });
    const { response } = await sendCommand({ noble: phone.noble, advertising: w.advertising, vin: VIN, cmd: 'unlock', credential: key.credential, responseKey: key.responseKey, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN, timeoutMs: 3000 });
    expect(response).toMatchObject({ ok: false, code: 'RESPONSE_UNVERIFIED' });
  });

  it('a refusal without a MAC is passed on as said, marked unauthenticated', async () => {
    const air = new Air();
    silentCar(air, { answer: () => encodeResponse({ code: 'EXPIRED', cmd: 'unlock', vehicle: { locked: true, engine: false } }) });
    const phone = createPhone(air);
    const { authenticator, credential, responseKey } = await holder();
    const result = await sendCommand({ noble: phone.noble, advertising: { key: ADVERTISING_KEY }, vin: VIN, cmd: 'unlock', credential, responseKey, authenticator, rpId: RP_ID, origin: ORIGIN, timeoutMs: 3000 });
    expect(result).toMatchObject({ response: { ok: false, code: 'EXPIRED' }, authenticated: false, carHoldsCredential: false });
  });

  it("the car's own answers are authenticated, refusals included", async () => {
    const w = await newWorld();
    const key = await w.issueKey({ perms: ['lock'] });
    expect(await w.send({ cmd: 'unlock', credential: key.credential })).toMatchObject({ response: { code: 'PERMISSION_DENIED' }, authenticated: true });
    expect(await w.send({ cmd: 'lock', credential: key.credential })).toMatchObject({ response: { ok: true }, authenticated: true, carHoldsCredential: true });
  });
});

describe('a credential the car holds travels as an 8-byte reference', () => {
  it('after an OK the phone names the credential by reference; after a car restart (cache lost) it resends it whole on the same link', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const first = await w.send({ cmd: 'unlock', credential: key.credential, bonds: w.phone.bindings });
    expect(first.carHoldsCredential).toBe(true);
    const cached = await w.send({ cmd: 'lock', credential: key.credential, bonds: w.phone.bindings, carHoldsCredential: true });
    expect(cached.response.ok).toBe(true);
    expect(cached.metrics.bytesOnAir.centralToPeripheral).toBeLessThan(first.metrics.bytesOnAir.centralToPeripheral - 250);
    await w.restartVehicle();
    const afterRestart = await w.send({ cmd: 'unlock', credential: key.credential, bonds: w.phone.bindings, carHoldsCredential: true });
    expect(afterRestart).toMatchObject({ response: { ok: true }, carHoldsCredential: true });
    expect(w.vehicle.events().map((e) => e.code).slice(-2)).toEqual(['CREDENTIAL_UNKNOWN', 'OK']);
  });
});

describe('buildCommandRequest', () => {
  it('signs tx = H(nonce, VIN, cmd, H(credential)) with the passkey the phone names (the one the credential binds), and sends it compact', async () => {
    const { authenticator, passkey, credential } = await holder();
    await registerPasskey(authenticator); // a second passkey on the same phone, not to be used
    const nonce = new Uint8Array(16).fill(7);
    const challenge = { nonce, seq: 0 };
    const request = await buildCommandRequest({ challenge, vin: VIN, cmd: 'lock', credential, authenticator, rpId: RP_ID, origin: ORIGIN, passkeyId: passkey.id });
    const tx = transactionHash({ nonce, vin: VIN, cmd: 'lock', credentialDigest: sha256(base64UrlToBytes(credential)) });
    // The assertion verifies with the bound passkey over the canonical clientDataJSON the car rebuilds.
    const { verifyAssertion } = await import('../../../ble-sim/vehicle/verifyAssertion.js');
    const { readKeyCredential } = await import('../../../shared/credential/keyCredential.js');
    const bound = readKeyCredential(base64UrlToBytes(credential));
    expect(Buffer.from(bound.passkeyPoint).equals(Buffer.from(compressedPointOfCoseKey(Buffer.from(passkey.pk, 'base64url'))))).toBe(true);
    expect(verifyAssertion(request, { challenge: tx, origins: [ORIGIN], rpId: RP_ID, passkeyPoint: bound.passkeyPoint })).toMatchObject({ ok: true });
    expect(request.clientDataJSON).toBeUndefined();
    expect(canonicalClientDataJSON(tx, ORIGIN)).toBeDefined();
    expect(request.sig).toHaveLength(64);
    expect(request.authData).toHaveLength(5);
    expect(Buffer.from(request.cred!).toString('base64url')).toBe(credential);
    expect(request.ref).toBeUndefined();
    expect(request.state).toBeUndefined();
    const byRef = await buildCommandRequest({ challenge, vin: VIN, cmd: 'lock', credential, authenticator, rpId: RP_ID, origin: ORIGIN, passkeyId: passkey.id, byReference: true });
    expect(byRef.cred).toBeUndefined();
    expect(Buffer.from(byRef.ref!).toString('hex')).toBe(Buffer.from(sha256(base64UrlToBytes(credential))).subarray(0, 8).toString('hex'));
    expect(decodeRequest((await import('../../../shared/ble/messages.js')).encodeRequest(byRef)).ref).toHaveLength(8);
  });
});

describe('sendCommand with a state manifest', () => {
  it('delivers a manifest that fits, and leaves out one too big for the 2048-byte frame rather than fail the command', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const small = await mintManifest({ issuer: w.issuer, seq: 1, revoked: [randomUUID()] });
    expect((await w.send({ cmd: 'unlock', credential: key.credential, state: small })).response.code).toBe('OK');
    expect(w.vehicle.state.seq).toBe(1);
    const big = await mintManifest({ issuer: w.issuer, seq: 2, revoked: Array.from({ length: 250 }, () => randomUUID()) });
    expect((await w.send({ cmd: 'lock', credential: key.credential, state: big })).response.code).toBe('OK');
    expect(w.vehicle.state.seq).toBe(1);
  });
});

describe('the request the phone builds carries only what the car needs', () => {
  it('a manifest only when it is newer than the seq the car named in its challenge; never a userHandle', async () => {
    const { authenticator, credential } = await holder();
    const issuer = await createIssuer();
    const manifest = await mintManifest({ issuer, seq: 5, revoked: [] });
    const build = (carSeq: number) => buildCommandRequest({ challenge: { nonce: new Uint8Array(16), seq: carSeq }, vin: VIN, cmd: 'unlock', credential, authenticator, rpId: RP_ID, origin: ORIGIN, state: manifest });
    expect(Buffer.from((await build(4)).state!).toString('base64url')).toBe(manifest);
    expect((await build(5)).state).toBeUndefined();
    expect((await build(9)).state).toBeUndefined();
  });
});

describe('sendCommand metrics', () => {
  it('reports the link metrics of the finished connection from AirBindings', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const { metrics } = await w.send({ cmd: 'unlock', credential: key.credential });
    const record = w.air.connections().at(-1)!;
    expect(record.open).toBe(false);
    expect(metrics).toEqual(record.metrics());
  });

  it('falls back to what the phone saw when no link-metrics source is given (a real radio)', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const { response, metrics } = await sendCommand({ noble: w.phone.noble, advertising: w.advertising, vin: VIN, cmd: 'unlock', credential: key.credential, responseKey: key.responseKey, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
    expect(response.ok).toBe(true);
    // Discovery (service, characteristics, descriptors) and the CCCD write; the challenge is pushed, fragments are write commands.
    expect(metrics.roundTrips).toBe(4);
    // The whole credential (~230 bytes) and the compact assertion.
    expect(metrics.bytesOnAir.centralToPeripheral).toBeGreaterThan(250);
    expect(metrics.intervalMs).toBe(0);
  });
});
