/**
 * The simulated vehicle as a GATT peripheral: challenges, the sync-channel manifest entry point,
 * the event log, start/stop, and a fuzzer that throws random, truncated and oversized frames and
 * garbage CBOR at it over raw ATT — after which a valid unlock still works (DESIGN.md §3: the
 * vehicle never crashes on any byte sequence).
 */
import { writeFile } from 'node:fs/promises';
import { Tag, encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import type { CentralLink } from '../../../ble-sim/air/links.js';
import { AttError } from '../../../ble-sim/air/gattServer.js';
import { MIN_MTU_LINK_PROFILE, type LinkProfile } from '../../../ble-sim/air/linkProfile.js';
import { SeededRandom } from '../../../ble-sim/air/seededRandom.js';
import { buildCommandRequest } from '../../../ble-sim/phone/commandRequest.js';
import { createVehicle } from '../../../ble-sim/vehicle/createVehicle.js';
import { encodeFrames, FrameAssembler } from '../../../shared/ble/framing.js';
import { CHALLENGE_CHAR_UUID, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID, SERVICE_UUID } from '../../../shared/ble/gattUuids.js';
import { decodeChallenge, decodeNotification, encodeRequest, type ChallengeMessage, type ResponseMessage } from '../../../shared/ble/messages.js';
import { advertisingAddress, advertisingName } from '../../../shared/ble/advertisingName.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { ADVERTISING_KEY, createIssuer, LINK_SECRET, mintManifest, ORIGIN, OTHER_VIN, RP_ID, VIN, type BleWorld } from '../../support/bleFixtures.js';
import { bleWorldPerTest } from '../../support/bleWorldPerTest.js';

const newWorld = bleWorldPerTest();

function setup(linkProfile?: LinkProfile): Promise<BleWorld> {
  return newWorld(linkProfile ? { linkProfile } : {});
}

/** A raw ATT connection to the car (an attacker's radio, no noble in the way). */
async function rawLink(w: BleWorld) {
  const link = await w.air.radio().connect(w.vehicle.address);
  await link.exchangeMtu(517);
  const assembler = new FrameAssembler();
  const responses: ResponseMessage[] = [];
  const pushed: ChallengeMessage[] = [];
  link.onNotification((_s, _c, value) => {
    const r = assembler.push(value, 0);
    if (r.kind === 'message') {
      const n = decodeNotification(r.message);
      if ('challenge' in n) pushed.push(n.challenge);
      else responses.push(n.response);
    }
    if (r.kind === 'error') throw r.error;
  });
  await link.subscribe(SERVICE_UUID, RESPONSE_CHAR_UUID, true);
  return { link, responses, pushed };
}

async function write(link: CentralLink, value: Uint8Array): Promise<void> {
  await link.write(SERVICE_UUID, REQUEST_CHAR_UUID, value).catch((err: unknown) => {
    if (!(err instanceof AttError)) throw err;
  });
}

describe('createVehicle', () => {
  it('advertises the service under its private name and address (from its link secret, never from its VIN), pushes a challenge on subscribe and serves fresh single-use challenges', async () => {
    const w = await setup();
    expect(w.vehicle.localName).toBe(advertisingName(ADVERTISING_KEY, w.clock.now()));
    expect(w.vehicle.address).toBe(advertisingAddress(ADVERTISING_KEY, w.clock.now()));
    expect(w.vehicle.localName).not.toContain(VIN);
    const { link, pushed } = await rawLink(w);
    await expect.poll(() => pushed.length).toBe(1);
    expect(pushed[0]).toMatchObject({ seq: 0 });
    const a = decodeChallenge(await link.read(SERVICE_UUID, CHALLENGE_CHAR_UUID));
    const b = decodeChallenge(await link.read(SERVICE_UUID, CHALLENGE_CHAR_UUID));
    expect(a).toMatchObject({ seq: 0 });
    expect(a.nonce).toHaveLength(16);
    expect(b.nonce).not.toEqual(a.nonce);
    expect(a.nonce).not.toEqual(pushed[0]!.nonce);
  });

  it('an empty write asks for a challenge: the same nonce again while it is fresh; a read replaces it, and a nonce serves once', async () => {
    const w = await setup();
    const key = await w.issueKey();
    const { link, pushed, responses } = await rawLink(w);
    await expect.poll(() => pushed.length).toBe(1);
    await write(link, new Uint8Array(0));
    await expect.poll(() => pushed.length).toBe(2);
    expect(Buffer.from(pushed[1]!.nonce).equals(Buffer.from(pushed[0]!.nonce))).toBe(true);
    const send = async (challenge: ChallengeMessage) => {
      const request = await buildCommandRequest({ challenge, vin: VIN, cmd: 'unlock', credential: key.credential, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
      for (const f of encodeFrames(encodeRequest(request), link.mtu)) await write(link, f);
    };
    // A read replaces the pushed nonce: an assertion over the old one does not verify…
    const read = decodeChallenge(await link.read(SERVICE_UUID, CHALLENGE_CHAR_UUID));
    await send(pushed[0]!);
    await expect.poll(() => responses.length).toBe(1);
    expect(responses[0]).toMatchObject({ ok: false, code: 'BAD_ASSERTION' });
    // …and that attempt spent the read one too.
    await send(read);
    await expect.poll(() => responses.length).toBe(2);
    expect(responses[1]).toMatchObject({ ok: false, code: 'UNKNOWN_NONCE' });
    // An empty write now brings a new nonce, which works once.
    await write(link, new Uint8Array(0));
    await expect.poll(() => pushed.length).toBe(3);
    await send(pushed[2]!);
    await expect.poll(() => responses.length).toBe(3);
    expect(responses[2]).toMatchObject({ ok: true, code: 'OK' });
  });

  it('applies manifests from the sync channel: newer ones only, and says which', async () => {
    const w = await setup();
    expect(await w.vehicle.applyManifest(await mintManifest({ issuer: w.issuer, seq: 0 }))).toEqual({ applied: false, seq: 0, ep: 0 });
    expect(await w.vehicle.applyManifest(await mintManifest({ issuer: w.issuer, seq: 2, ep: 1 }))).toEqual({ applied: true, seq: 2, ep: 1 });
    expect(await w.vehicle.applyManifest(await mintManifest({ issuer: w.issuer, seq: 1, ep: 5 }))).toEqual({ applied: false, seq: 2, ep: 1 });
    const { link } = await rawLink(w);
    expect(decodeChallenge(await link.read(SERVICE_UUID, CHALLENGE_CHAR_UUID)).seq).toBe(2);
  });

  it.each([
    ['for another VIN', 'WRONG_VEHICLE', async (w: BleWorld) => mintManifest({ issuer: w.issuer, seq: 3, vin: OTHER_VIN })],
    ['signed by an untrusted key', 'BAD_SIGNATURE', async (w: BleWorld) => mintManifest({ issuer: await createIssuer(w.issuer.trust.issuer), seq: 3 })],
    ['that is not a COSE_Sign1', 'BAD_STATE', async () => Buffer.from('garbage').toString('base64url')],
    ['that is not base64url', 'BAD_STATE', async () => 'not base64url!'],
  ])('refuses a sync-channel manifest %s with %s', async (_name, code, make) => {
    const w = await setup();
    await expect(w.vehicle.applyManifest(await make(w))).rejects.toMatchObject({ code });
    expect(w.vehicle.state.seq).toBe(0);
  });

  it('refuses to start from a corrupt state file rather than forget its revocations', async () => {
    const w = await setup();
    await w.vehicle.stop();
    await writeFile(w.stateFile, '{"truncated');
    const vehicle = createVehicle({ vin: VIN, linkSecret: LINK_SECRET, trust: w.issuer.trust, rpId: RP_ID, origins: [ORIGIN], stateFile: w.stateFile, clock: w.clock, air: w.air });
    await expect(vehicle.start()).rejects.toThrow(/refusing to start/);
    expect(vehicle.running).toBe(false);
  });

  it('stops advertising and drops connections on stop, and comes back on start', async () => {
    const w = await setup();
    const { link } = await rawLink(w);
    const closed = new Promise<number>((resolve) => link.onClose(resolve));
    await w.vehicle.stop();
    expect(w.vehicle.running).toBe(false);
    expect(await closed).toBe(0x13);
    await expect(w.air.radio().connect(w.vehicle.address)).rejects.toThrow();
    await w.vehicle.start();
    const key = await w.issueKey();
    expect((await w.send({ cmd: 'unlock', credential: key.credential })).response.code).toBe('OK');
  });

  it('drops an incomplete message 2 s (simulated) after its last fragment, then works again', async () => {
    const w = await setup({ mtu: 185, intervalMs: 1000 }); // one event per second
    const { link, responses } = await rawLink(w);
    await write(link, new Uint8Array([0, 100, 1, 2, 3])); // announces 100 bytes, sends 3
    for (let i = 0; i < 3; i++) await link.read(SERVICE_UUID, CHALLENGE_CHAR_UUID); // 3 s pass
    await write(link, new Uint8Array(20).fill(0xa0)); // late continuation
    await expect.poll(() => responses.length).toBe(1);
    expect(responses[0]).toMatchObject({ ok: false, code: 'BAD_FRAME' });
    expect(responses[0]!.cmd).toBeUndefined();

    const key = await w.issueKey();
    const challenge = decodeChallenge(await link.read(SERVICE_UUID, CHALLENGE_CHAR_UUID));
    const request = await buildCommandRequest({ challenge, vin: VIN, cmd: 'unlock', credential: key.credential, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
    for (const f of encodeFrames(encodeRequest(request), link.mtu)) await write(link, f);
    await expect.poll(() => responses.length).toBe(2);
    expect(responses[1]).toMatchObject({ ok: true, code: 'OK', cmd: 'unlock' });
  });

  it('refuses a fragment longer than MTU - 3 (a long write is not a fragment) with BAD_FRAME', async () => {
    const w = await setup(MIN_MTU_LINK_PROFILE);
    const { link, responses } = await rawLink(w);
    await write(link, new Uint8Array([0, 30, ...new Uint8Array(30)]));
    await expect.poll(() => responses.length).toBe(1);
    expect(responses[0]).toMatchObject({ ok: false, code: 'BAD_FRAME' });
  });

  it.each([
    ['MTU 185', undefined, 400],
    ['MTU 23', MIN_MTU_LINK_PROFILE, 150],
  ])('survives a fuzzer at %s: random, truncated, oversized frames and garbage CBOR; then a valid unlock still works', async (_name, profile, rounds) => {
    const w = await setup(profile);
    const key = await w.issueKey();
    const rng = new SeededRandom(2024);
    let { link, responses } = await rawLink(w);
    const seen: ResponseMessage[] = [];
    const mtu = () => link.mtu;
    const validRequest = async () => {
      const challenge = decodeChallenge(await link.read(SERVICE_UUID, CHALLENGE_CHAR_UUID));
      return encodeRequest(await buildCommandRequest({ challenge, vin: VIN, cmd: 'unlock', credential: key.credential, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN }));
    };
    let deep: unknown = 0;
    for (let i = 0; i < 1500; i++) deep = [deep];
    const garbageValues: unknown[] = [
      [1, 2, 3],
      'unlock',
      { v: 2, cmd: 'unlock' },
      new Map<number, unknown>([[0, 1], [3, 0]]),
      new Map<number, unknown>([[0, 2], [3, 9]]),
      new Map<number, unknown>([[0, 2], [3, 0], [4, new Uint8Array(40)], [5, new Uint8Array(8)], [6, new Uint8Array(5)], [7, new Uint8Array(64)]]),
      new Map<number, unknown>([[0, 2], [3, 0], [4, new Uint8Array(40)], [6, new Uint8Array(5)], [7, new Uint8Array(64)]]),
      new Map<number, unknown>([[0, 2], [3, 0], [5, new Uint8Array(8)], [6, new Uint8Array(5)], [7, new Uint8Array(64)]]),
      new Map<number, unknown>([[7, new Uint8Array(64)], [0, 2], [3, 0], [5, new Uint8Array(8)], [6, new Uint8Array(5)]]),
      new Map<number, unknown>([[0, 18446744073709551615n]]),
      new Tag(1, 1e12),
      new Map<unknown, unknown>([[new Uint8Array(2), 1], [[1], 2]]),
      deep,
    ];

    for (let i = 0; i < rounds; i++) {
      switch (rng.int(0, 10)) {
        case 0: // random fragment that fits
          await write(link, rng.bytes(rng.int(0, mtu() - 3)));
          break;
        case 1: // oversized value (long write, or past the 512-byte ATT limit)
          await write(link, rng.bytes(rng.int(mtu() - 2, 600)));
          break;
        case 2: {
          // announced length, truncated body, then something else
          const len = rng.int(1, 2048);
          await write(link, new Uint8Array([len >> 8, len & 0xff, ...rng.bytes(rng.int(0, Math.min(len, mtu() - 5)))]));
          break;
        }
        case 3: // impossible lengths
          await write(link, new Uint8Array([[0, 0], [0xff, 0xff], [0x08, 0x01]][rng.int(0, 2)]!));
          break;
        case 4: // well-framed bytes that are not CBOR (or not a request)
          for (const f of encodeFrames(rng.bytes(rng.int(1, 2048)), mtu())) await write(link, f);
          break;
        case 5: // well-framed CBOR of the wrong shape
          for (const f of encodeFrames(encode(garbageValues[rng.int(0, garbageValues.length - 1)]), mtu())) await write(link, f);
          break;
        case 6: {
          // a valid request, cut short or with one byte flipped
          const frames = encodeFrames(await validRequest(), mtu());
          if (rng.next() < 0.5) frames.pop();
          else frames[rng.int(0, frames.length - 1)]![rng.int(2, 10)]! ^= 0xff;
          for (const f of frames) await write(link, f);
          break;
        }
        case 7: // the wrong characteristics
          await link.write(SERVICE_UUID, CHALLENGE_CHAR_UUID, rng.bytes(4)).catch(() => undefined);
          await link.read(SERVICE_UUID, RESPONSE_CHAR_UUID).catch(() => undefined);
          await link.read(SERVICE_UUID, REQUEST_CHAR_UUID).catch(() => undefined);
          break;
        case 8:
          await link.read(SERVICE_UUID, CHALLENGE_CHAR_UUID);
          break;
        case 9: // a zero-length write and a write command
          await write(link, new Uint8Array(0));
          await link.write(SERVICE_UUID, REQUEST_CHAR_UUID, rng.bytes(3), true).catch(() => undefined);
          break;
        default: // hang up mid-message and come back
          await write(link, new Uint8Array([0, 200, 1]));
          await w.vehicle.settled();
          seen.push(...responses);
          await link.disconnect();
          ({ link, responses } = await rawLink(w));
      }
    }
    await w.air.idle();
    await w.vehicle.settled();
    await w.air.idle();
    seen.push(...responses);
    await link.disconnect();

    expect(w.vehicle.running).toBe(true);
    expect(seen.length).toBeGreaterThan(rounds / 4);
    for (const r of seen) {
      expect(r.code).not.toBe('INTERNAL_ERROR');
      // Every byte of a v2 request is signed or checked: a mutated one never gives an OK for another command.
      if (r.ok) expect(r.cmd).toBe('unlock');
      expect(r.vehicle.engine).toBe(false);
    }
    const codes = new Set(seen.map((r) => r.code));
    expect(codes).toContain('BAD_FRAME');
    expect(codes).toContain('BAD_MESSAGE');

    const { response } = await w.send({ cmd: 'unlock', credential: key.credential });
    expect(response).toMatchObject({ ok: true, code: 'OK', vehicle: { locked: false } });
  });

  it('answers a request it cannot persist with INTERNAL_ERROR and does not act', async () => {
    const w = await setup();
    const key = await w.issueKey();
    expect((await w.send({ cmd: 'unlock', credential: key.credential })).response.code).toBe('OK');
    await w.send({ cmd: 'lock', credential: key.credential });
    // The state file's directory disappears (a failing flash): nothing can be written any more.
    const { rm } = await import('node:fs/promises');
    await rm(w.dir, { recursive: true, force: true });
    w.clock.advance(1000);
    const { response } = await w.send({ cmd: 'unlock', credential: key.credential });
    expect(response).toMatchObject({ ok: false, code: 'INTERNAL_ERROR', vehicle: { locked: true } });
    expect(w.vehicle.state.actuators.locked).toBe(true);
    // The car's own log says why (the phone heard only INTERNAL_ERROR); earlier commands carry no cause.
    const events = w.vehicle.events();
    expect(events.at(-1)).toMatchObject({ cmd: 'unlock', ok: false, code: 'INTERNAL_ERROR', cause: expect.stringMatching(/^Error: ENOENT: no such file or directory/) });
    expect(events.slice(0, -1).every((e) => e.cause === undefined)).toBe(true);
    expect(JSON.stringify(response)).not.toContain('ENOENT');
  });

  it('DigitalKeyError codes only, never a stack trace, in what the car says', () => {
    expect(new DigitalKeyError('BAD_FRAME').message).not.toMatch(/at .*\.ts/);
  });
});
