/**
 * The vehicle's verifier without any transport: state and time in, decision out (DESIGN.md §3).
 * Table-driven over every refusal, each with its exact code, plus the manifest rules.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCommandRequest } from '../../../ble-sim/phone/commandRequest.js';
import { VirtualAuthenticator } from '../../../ble-sim/phone/virtualAuthenticator.js';
import { initialVehicleState, type VehicleState } from '../../../ble-sim/vehicle/vehicleState.js';
import { verifyCommandRequest, type VerifierConfig, type VerifierInput } from '../../../ble-sim/vehicle/vehicleVerifier.js';
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
const keyId = randomUUID();

beforeAll(async () => {
  issuer = await createIssuer();
  authenticator = new VirtualAuthenticator();
  passkey = await registerPasskey(authenticator);
  config = { vin: VIN, trust: issuer.trust, rpId: RP_ID, origins: [ORIGIN] };
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
  tamper?: (r: RequestMessage) => RequestMessage;
}

async function run(s: Scenario = {}) {
  const nonce = new Uint8Array(randomBytes(32));
  const cmd = s.cmd ?? 'unlock';
  const credential = s.credential ?? (await mintCredential({ issuer, passkey, keyId }));
  const a = s.authenticator ?? authenticator;
  let request = await buildCommandRequest({
    challenge: { v: 1, nonce: s.signedNonce ?? nonce, seq: 0, t: START_MS / 1000 },
    vin: VIN,
    cmd,
    credential,
    rpId: RP_ID,
    origin: s.origin ?? ORIGIN,
    authenticator: { getAssertion: (o) => a.getAssertion({ ...o, ...(s.userVerified === undefined ? {} : { userVerified: s.userVerified }) }) },
    ...(s.manifest === undefined ? {} : { state: s.manifest }),
  });
  if (s.tamper) request = s.tamper(request);
  const input: VerifierInput = {
    request,
    nonce: s.nonce === undefined ? nonce : s.nonce,
    state: { ...initialVehicleState(VIN, START_MS), ...s.state },
    nowMs: s.nowMs ?? START_MS,
    config: { ...config, ...s.config },
  };
  return verifyCommandRequest(input);
}

describe('verifyCommandRequest', () => {
  it('accepts a valid request and returns the new counter and the key id', async () => {
    const decision = await run();
    expect(decision).toMatchObject({ ok: true, code: 'OK', cmd: 'unlock', keyId, counter: { passkeyId: passkey.id } });
    expect(decision.counter!.value).toBeGreaterThan(0);
  });

  it('accepts and ignores a userHandle (phones send none; one that does is not refused: protocol.md)', async () => {
    const decision = await run({ tamper: (r) => ({ ...r, asr: { ...r.asr, userHandle: new Uint8Array(16).fill(9) } }) });
    expect(decision).toMatchObject({ ok: true, code: 'OK' });
  });

  it.each<[string, ErrorCode, () => Promise<Scenario>]>([
    ['no challenge read on this connection (or already used, or expired)', 'UNKNOWN_NONCE', async () => ({ nonce: null })],
    ['assertion over another nonce', 'BAD_ASSERTION', async () => ({ signedNonce: new Uint8Array(32) })],
    ['credential for another VIN', 'WRONG_VEHICLE', async () => ({ credential: await mintCredential({ issuer, passkey, vin: OTHER_VIN }) })],
    ['credential from an untrusted issuer', 'BAD_SIGNATURE', async () => ({ credential: await mintCredential({ issuer: await createIssuer(), passkey }) })],
    ['credential that is not a JWS', 'BAD_CREDENTIAL', async () => ({ credential: 'not.a.jws' })],
    ['a state manifest passed off as a credential', 'BAD_CREDENTIAL', async () => ({ credential: await mintManifest({ issuer, seq: 1 }) })],
    ['expired credential', 'EXPIRED', async () => ({ nowMs: START_MS + (DAY_S + 61) * 1000 })],
    ['expired credential, car clock rolled back below the highest trusted time', 'EXPIRED', async () => ({ nowMs: START_MS, state: { highestTrustedMs: START_MS + 2 * DAY_S * 1000 } })],
    ['credential not valid yet', 'NOT_YET_VALID', async () => ({ credential: await mintCredential({ issuer, passkey, nowMs: START_MS + 3600_000 }) })],
    ['credential from before a wipe (R4)', 'EPOCH_STALE', async () => ({ state: { ep: 1 } })],
    ['revoked key (R6)', 'REVOKED', async () => ({ state: { revoked: [keyId] } })],
    ['command outside the key perms (R3)', 'PERMISSION_DENIED', async () => ({ cmd: 'start', credential: await mintCredential({ issuer, passkey, perms: ['unlock', 'lock'] }) })],
    ['assertion id differs from cnf.wa.id', 'BAD_ASSERTION', async () => ({ tamper: (r) => ({ ...r, asr: { ...r.asr, id: new Uint8Array(32) } }) })],
    ['no user verification (R14)', 'USER_NOT_VERIFIED', async () => ({ userVerified: false })],
    ['assertion for lock, sent as unlock', 'BAD_ASSERTION', async () => ({ cmd: 'lock', tamper: (r) => ({ ...r, cmd: 'unlock' }) })],
    ['assertion from another origin', 'BAD_ASSERTION', async () => ({ origin: 'https://evil.example' })],
    ['vehicle provisioned for another RP id', 'BAD_ASSERTION', async () => ({ config: { rpId: 'other.example' } })],
    ['signature bytes flipped', 'BAD_ASSERTION', async () => ({ tamper: (r) => ({ ...r, asr: { ...r.asr, signature: r.asr.signature.map((b, i) => (i === 10 ? b ^ 1 : b)) } }) })],
    // The library's ASN.1 parser would take these; the car takes only strict DER (one spelling per signature).
    ['a DER sequence whose length covers a byte after its two integers', 'BAD_ASSERTION', async () => ({ tamper: (r) => ({ ...r, asr: { ...r.asr, signature: new Uint8Array([...r.asr.signature.subarray(0, 1), (r.asr.signature[1] ?? 0) + 1, ...r.asr.signature.subarray(2), 0]) } }) })],
    ['a valid signature with a byte after its DER sequence (the library would accept it)', 'BAD_ASSERTION', async () => ({ tamper: (r) => ({ ...r, asr: { ...r.asr, signature: new Uint8Array([...r.asr.signature, 0]) } }) })],
    ['clientDataJSON of a registration', 'BAD_ASSERTION', async () => ({ tamper: (r) => ({ ...r, asr: { ...r.asr, clientDataJSON: new TextEncoder().encode(new TextDecoder().decode(r.asr.clientDataJSON).replace('webauthn.get', 'webauthn.create')) } }) })],
    ['counter not above the stored one (cloned passkey)', 'COUNTER_REGRESSION', async () => ({ state: { counters: { [passkey.id]: 1_000_000 } } })],
  ])('%s → %s', async (_name, code, scenario) => {
    const decision = await run(await scenario());
    expect(decision.code).toBe(code);
    expect(decision.ok).toBe(false);
    expect(decision.counter).toBeUndefined();
  });

  it('a forged assertion with a low counter is BAD_ASSERTION, not COUNTER_REGRESSION (signature first)', async () => {
    const decision = await run({
      state: { counters: { [passkey.id]: 1_000_000 } },
      tamper: (r) => ({ ...r, asr: { ...r.asr, signature: r.asr.signature.map((b, i) => (i === 10 ? b ^ 1 : b)) } }),
    });
    expect(decision.code).toBe('BAD_ASSERTION');
  });

  it('a credential swapped for another of the same passkey after signing → BAD_ASSERTION (tx binds the credential)', async () => {
    const other = await mintCredential({ issuer, passkey, keyId });
    const decision = await run({ tamper: (r) => ({ ...r, cred: other }) });
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
      ['that is garbage', async () => 'x.y.z'],
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
