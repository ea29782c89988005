/**
 * The vehicle's verifier (DESIGN.md §3, step 4): state and time in, decision out. It does no I/O
 * and changes nothing: the caller consumes the connection's nonce before calling (so a second try
 * always fails), then commits what the decision says (a newer manifest, the new signature counter,
 * the actuation) atomically. Order, each step's error code, and why:
 *
 *  1. nonce present and fresh                 UNKNOWN_NONCE (consumed first, by the caller)
 *  2. `state`: applied if newer and verified  (stale or foreign manifests are ignored, never fatal)
 *  3. credential signature/typ/iss/aud/time   BAD_SIGNATURE, BAD_CREDENTIAL, WRONG_VEHICLE, NOT_YET_VALID, EXPIRED
 *  4. epoch                                   EPOCH_STALE  (R4: a wipe is one epoch increment)
 *  5. revocation                              REVOKED      (R6)
 *  6. perms ⊇ cmd                             PERMISSION_DENIED (R3: restricted shared keys)
 *  7. asr.id == cnf.wa.id                     BAD_ASSERTION (the key is bound to one passkey)
 *  8. UV flag                                 USER_NOT_VERIFIED (R14)
 *  9. WebAuthn assertion over tx              BAD_ASSERTION (binds nonce, VIN, cmd, credential)
 * 10. signature counter grows                 COUNTER_REGRESSION (a cloned passkey)
 *
 * Everything is checked offline against provisioned trust (R7).
 */
import { decodeJwt } from 'jose';
import type { Command } from '../../shared/commands.js';
import { verifyKeyCredential, type KeyCredentialClaims } from '../../shared/credential/keyCredential.js';
import { verifyStateManifest, type StateManifestClaims } from '../../shared/credential/stateManifest.js';
import { isStrictDerEcdsaSignature } from '../../shared/credential/strictDerSignature.js';
import { verifyAssertion } from './verifyAssertion.js';
import type { TrustedIssuer } from '../../shared/credential/trustedIssuer.js';
import { asDigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { ErrorCode } from '../../shared/errors/errorCode.js';
import type { KeyId, Vin } from '../../shared/ids.js';
import type { RequestMessage } from '../../shared/ble/messages.js';
import { transactionHash } from '../../shared/ble/transactionHash.js';
import { withManifest, type VehicleState } from './vehicleState.js';

/** What the vehicle is provisioned with. */
export interface VerifierConfig {
  vin: Vin;
  trust: TrustedIssuer;
  /** WebAuthn relying party id the passkeys were registered for. */
  rpId: string;
  /** Accepted WebAuthn origins (the phone app's). */
  origins: readonly string[];
  /** Clock skew accepted on credential times, in seconds (default: shared DEFAULT_SKEW_SECONDS). */
  skewSeconds?: number;
}

/** One decoded request with the consumed nonce, the state and the time to judge it by. */
export interface VerifierInput {
  request: RequestMessage;
  /** This connection's challenge nonce, already consumed; null when there was none or it expired. */
  nonce: Uint8Array | null;
  state: Readonly<VehicleState>;
  /** The vehicle's forward-only clock, in ms. */
  nowMs: number;
  config: VerifierConfig;
}

/** The verdict, and what to commit with it. */
export interface VerifierDecision {
  ok: boolean;
  code: ErrorCode | 'OK';
  cmd: Command;
  /** The credential's key id, once the credential verified. */
  keyId?: KeyId;
  /** A newer, verified manifest from the request: apply it whatever the outcome. */
  manifest?: StateManifestClaims;
  /** On success: the passkey's new signature counter, to store with the actuation. */
  counter?: { passkeyId: string; value: number };
}

/** The UV ("user verified") bit of the authenticator data flags (byte 32). */
const FLAG_UV = 0x04;
const FLAGS_OFFSET = 32;

/** Judge one request (no I/O, no mutation); see the module header for the order of checks. */
export async function verifyCommandRequest(input: VerifierInput): Promise<VerifierDecision> {
  const { request, config } = input;
  const cmd = request.cmd;
  // 1. The nonce was consumed by the caller before anything else.
  if (!input.nonce) return { ok: false, code: 'UNKNOWN_NONCE', cmd };
  const nonce = input.nonce;

  // 2. A newer signed manifest carried by the phone updates the car before the credential is judged.
  const manifest = request.state ? await newerManifest(request.state, input) : undefined;
  const state = manifest ? withManifest(input.state, manifest) : input.state;
  const nowMs = Math.max(input.nowMs, state.highestTrustedMs);
  const base = { cmd, ...(manifest ? { manifest } : {}) };

  let claims: KeyCredentialClaims;
  try {
    // 3. Signature, typ, iss, aud = this VIN, nbf/exp (R7: offline, against provisioned trust).
    claims = await verifyKeyCredential({
      credential: request.cred,
      trust: config.trust,
      vin: config.vin,
      nowSeconds: Math.floor(nowMs / 1000),
      ...(config.skewSeconds === undefined ? {} : { skewSeconds: config.skewSeconds }),
    });
  } catch (err) {
    return { ...base, ok: false, code: asDigitalKeyError(err).code };
  }
  const withKey = { ...base, keyId: claims.sub };
  const fail = (code: ErrorCode): VerifierDecision => ({ ...withKey, ok: false, code });

  // 4. R4: every key issued before the last wipe is dead.
  if (claims.ep < state.ep) return fail('EPOCH_STALE');
  // 5. R6: individually revoked keys.
  if (state.revoked.includes(claims.sub)) return fail('REVOKED');
  // 6. R3: a restricted key only allows its commands.
  if (!claims.perms.includes(cmd)) return fail('PERMISSION_DENIED');
  // 7. The key is bound to one passkey.
  const passkeyId = claims.cnf.wa.id;
  if (Buffer.from(request.asr.id).toString('base64url') !== passkeyId) return fail('BAD_ASSERTION');
  // 8. R14: biometric user verification, checked here so the refusal has its own exact code.
  if (((request.asr.authenticatorData[FLAGS_OFFSET] ?? 0) & FLAG_UV) === 0) return fail('USER_NOT_VERIFIED');

  // 8b. One spelling per signature: strict DER only (no trailing bytes, minimal integers).
  if (!isStrictDerEcdsaSignature(request.asr.signature)) return fail('BAD_ASSERTION');

  // 9. The assertion must be over tx = H(nonce, VIN, cmd, H(credential)).
  const tx = transactionHash({ nonce, vin: config.vin, cmd, credential: request.cred });
  // type, challenge = tx, origin, RP-id hash, UP and UV, the signature with the passkey's key (verifyAssertion.ts).
  const checked = verifyAssertion(request.asr, { challenge: tx, origins: config.origins, rpId: config.rpId, coseKey: claims.cnf.wa.pk });
  if (!checked.ok) return fail('BAD_ASSERTION');
  const newCounter = checked.counter;

  // 10. When either counter is non-zero it must grow (WebAuthn §6.1.1); a clone shows up here.
  const stored = state.counters[passkeyId] ?? 0;
  if ((newCounter > 0 || stored > 0) && newCounter <= stored) return fail('COUNTER_REGRESSION');

  return { ...withKey, ok: true, code: 'OK', counter: { passkeyId, value: newCounter } };
}

/**
 * The manifest from the request if it is newer than ours and verifies for this VIN; otherwise
 * undefined. A stale, foreign or forged manifest is ignored: it must never block a command.
 */
async function newerManifest(jws: string, input: VerifierInput): Promise<StateManifestClaims | undefined> {
  try {
    // Cheap check first: most phones send the manifest the car already has.
    const seq = decodeJwt(jws).seq;
    if (typeof seq !== 'number' || seq <= input.state.seq) return undefined;
    const claims = await verifyStateManifest({
      manifest: jws,
      trust: input.config.trust,
      vin: input.config.vin,
      nowSeconds: Math.floor(Math.max(input.nowMs, input.state.highestTrustedMs) / 1000),
    });
    return claims.seq > input.state.seq ? claims : undefined;
  } catch {
    return undefined;
  }
}
