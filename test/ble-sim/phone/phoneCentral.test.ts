/**
 * The phone's BLE side: bounded waits (TIMEOUT, which may have succeeded), the request it builds
 * (assertion over tx, the bound passkey), and its metrics.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Air } from '../../../ble-sim/air/air.js';
import type { GattServer } from '../../../ble-sim/air/gattServer.js';
import { buildCommandRequest } from '../../../ble-sim/phone/commandRequest.js';
import { sendCommand } from '../../../ble-sim/phone/phoneCentral.js';
import { VirtualAuthenticator } from '../../../ble-sim/phone/virtualAuthenticator.js';
import { CHALLENGE_CHAR_UUID, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID, SERVICE_UUID } from '../../../shared/ble/gattUuids.js';
import { encodeMessage } from '../../../shared/ble/messages.js';
import { transactionHash } from '../../../shared/ble/transactionHash.js';
import { advertisingName } from '../../../shared/ble/advertisingName.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { ADVERTISING_KEY, createIssuer, createPhone, mintCredential, mintManifest, ORIGIN, registerPasskey, RP_ID, VIN } from '../../support/bleFixtures.js';
import { bleWorldPerTest } from '../../support/bleWorldPerTest.js';

const newWorld = bleWorldPerTest();

/** A car that serves challenges and takes requests but never answers (or refuses every write). */
function silentCar(air: Air, opts: { refuseWrites?: boolean; hangUpOnWrite?: boolean } = {}) {
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
    onRead: () => encodeMessage({ v: 1, nonce: new Uint8Array(32), seq: 0, t: 0 }),
    onWrite: (link) => {
      if (opts.hangUpOnWrite) link.disconnect();
    },
  };
  // Its name by the system clock, which the phone resolves with (no clock given).
  return air.advertise({ localName: advertisingName(ADVERTISING_KEY, Date.now()), serviceUuids: [SERVICE_UUID], server });
}

async function holder() {
  const issuer = await createIssuer();
  const authenticator = new VirtualAuthenticator();
  const passkey = await registerPasskey(authenticator);
  return { authenticator, passkey, credential: await mintCredential({ issuer, passkey }) };
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
    const { authenticator, credential } = await holder();
    const started = Date.now();
    const err = await sendCommand({ noble: phone.noble, advertising: { key: ADVERTISING_KEY }, vin: VIN, cmd: 'unlock', credential, authenticator, rpId: RP_ID, origin: ORIGIN, timeoutMs: 200 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(DigitalKeyError);
    expect(err).toMatchObject({ code: 'TIMEOUT', mayHaveSucceeded: true, temporary: false, detail: { stage, requestSent: true } });
    await expect.poll(() => car.links().length).toBe(0);
  });

  it('the car hangs up mid-command → TIMEOUT at once (not at the deadline), may have succeeded', async () => {
    const air = new Air();
    silentCar(air, { hangUpOnWrite: true });
    const phone = createPhone(air);
    const { authenticator, credential } = await holder();
    const started = Date.now();
    const err = await sendCommand({ noble: phone.noble, advertising: { key: ADVERTISING_KEY }, vin: VIN, cmd: 'unlock', credential, authenticator, rpId: RP_ID, origin: ORIGIN, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toMatchObject({ code: 'TIMEOUT', mayHaveSucceeded: true, detail: { requestSent: true, disconnected: true } });
  });

  it('no car in range → TIMEOUT while scanning, before anything was sent', async () => {
    const phone = createPhone(new Air());
    const { authenticator, credential } = await holder();
    const err = await sendCommand({ noble: phone.noble, advertising: { key: ADVERTISING_KEY }, vin: VIN, cmd: 'unlock', credential, authenticator, rpId: RP_ID, origin: ORIGIN, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', detail: { stage: 'scan', requestSent: false } });
  });
});

describe('buildCommandRequest', () => {
  it('signs tx = H(nonce, VIN, cmd, H(credential)) with the passkey the credential is bound to', async () => {
    const { authenticator, passkey, credential } = await holder();
    const other = await registerPasskey(authenticator); // a second passkey on the same phone
    const nonce = new Uint8Array(32).fill(7);
    const request = await buildCommandRequest({ challenge: { v: 1, nonce, seq: 0, t: 0 }, vin: VIN, cmd: 'lock', credential, authenticator, rpId: RP_ID, origin: ORIGIN });
    expect(Buffer.from(request.asr.id).toString('base64url')).toBe(passkey.id);
    expect(Buffer.from(request.asr.id).toString('base64url')).not.toBe(other.id);
    const clientData = JSON.parse(new TextDecoder().decode(request.asr.clientDataJSON)) as { type: string; challenge: string; origin: string };
    expect(clientData).toMatchObject({ type: 'webauthn.get', origin: ORIGIN });
    expect(clientData.challenge).toBe(Buffer.from(transactionHash({ nonce, vin: VIN, cmd: 'lock', credential })).toString('base64url'));
    expect(request).toMatchObject({ v: 1, cmd: 'lock', cred: credential });
    expect(request.state).toBeUndefined();
  });
});

describe('sendCommand with a state manifest', () => {
  it('delivers a manifest that fits, and leaves out one too big for the 2048-byte frame rather than fail the command', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const small = await mintManifest({ issuer: w.issuer, seq: 1, revoked: [randomUUID()] });
    expect((await w.send({ cmd: 'unlock', credential: key.credential, state: small })).response.code).toBe('OK');
    expect(w.vehicle.state.seq).toBe(1);
    const big = await mintManifest({ issuer: w.issuer, seq: 2, revoked: Array.from({ length: 30 }, () => randomUUID()) });
    expect((await w.send({ cmd: 'lock', credential: key.credential, state: big })).response.code).toBe('OK');
    expect(w.vehicle.state.seq).toBe(1);
  });
});

describe('the request the phone builds carries only what the car needs', () => {
  it('a manifest only when it is newer than the seq the car named in its challenge; never a userHandle', async () => {
    const { authenticator, credential } = await holder();
    const issuer = await createIssuer();
    const manifest = await mintManifest({ issuer, seq: 5, revoked: [] });
    const build = (carSeq: number) => buildCommandRequest({ challenge: { v: 1, nonce: new Uint8Array(32), seq: carSeq, t: 0 }, vin: VIN, cmd: 'unlock', credential, authenticator, rpId: RP_ID, origin: ORIGIN, state: manifest });
    expect((await build(4)).state).toBe(manifest);
    expect((await build(5)).state).toBeUndefined();
    expect((await build(9)).state).toBeUndefined();
    expect((await build(0)).asr.userHandle).toBeUndefined();
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
    const { response, metrics } = await sendCommand({ noble: w.phone.noble, advertising: w.advertising, vin: VIN, cmd: 'unlock', credential: key.credential, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
    expect(response.ok).toBe(true);
    // Discovery (service, characteristics, descriptors), the CCCD write and the challenge read; fragments are write commands.
    expect(metrics.roundTrips).toBe(5);
    expect(metrics.bytesOnAir.centralToPeripheral).toBeGreaterThan(500);
    expect(metrics.intervalMs).toBe(0);
  });
});
