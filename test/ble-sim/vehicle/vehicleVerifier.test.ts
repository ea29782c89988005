/**
 * The vehicle's verifier without any transport: state and time in, decision out (protocol.md).
 * Table-driven over every refusal, each with its exact code, plus the manifest rules and the
 * credential cache (a credential named by reference).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCommandRequest } from '../../../ble-sim/phone/commandRequest.js';
import { VirtualAuthenticator } from '../../../ble-sim/phone/virtualAuthenticator.js';
import { initialVehicleState, type VehicleState } from '../../../ble-sim/vehicle/vehicleState.js';
import { passkeyCounterKey, verifyCommandRequest, type VerifierConfig, type VerifierInput } from '../../../ble-sim/vehicle/vehicleVerifier.js';
import { compressedPointOfCoseKey } from '../../../shared/cose/p256Point.js';
import { CredentialCache } from '../../../ble-sim/vehicle/credentialCache.js';
import { canonicalClientDataJSON } from '../../../shared/ble/canonicalClientData.js';
import { revokedKeyDigestHex } from '../../../shared/credential/revokedKeyDigest.js';
import { base64UrlToBytes } from '../../../shared/base64url.js';
import type { RequestMessage } from '../../../shared/ble/messages.js';
import type { Command } from '../../../shared/commands.js';
import type { ErrorCode } from '../../../shared/errors/errorCode.js';
import {
  createIssuer,
  DAY_S,
  mintCredential,
  mintManifest,
  ORIGIN,
  OTHER_VIN,
  registerPasskey,
  RP_ID,
  START_MS,
  VIN,
  type RegisteredPasskey,
  type TestIssuer,
} from '../../support/bleFixtures.js';

let issuer: TestIssuer;
let authenticator: VirtualAuthenticator;
let passkey: RegisteredPasskey;
let config: VerifierConfig;
let counterKey: string;
const keyId = randomUUID();

beforeAll(async () => {
  issuer = await createIssuer();
  authenticator = new VirtualAuthenticator();
  passkey = await registerPasskey(authenticator);
  counterKey = passkeyCounterKey(compressedPointOfCoseKey(Buffer.from(passkey.pk, 'base64url')));
  config = { vin: VIN, trust: issuer.trust, linkSecret: new Uint8Array(32).fill(1), rpId: RP_ID, origins: [ORIGIN] };
});

interface Scenario {
  cmd?: Command;
  credential?: string;
  /** The nonce the phone signs over (default: the connection's). */
  signedNonce?: Uint8Array<ArrayBuffer>;
  /** The connection's nonce as the vehicle consumed it (null: none). */
  nonce?: Uint8Array | null;
  state?: Partial<VehicleState>;
  manifest?: string;
  nowMs?: number;
  config?: Partial<VerifierConfig>;
  authenticator?: VirtualAuthenticator;
  userVerified?: boolean;
  origin?: string;
  /** Name the credential by reference. */
  byReference?: boolean;
  /** The car's credential cache (default: a new, empty one). */
  cache?: CredentialCache;
  /** The passkey the phone signs with (default: the credential's). */
  passkeyId?: string;
  tamper?: (r: RequestMessage) => RequestMessage;
}

async function run(s: Scenario = {}) {
  const nonce = new Uint8Array(randomBytes(16));
  const cmd = s.cmd ?? 'unlock';
  const credential = s.credential ?? (await mintCredential({ issuer, passkey, keyId }));
  const a = s.authenticator ?? authenticator;
  let request = await buildCommandRequest({
    challenge: { nonce: s.signedNonce ?? nonce, seq: 0 },
    vin: VIN,
    cmd,
    credential,
    rpId: RP_ID,
    origin: s.origin ?? ORIGIN,
    authenticator: { getAssertion: (o) => a.getAssertion({ ...o, ...(s.userVerified === undefined ? {} : { userVerified: s.userVerified }) }) },
    ...(s.manifest === undefined ? {} : { state: s.manifest }),
    ...(s.byReference ? { byReference: true } : {}),
    ...((s.passkeyId ?? (s.authenticator ? undefined : passkey.id)) === undefined ? {} : { passkeyId: s.passkeyId ?? passkey.id }),
  });
  if (s.tamper) request = s.tamper(request);
  const input: VerifierInput = {
    request,
    nonce: s.nonce === undefined ? nonce : s.nonce,
    state: { ...initialVehicleState(VIN, START_MS), ...s.state },
    nowMs: s.nowMs ?? START_MS,
    config: { ...config, ...s.config },
    cache: s.cache ?? new CredentialCache(),
  };
  return verifyCommandRequest(input);
}

describe('verifyCommandRequest', () => {
  it('accepts a valid request and returns the new counter and the key id', async () => {
    const decision = await run();
    expect(decision).toMatchObject({ ok: true, code: 'OK', cmd: 'unlock', keyId, counter: { passkeyKey: expect.any(String) } });
    expect(decision.counter!.value).toBeGreaterThan(0);
  });

  it('hands back what authenticates the answer (tx and the response key) and the credential to cache', async () => {
    const decision = await run();
    expect(decision.answerKey?.tx).toHaveLength(32);
    expect(decision.answerKey?.responseKey).toHaveLength(32);
    expect(decision.cache?.credential.sub).toBe(keyId);
  });

  describe('a credential named by reference', () => {
    it('unknown to the car → CREDENTIAL_UNKNOWN, with nothing to authenticate the answer with', async () => {
      const decision = await run({ byReference: true });
      expect(decision).toMatchObject({ ok: false, code: 'CREDENTIAL_UNKNOWN' });
      expect(decision.answerKey).toBeUndefined();
    });

    it('held by the car → OK, without the credential on the air, and with the same response key', async () => {
      const cache = new CredentialCache();
      const credential = await mintCredential({ issuer, passkey, keyId });
      const first = await run({ credential, cache });
      cache.add(first.cache!);
      const second = await run({ credential, cache, byReference: true });
      expect(second).toMatchObject({ ok: true, code: 'OK', keyId });
      expect(Buffer.from(second.answerKey!.responseKey).equals(Buffer.from(first.answerKey!.responseKey))).toBe(true);
    });

    it.each<[string, ErrorCode, Scenario]>([
      ['expired since it was cached (judged again by the car clock)', 'EXPIRED', { nowMs: START_MS + (DAY_S + 61) * 1000 }],
      ['revoked since it was cached', 'REVOKED', { state: { revoked: [revokedKeyDigestHex(keyId)] } }],
      ['wiped since it was cached', 'EPOCH_STALE', { state: { ep: 1 } }],
      ['for another command than its perms allow', 'PERMISSION_DENIED', { cmd: 'start' }],
    ])('%s → %s', async (_name, code, scenario) => {
      const cache = new CredentialCache();
      const credential = await mintCredential({ issuer, passkey, keyId, perms: ['unlock', 'lock'] });
      cache.add((await run({ credential, cache })).cache!);
      const decision = await run({ credential, cache, byReference: true, ...scenario });
      expect(decision.code).toBe(code);
      expect(decision.answerKey).toBeDefined();
    });
  });

  it.each<[string, ErrorCode, () => Promise<Scenario>]>([
    ['no challenge read on this connection (or already used, or expired)', 'UNKNOWN_NONCE', async () => ({ nonce: null })],
    ['assertion over another nonce', 'BAD_ASSERTION', async () => ({ signedNonce: new Uint8Array(16) })],
    ['credential for another VIN', 'WRONG_VEHICLE', async () => ({ credential: await mintCredential({ issuer, passkey, vin: OTHER_VIN }) })],
    ['credential from an untrusted issuer', 'BAD_SIGNATURE', async () => ({ credential: await mintCredential({ issuer: await createIssuer(), passkey }) })],
    ['credential that is not a COSE_Sign1', 'BAD_CREDENTIAL', async () => ({ credential: Buffer.from('not a COSE message').toString('base64url') })],
    ['a state manifest passed off as a credential', 'BAD_CREDENTIAL', async () => ({ credential: await mintManifest({ issuer, seq: 1 }) })],
    ['expired credential', 'EXPIRED', async () => ({ nowMs: START_MS + (DAY_S + 61) * 1000 })],
    ['expired credential, car clock rolled back below the highest trusted time', 'EXPIRED', async () => ({ nowMs: START_MS, state: { highestTrustedMs: START_MS + 2 * DAY_S * 1000 } })],
    ['credential not valid yet', 'NOT_YET_VALID', async () => ({ credential: await mintCredential({ issuer, passkey, nowMs: START_MS + 3600_000 }) })],
    ['credential from before a wipe (R4)', 'EPOCH_STALE', async () => ({ state: { ep: 1 } })],
    ['revoked key (R6)', 'REVOKED', async () => ({ state: { revoked: [revokedKeyDigestHex(keyId)] } })],
    ['command outside the key perms (R3)', 'PERMISSION_DENIED', async () => ({ cmd: 'start', credential: await mintCredential({ issuer, passkey, perms: ['unlock', 'lock'] }) })],
    ['assertion by another passkey than the credential binds', 'BAD_ASSERTION', async () => ({ passkeyId: (await registerPasskey(authenticator)).id })],
    ['no user verification (R14)', 'USER_NOT_VERIFIED', async () => ({ userVerified: false })],
    ['assertion for lock, sent as unlock', 'BAD_ASSERTION', async () => ({ cmd: 'lock', tamper: (r) => ({ ...r, cmd: 'unlock' }) })],
    ['assertion from another origin', 'BAD_ASSERTION', async () => ({ origin: 'https://evil.example' })],
    ['vehicle provisioned for another RP id', 'BAD_ASSERTION', async () => ({ config: { rpId: 'other.example' } })],
    ['signature bytes flipped', 'BAD_ASSERTION', async () => ({ tamper: (r) => ({ ...r, sig: r.sig.map((b, i) => (i === 10 ? b ^ 1 : b)) }) })],
    ['a signature with s = 0', 'BAD_ASSERTION', async () => ({ tamper: (r) => ({ ...r, sig: Uint8Array.from([...r.sig.subarray(0, 32), ...new Uint8Array(32)]) }) })],
    ['the counter changed after signing', 'BAD_ASSERTION', async () => ({ tamper: (r) => ({ ...r, authData: Uint8Array.from([r.authData[0]!, 0xff, 0xff, 0xff, 0xff]) }) })],
    ['clientDataJSON of a registration', 'BAD_ASSERTION', async () => ({ tamper: (r) => ({ ...r, clientDataJSON: new TextEncoder().encode(new TextDecoder().decode(canonicalClientDataJSON(new Uint8Array(32), ORIGIN)).replace('webauthn.get', 'webauthn.create')) }) })],
    ['counter not above the stored one (cloned passkey)', 'COUNTER_REGRESSION', async () => ({ state: { counters: { [counterKey]: 1_000_000 } } })],
  ])('%s → %s', async (_name, code, scenario) => {
    const decision = await run(await scenario());
    expect(decision.code).toBe(code);
    expect(decision.ok).toBe(false);
    expect(decision.counter).toBeUndefined();
  });

  it('a forged assertion with a low counter is BAD_ASSERTION, not COUNTER_REGRESSION (signature first)', async () => {
    const decision = await run({
      state: { counters: { [counterKey]: 1_000_000 } },
      tamper: (r) => ({ ...r, sig: r.sig.map((b, i) => (i === 10 ? b ^ 1 : b)) }),
    });
    expect(decision.code).toBe('BAD_ASSERTION');
  });

  it('a credential swapped for another of the same passkey after signing → BAD_ASSERTION (tx binds the credential)', async () => {
    const other = await mintCredential({ issuer, passkey, keyId });
    const decision = await run({ tamper: (r) => ({ ...r, cred: base64UrlToBytes(other) }) });
    expect(decision.code).toBe('BAD_ASSERTION');
  });

  it('passkeys that never count (counter 0 both sides) pass', async () => {
    const flat = new VirtualAuthenticator({ countSignatures: false });
    const flatPasskey = await registerPasskey(flat);
    const decision = await run({ authenticator: flat, credential: await mintCredential({ issuer, passkey: flatPasskey }) });
    expect(decision).toMatchObject({ ok: true, counter: { value: 0 } });
  });

  describe('state manifests carried by the request', () => {
    it('applies a newer manifest before judging the credential, and returns it even when the command fails', async () => {
      const manifest = await mintManifest({ issuer, seq: 3, ep: 1 });
      const decision = await run({ manifest });
      expect(decision.code).toBe('EPOCH_STALE');
      expect(decision.manifest).toMatchObject({ seq: 3, ep: 1 });
    });

    it.each<[string, () => Promise<string>]>([
      ['for another VIN', () => mintManifest({ issuer, vin: OTHER_VIN, seq: 9, revoked: [keyId] })],
      ['with a seq not above the car’s', () => mintManifest({ issuer, seq: 2, revoked: [keyId] })],
      ['signed by an untrusted issuer', async () => mintManifest({ issuer: await createIssuer(), seq: 9, revoked: [keyId] })],
      ['that is a key credential', () => mintCredential({ issuer, passkey })],
      ['that is garbage', async () => Buffer.from('garbage').toString('base64url')],
    ])('ignores a manifest %s (never an error that blocks the command)', async (_name, make) => {
      const decision = await run({ manifest: await make(), state: { seq: 2 } });
      expect(decision).toMatchObject({ ok: true, code: 'OK' });
      expect(decision.manifest).toBeUndefined();
    });

    it('a manifest issued later than the car clock moves the car time forward for this request', async () => {
      const manifest = await mintManifest({ issuer, seq: 1, iatMs: START_MS + 7200_000 });
      // A 1 h credential judged at the manifest's iat (past exp + skew) is expired.
      const decision = await run({ manifest, credential: await mintCredential({ issuer, passkey, ttlS: 3600 }) });
      expect(decision.code).toBe('EXPIRED');
      expect(decision.manifest?.seq).toBe(1);
    });
  });
});
