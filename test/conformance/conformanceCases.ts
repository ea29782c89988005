/**
 * The conformance cases: what a phone (or an attacker) does, step by step, and what each case
 * proves. The answers come from expectedAnswers.ts (by hand, from protocol.md) and the bytes from
 * the case builder's model; the generator keeps a case once our car agrees. The same attacks are
 * tested against our car in test/e2e/bleUnlock.test.ts and test/ble-sim/vehicle/*.test.ts; here
 * they become vectors another implementation of the car can be run against.
 */
import { decodeStrictCbor, encodeDeterministic } from '../../shared/cose/strictCbor.js';
import { encodeFrames } from '../../shared/ble/framing.js';
import type { Command } from '../../shared/commands.js';
import type { AssertionOptions } from '../../ble-sim/phone/virtualAuthenticator.js';
import { DAY_S, ORIGIN, OTHER_VIN, START_MS } from '../support/bleFixtures.js';
import { CaseBuilder, PHONE, PHONE_MTU, THIEF, withClientData, type KitWorld, type RequestOptions, type Written } from './caseBuilder.js';
import { EXPECTED_ANSWERS, type CaseName } from './expectedAnswers.js';
import { MESSAGE_KEY, sha256 } from './protocolFormulas.js';
import type { VectorCase } from './vectorFormat.js';

interface CaseDefinition {
  proves: string;
  play(c: CaseBuilder): Promise<void>;
}

type Request = Exclude<Written, 'undecodable'>;
const HOUR_MS = 3600_000;
const DAY_MS = DAY_S * 1000;

/** The owner's phone connects, subscribes (the car pushes a challenge) and sends one command. */
async function ownerSends(c: CaseBuilder, opts: Omit<RequestOptions, 'nonce'> & { why: string; central?: string }): Promise<Request> {
  c.connect(opts.central === undefined ? {} : { central: opts.central });
  return c.send({ ...opts, nonce: c.subscribe() });
}

/** The owner's phone connects at `mtu` and builds a valid unlock over the pushed challenge (not written yet). */
async function validUnlock(c: CaseBuilder, mtu?: number): Promise<Request> {
  const credential = await c.credential();
  c.connect(mtu === undefined ? {} : { mtu });
  return c.request({ cmd: 'unlock', credential, nonce: c.subscribe() });
}

/** After a refused message the nonce still holds: the valid request, sent once more, is answered OK. */
function resendValid(c: CaseBuilder, valid: Request): void {
  c.writeMessage(valid.bytes, valid, 'the valid request, on the same nonce');
  c.expectState(['actuators']);
}

/** The request's map edited (as an attacker or a buggy phone would), encoded deterministically again. */
function edited(bytes: Uint8Array, edit: (map: Map<number, unknown>) => void): Uint8Array {
  const value = decodeStrictCbor(bytes);
  if (!(value instanceof Map)) throw new TypeError('a request is a map');
  const map = new Map<number, unknown>();
  for (const [k, v] of value) if (typeof k === 'number') map.set(k, v);
  edit(map);
  return encodeDeterministic(map);
}

/** Well-framed messages the car cannot decode, each answered on its own; then the valid request. */
async function undecodableThenValid(c: CaseBuilder, messages: [why: string, edit: (map: Map<number, unknown>, valid: Request) => void][]): Promise<void> {
  const valid = await validUnlock(c);
  for (const [why, edit] of messages) c.writeMessage(edited(valid.bytes, (map) => edit(map, valid)), 'undecodable', why);
  resendValid(c, valid);
}

/** Payloads that break the framing rules: BAD_FRAME, nothing decoded; then the valid request. */
async function badFrameThenValid(c: CaseBuilder, opts: { mtu?: number; payloads: (valid: Request) => Uint8Array[]; withoutResponse?: boolean; why: string }): Promise<void> {
  const valid = await validUnlock(c, opts.mtu);
  c.writeFragments(opts.payloads(valid), { withoutResponse: opts.withoutResponse ?? true }, opts.why);
  c.expectAnswer('undecodable', 'BAD_FRAME, from reassembly');
  resendValid(c, valid);
}

/** The owner's authenticator with its flags overridden for one assertion (attack tests). */
const withFlags = (c: CaseBuilder, flags: Pick<AssertionOptions, 'userVerified' | 'userPresent'>) => ({
  getAssertion: (o: AssertionOptions) => c.world.phone.getAssertion({ ...o, ...flags }),
});

export const CASES = {
  'commands-with-the-whole-credential': {
    proves: 'A phone that subscribes hears a pushed challenge, sends each command with the whole credential and gets an authenticated OK; the car acts, bonds the phone and keeps the counter; a second command on the link reads a fresh challenge.',
    async play(c) {
      const credential = await c.credential();
      c.connect();
      let nonce = c.subscribe();
      for (const cmd of ['unlock', 'lock', 'start', 'trunk'] satisfies Command[]) {
        if (cmd !== 'unlock') nonce = c.read('a second command on the same link reads a challenge');
        await c.send({ cmd, credential, nonce, why: `${cmd} with the whole credential` });
      }
      c.expectState(['actuators', 'counters', 'bonds']);
    },
  },
  'commands-by-reference-once-bonded': {
    proves: 'A bonded phone writes no CCCD: the car pushes it a challenge once its MTU exchange is done, and it names the credential the car holds by its 8-byte reference.',
    async play(c) {
      const credential = await c.credential();
      await ownerSends(c, { cmd: 'unlock', credential, why: 'unlock with the whole credential (this bonds the phone)' });
      c.disconnect();
      const pushed = c.connectBonded({ why: 'the bonded phone again: its subscription is restored, no CCCD write' });
      await c.send({ cmd: 'lock', credential, byReference: true, nonce: pushed, why: 'lock by reference' });
      await c.send({ cmd: 'start', credential, byReference: true, nonce: c.read(), why: 'start by reference' });
      c.expectState(['actuators', 'bonds']);
    },
  },
  'credential-unknown-after-a-restart': {
    proves: 'A restarted car keeps its state and bonds but not the credentials it held: a reference is CREDENTIAL_UNKNOWN (unauthenticated), and the whole credential after a fresh read is OK.',
    async play(c) {
      const credential = await c.credential();
      await ownerSends(c, { cmd: 'unlock', credential, why: 'unlock with the whole credential' });
      c.restart('the car restarts');
      const pushed = c.connectBonded({ why: 'the bonded phone again (the car kept the bond)' });
      await c.send({ cmd: 'lock', credential, byReference: true, nonce: pushed, why: 'lock by reference' });
      await c.send({ cmd: 'lock', credential, nonce: c.read('a fresh challenge on the same link'), why: 'lock with the whole credential' });
      c.expectState(['actuators']);
    },
  },
  'bond-forgotten-by-the-car': {
    proves: 'A phone that believes itself bonded to a car without the bond hears no push after its MTU exchange or its empty write, gets ATT error 0xFD on reading Challenge, and subscribes.',
    async play(c) {
      c.connect({ why: 'a phone that believes itself bonded (the car has no bond, so no push after the MTU exchange)' });
      c.emptyWriteUnheard('it asks for a challenge with an empty write');
      c.readRefused('it hears no push and reads Challenge: 0xFD, the car forgot the bond');
      await c.send({ cmd: 'unlock', credential: await c.credential(), nonce: c.subscribe('so it subscribes'), why: 'unlock' });
    },
  },
  'challenge-pushed-to-a-bonded-phone-after-its-mtu-exchange': {
    proves: "The car pushes a bonded phone a challenge as soon as its MTU exchange is done, without a CCCD write or an empty write (the bond kept in the car's state); a phone it has not bonded hears nothing until it subscribes.",
    async play(c) {
      c.begin({ state: { bonds: [PHONE] } });
      c.connect({ central: THIEF, why: 'a phone the car has not bonded' });
      c.expectNoNotify('no push after its MTU exchange: it has not subscribed');
      c.disconnect();
      const pushed = c.connectBonded({ why: 'the bonded phone: its subscription is restored, it writes nothing' });
      await c.send({ cmd: 'unlock', credential: await c.credential(), nonce: pushed, why: 'unlock over the pushed nonce' });
      c.expectState(['actuators', 'counters', 'bonds']);
    },
  },
  'empty-write-after-a-push-gets-the-same-nonce': {
    proves: 'Pushes with no read in between carry the same nonce while it is fresh: an empty write after the MTU push gets the same nonce again; a read then serves a new one and the pushed one is dead (a request over it fails and spends the new one); once spent, the next push carries a new nonce.',
    async play(c) {
      c.begin({ state: { bonds: [PHONE] } });
      const credential = await c.credential();
      const pushed = c.connectBonded({ why: 'a bonded phone' });
      c.emptyWrite('it asks for a challenge with an empty write, as a phone that could not listen yet when the MTU push went out');
      c.read('a read serves a new nonce, replacing the pushed one');
      await c.send({ cmd: 'unlock', credential, nonce: pushed, why: 'unlock over the pushed nonce, which the read replaced' });
      await c.send({ cmd: 'unlock', credential, nonce: c.emptyWrite('it asks again: the nonce was spent, so the push carries a new one'), why: 'unlock over the new nonce' });
      c.expectState(['actuators']);
    },
  },
  'replay-on-the-same-connection': {
    proves: 'A nonce is used once: the same request bytes written again on the link are UNKNOWN_NONCE.',
    async play(c) {
      const sent = await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), why: 'unlock' });
      c.writeMessage(sent.bytes, sent, 'the same request bytes again');
    },
  },
  'replay-on-a-new-connection': {
    proves: "Sniffed request bytes replayed on the attacker's own connection fail the assertion (the car pushed the attacker its own nonce, which the replay consumed), then are UNKNOWN_NONCE; the car does not act.",
    async play(c) {
      const sniffed = await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), why: "the owner's unlock, sniffed" });
      c.disconnect();
      c.connect({ central: THIEF });
      c.subscribe();
      c.writeMessage(sniffed.bytes, sniffed, 'the sniffed request');
      c.writeMessage(sniffed.bytes, sniffed, 'the sniffed request again');
      c.expectState(['actuators', 'counters']);
    },
  },
  'only-the-newest-nonce-counts': {
    proves: 'A challenge read replaces the nonce before it: an assertion over the replaced nonce fails and spends the newest.',
    async play(c) {
      const credential = await c.credential();
      c.connect();
      const first = c.subscribe();
      const second = c.read('a second challenge on the same link');
      await c.send({ cmd: 'unlock', credential, nonce: first, why: 'unlock over the first nonce' });
      await c.send({ cmd: 'unlock', credential, nonce: second, why: 'unlock over the second nonce' });
    },
  },
  'nonce-older-than-30-s': {
    proves: "A nonce older than 30 s by the car's clock is UNKNOWN_NONCE; a fresh read serves a new one.",
    async play(c) {
      const credential = await c.credential();
      c.connect();
      const stale = c.subscribe();
      c.advanceClock(31_000, 'the phone waits 31 s');
      await c.send({ cmd: 'unlock', credential, nonce: stale, why: 'unlock over the stale nonce' });
      await c.send({ cmd: 'unlock', credential, nonce: c.read(), why: 'unlock over a fresh nonce' });
    },
  },
  'request-without-a-challenge': {
    proves: 'A request written when the link holds no nonce (the pushed one spent, no challenge asked for since) gets UNKNOWN_NONCE.',
    async play(c) {
      c.begin({ state: { bonds: [PHONE] } });
      const credential = await c.credential();
      await c.send({ cmd: 'unlock', credential, nonce: c.connectBonded({ why: 'a bonded phone' }), why: 'unlock over the pushed nonce' });
      await c.send({ cmd: 'lock', credential, nonce: new Uint8Array(16), why: 'lock at once, over a nonce the car never issued' });
      c.expectState(['actuators']);
    },
  },
  'command-swapped-after-signing': {
    proves: 'The transaction hash binds the command: an assertion made for lock, sent as unlock, fails (authenticated BAD_ASSERTION).',
    async play(c) {
      await ownerSends(c, { cmd: 'lock', credential: await c.credential(), tamper: (r) => ({ ...r, cmd: 'unlock' }), why: 'an assertion for lock, sent as unlock' });
    },
  },
  'credential-swapped-after-signing': {
    proves: 'The transaction hash binds the credential: another valid credential of the same passkey, swapped in after signing, fails.',
    async play(c) {
      const other = await c.credential({ label: 'other' });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), tamper: (r) => ({ ...r, cred: other }), why: 'the credential swapped after signing' });
    },
  },
  'tampered-signature': {
    proves: 'A flipped bit in the assertion signature fails the assertion.',
    async play(c) {
      const flip = (sig: Uint8Array) => sig.map((b, i) => (i === 10 ? b ^ 1 : b));
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), tamper: (r) => ({ ...r, sig: flip(r.sig) }), why: 'a signature with one bit flipped' });
    },
  },
  'wrong-vehicle': {
    proves: 'A credential issued for another VIN is WRONG_VEHICLE, unauthenticated.',
    async play(c) {
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential({ vin: OTHER_VIN }), why: 'unlock with a credential for another car' });
    },
  },
  'untrusted-issuer': {
    proves: 'A credential signed by a key the car was not provisioned with is BAD_SIGNATURE.',
    async play(c) {
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential({ issuer: c.world.rogue }), why: 'unlock with a credential from an untrusted key' });
    },
  },
  'manifest-presented-as-a-credential': {
    proves: 'A state manifest (typ sdk-state+cwt) in the credential field is refused: one kind of token never passes as another.',
    async play(c) {
      await ownerSends(c, { cmd: 'unlock', credential: await c.manifest({ seq: 1 }), why: 'a state manifest as the credential' });
    },
  },
  expired: {
    proves: 'A credential past exp plus the 60 s skew is EXPIRED.',
    async play(c) {
      c.begin({ clockMs: START_MS + 2 * HOUR_MS });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential({ ttlS: 3600 }), why: 'unlock with a credential that expired an hour ago' });
    },
  },
  'expired-since-the-car-took-it': {
    proves: "A credential the car holds is judged again by the car's clock on every command: once expired it is EXPIRED, authenticated.",
    async play(c) {
      const credential = await c.credential({ ttlS: 3600 });
      await ownerSends(c, { cmd: 'unlock', credential, why: 'unlock while valid' });
      c.advanceClock(HOUR_MS + 62_000, 'past exp and the skew');
      await c.send({ cmd: 'lock', credential, byReference: true, nonce: c.read(), why: 'lock by reference' });
    },
  },
  'not-yet-valid': {
    proves: 'A credential whose nbf is tomorrow is NOT_YET_VALID.',
    async play(c) {
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential({ nowMs: START_MS + DAY_MS }), why: 'unlock with a credential valid from tomorrow' });
    },
  },
  'clock-behind-the-highest-trusted-time': {
    proves: "The car judges time by its forward-only clock: a wall clock behind the persisted highest trusted time does not revive an expired credential.",
    async play(c) {
      c.begin({ state: { highestTrustedMs: START_MS + 2 * DAY_MS }, clockMs: START_MS });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), why: 'unlock with a credential expired by the trusted time' });
    },
  },
  'clock-rolled-back-after-use': {
    proves: "Rolling the car's wall clock back after a credential expired does not make it valid again.",
    async play(c) {
      const credential = await c.credential();
      await ownerSends(c, { cmd: 'unlock', credential, why: 'unlock while valid' });
      c.advanceClock(DAY_MS + 120_000, 'a day and two minutes later');
      await c.send({ cmd: 'lock', credential, byReference: true, nonce: c.read(), why: 'lock by reference' });
      c.advanceClock(-DAY_MS, 'the wall clock rolled back a day');
      await c.send({ cmd: 'lock', credential, byReference: true, nonce: c.read(), why: 'lock by reference again' });
    },
  },
  'epoch-stale-by-the-car-state': {
    proves: 'A credential issued before a wipe (its ep below the car’s) is EPOCH_STALE.',
    async play(c) {
      c.begin({ state: { seq: 1, ep: 1 } });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential({ ep: 0 }), why: 'unlock with a pre-wipe credential' });
    },
  },
  'epoch-stale-by-a-carried-manifest': {
    proves: "A newer manifest carried by the request applies before the credential is judged, even when it refuses that very request; the car's next challenge names the new seq.",
    async play(c) {
      const wipe = await c.manifest({ seq: 1, ep: 1 });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential({ ep: 0 }), state: { manifest: wipe, applies: true }, why: 'unlock with a pre-wipe credential, carrying the wipe manifest' });
      c.expectState(['seq', 'ep']);
      c.read('the next challenge names seq 1');
    },
  },
  'revoked-by-a-carried-manifest': {
    proves: 'A manifest carried by the request that revokes the key refuses it (REVOKED) and is kept.',
    async play(c) {
      const revocation = await c.manifest({ seq: 1, revoked: [c.keyId()] });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), state: { manifest: revocation, applies: true }, why: 'unlock carrying the manifest that revokes the key' });
      c.expectState(['seq', 'revoked']);
    },
  },
  'revoked-by-the-car-state': {
    proves: "A key in the car's persisted revocation list (8-byte digests of key ids) is REVOKED.",
    async play(c) {
      c.begin({ state: { seq: 1, revoked: [Buffer.from(sha256(c.keyId())).subarray(0, 8).toString('hex')] } });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), why: 'unlock with a revoked key' });
      c.expectState(['actuators']);
    },
  },
  'permission-denied': {
    proves: "A restricted key is refused a command outside its perms (PERMISSION_DENIED) and allowed the ones in them.",
    async play(c) {
      const credential = await c.credential({ role: 'shared', perms: ['unlock', 'lock'] });
      await ownerSends(c, { cmd: 'start', credential, why: 'start with an unlock-and-lock key' });
      await c.send({ cmd: 'unlock', credential, nonce: c.read(), why: 'unlock with it' });
    },
  },
  'user-not-verified': {
    proves: 'An assertion without the UV flag is USER_NOT_VERIFIED (checked before the signature).',
    async play(c) {
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), authenticator: withFlags(c, { userVerified: false }), why: 'unlock without user verification' });
    },
  },
  'no-user-presence': {
    proves: 'An assertion without the UP flag (UV set) fails: presence is never relaxed.',
    async play(c) {
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), authenticator: withFlags(c, { userPresent: false }), why: 'unlock without user presence' });
    },
  },
  'another-passkey': {
    proves: "A stolen credential used with the thief's own passkey fails: the passkey is the one the credential binds.",
    async play(c) {
      const credential = await c.credential();
      await ownerSends(c, { cmd: 'unlock', credential, central: THIEF, authenticator: c.world.thief, passkeyId: c.world.thiefPasskey.id, why: "the owner's credential, the thief's passkey" });
    },
  },
  'counter-regression-by-the-car-state': {
    proves: 'A signature counter not above the one the car stored (a cloned passkey) is COUNTER_REGRESSION.',
    async play(c) {
      c.begin({ state: { counters: { [c.counterKey()]: 1_000_000 } } });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), why: 'unlock with a counter behind the stored one' });
    },
  },
  'harvested-assertion': {
    proves: 'An assertion harvested earlier over a live nonce is refused once a newer one was used (COUNTER_REGRESSION, checked after the signature).',
    async play(c) {
      const credential = await c.credential();
      // Malware has the authenticator sign over the nonce the car will issue second; the owner then signs over the first.
      const harvested = await c.request({ cmd: 'unlock', credential, nonce: c.nonceAt(1) });
      const owner = await c.request({ cmd: 'lock', credential, nonce: c.nonceAt(0) });
      c.connect();
      c.subscribe();
      c.writeMessage(owner.bytes, owner, "the owner's lock (signed later, a higher counter)");
      c.read();
      c.writeMessage(harvested.bytes, harvested, 'the harvested unlock, over the live nonce');
      c.expectState(['actuators', 'counters']);
    },
  },
  'forged-manifest-ignored': {
    proves: 'A manifest signed by an untrusted key is ignored, never blocking the command.',
    async play(c) {
      const forged = await c.manifest({ issuer: c.world.rogue, seq: 9, ep: 3, revoked: [c.keyId()] });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), state: { manifest: forged, applies: false }, why: 'unlock carrying a forged manifest' });
      c.expectState(['seq', 'ep', 'revoked']);
    },
  },
  'foreign-manifest-ignored': {
    proves: 'A manifest for another VIN is ignored.',
    async play(c) {
      const foreign = await c.manifest({ vin: OTHER_VIN, seq: 9, ep: 3, revoked: [c.keyId()] });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), state: { manifest: foreign, applies: false }, why: "unlock carrying another car's manifest" });
      c.expectState(['seq', 'ep', 'revoked']);
    },
  },
  'older-manifest-ignored': {
    proves: "A manifest whose seq is not above the car's is ignored.",
    async play(c) {
      c.begin({ state: { seq: 5 } });
      const older = await c.manifest({ seq: 3, ep: 2, revoked: [c.keyId()] });
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), state: { manifest: older, applies: false }, why: 'unlock carrying an older manifest' });
      c.expectState(['seq', 'ep', 'revoked']);
    },
  },
  'credential-presented-as-a-manifest-ignored': {
    proves: 'A key credential (typ sdk-key+cwt) in the manifest field is ignored.',
    async play(c) {
      const credential = await c.credential();
      await ownerSends(c, { cmd: 'unlock', credential, state: { manifest: await c.credential({ label: 'other' }), applies: false }, why: 'unlock carrying a credential as the manifest' });
      c.expectState(['seq']);
    },
  },
  'client-data-json-with-another-member': {
    proves: 'A platform that writes its own clientDataJSON (here with an extra member) sends it in field 8 and is accepted.',
    async play(c) {
      const extra = withClientData(c.world.phone, (json) => `${json.slice(0, -1)},"other_keys_can_be_added_here":"do not compare clientDataJSON against a template. See https://goo.gl/yabPex"}`);
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), authenticator: extra, why: "unlock with the platform's own clientDataJSON" });
    },
  },
  'client-data-json-from-another-origin': {
    proves: 'A clientDataJSON (field 8) naming an origin the car does not accept fails the assertion.',
    async play(c) {
      const elsewhere = withClientData(c.world.phone, (json) => json.replace(JSON.stringify(ORIGIN), '"https://evil.example"'));
      await ownerSends(c, { cmd: 'unlock', credential: await c.credential(), authenticator: elsewhere, why: 'unlock with clientDataJSON from https://evil.example' });
    },
  },
  'framing-announced-length-0': {
    proves: 'A first payload announcing length 0 is BAD_FRAME; the nonce still holds.',
    async play(c) {
      await badFrameThenValid(c, { payloads: () => [Uint8Array.of(0x00, 0x00, 0xa5)], why: 'a payload announcing 0 bytes' });
    },
  },
  'framing-announced-length-over-2048': {
    proves: 'A first payload announcing more than 2048 bytes is BAD_FRAME.',
    async play(c) {
      await badFrameThenValid(c, { payloads: () => [Uint8Array.of(0x08, 0x01, 0xa5, 0x00)], why: 'a payload announcing 2049 bytes' });
    },
  },
  'framing-fragment-over-mtu-minus-3': {
    proves: 'At MTU 23 a value longer than MTU − 3 (a long write) is not a fragment: BAD_FRAME.',
    async play(c) {
      const long = new Uint8Array(30);
      long.set([0x00, 28]);
      await badFrameThenValid(c, { mtu: 23, payloads: () => [long], withoutResponse: false, why: 'a 30-byte value written with response (a long write)' });
    },
  },
  'framing-payload-past-the-announced-length': {
    proves: 'A payload that runs past the announced length is BAD_FRAME and the message is dropped.',
    async play(c) {
      await badFrameThenValid(c, {
        payloads: (valid) => {
          const frames = encodeFrames(valid.bytes, PHONE_MTU);
          const last = frames.at(-1);
          if (!last || last.length >= PHONE_MTU - 3) throw new Error('the last payload has no room for one more byte');
          return [...frames.slice(0, -1), Uint8Array.from([...last, 0x00])];
        },
        why: 'the request with one byte past its announced length',
      });
    },
  },
  'framing-incomplete-message-times-out': {
    proves: "A message still incomplete 2 s after its last payload is BAD_FRAME, by the car's own timer; the nonce still holds.",
    async play(c) {
      const valid = await validUnlock(c);
      c.writeFragments(encodeFrames(valid.bytes, PHONE_MTU).slice(0, 1), { withoutResponse: true }, 'the first payload of the request, and no more');
      c.expectNoNotify('nothing before the 2 s are up');
      c.expectAnswer('undecodable', 'BAD_FRAME when 2 s have passed (wait up to the step timeout)');
      resendValid(c, valid);
    },
  },
  'bad-message-not-deterministic-cbor': {
    proves: 'A request not in deterministic CBOR (the version as 0x18 0x02) is BAD_MESSAGE; decoding comes before the nonce is consumed.',
    async play(c) {
      const valid = await validUnlock(c);
      if (valid.bytes[1] !== MESSAGE_KEY.v || valid.bytes[2] !== 2) throw new Error('a request starts with its version');
      const loose = Uint8Array.from([valid.bytes[0] ?? 0, 0x00, 0x18, 0x02, ...valid.bytes.subarray(3)]);
      c.writeMessage(loose, 'undecodable', 'the request with its version in a two-byte integer');
      resendValid(c, valid);
    },
  },
  'bad-message-unknown-key': {
    proves: 'A request holding a key that does not belong in a Request (13) is BAD_MESSAGE.',
    async play(c) {
      await undecodableThenValid(c, [['the request with key 13 added', (map) => map.set(13, 1)]]);
    },
  },
  'bad-message-credential-and-reference': {
    proves: 'A request carrying both the credential (4) and a reference (5) is BAD_MESSAGE.',
    async play(c) {
      await undecodableThenValid(c, [['the request with a reference as well as the credential', (map, valid) => map.set(MESSAGE_KEY.ref, sha256(valid.credential).subarray(0, 8))]]);
    },
  },
  'bad-message-wrong-field-sizes': {
    proves: 'Fields of the wrong size are BAD_MESSAGE: a 63-byte signature, a 7-byte reference, 4 bytes of authenticator data.',
    async play(c) {
      await undecodableThenValid(c, [
        ['the request with a 63-byte signature', (map, valid) => map.set(MESSAGE_KEY.sig, valid.request.sig.subarray(0, 63))],
        [
          'the request with a 7-byte reference instead of the credential',
          (map, valid) => {
            map.delete(MESSAGE_KEY.cred);
            map.set(MESSAGE_KEY.ref, sha256(valid.credential).subarray(0, 7));
          },
        ],
        ['the request with 4 bytes of authenticator data', (map, valid) => map.set(MESSAGE_KEY.authData, valid.request.authData.subarray(0, 4))],
      ]);
    },
  },
  'bad-message-unknown-command-number': {
    proves: 'A command number no version defines (4) is BAD_MESSAGE.',
    async play(c) {
      await undecodableThenValid(c, [['the request with command 4', (map) => map.set(MESSAGE_KEY.cmd, 4)]]);
    },
  },
  'unsupported-version': {
    proves: 'A request whose version (key 0) is an integer other than 2 is UNSUPPORTED_VERSION, with no command echoed.',
    async play(c) {
      await undecodableThenValid(c, [
        ['the request as version 3', (map) => map.set(MESSAGE_KEY.v, 3)],
        ['the request as version 1', (map) => map.set(MESSAGE_KEY.v, 1)],
      ]);
    },
  },
} satisfies Record<CaseName, CaseDefinition>;

/** Every case name, in the table's order. */
export function caseNames(): CaseName[] {
  return Object.keys(EXPECTED_ANSWERS).filter((name): name is CaseName => Object.hasOwn(CASES, name));
}

/** Build every case (or the named ones) with this world's keys and passkeys. */
export async function buildCases(world: KitWorld, only?: readonly CaseName[]): Promise<VectorCase[]> {
  const cases: VectorCase[] = [];
  for (const name of only ?? caseNames()) {
    const c = new CaseBuilder(name, world);
    const definition: CaseDefinition = CASES[name];
    await definition.play(c);
    cases.push(c.build(definition.proves));
  }
  return cases;
}
