/**
 * The vehicle's verifier (protocol.md, "What the car checks"): state and time in, decision out. It
 * does no I/O and changes nothing: the caller consumes the connection's nonce before calling (so a
 * second try always fails), then commits what the decision says (a newer manifest, the new
 * signature counter, the actuation, the credential to cache) atomically. Order, each step's error
 * code, and why:
 *
 *  1. nonce present and fresh                 UNKNOWN_NONCE (consumed first, by the caller)
 *  2. `state`: applied if newer and verified  (stale or foreign manifests are ignored, never fatal)
 *  3. credential: by reference from the cache CREDENTIAL_UNKNOWN, or whole: signature/typ/aud
 *                                             BAD_SIGNATURE, BAD_CREDENTIAL, WRONG_VEHICLE
 *     and, cached or not, its time window     NOT_YET_VALID, EXPIRED
 *  4. epoch                                   EPOCH_STALE  (R4: a wipe is one epoch increment)
 *  5. revocation                              REVOKED      (R6)
 *  6. perms ⊇ cmd                             PERMISSION_DENIED (R3: restricted shared keys)
 *  7. UV flag                                 USER_NOT_VERIFIED (R14)
 *  8. WebAuthn assertion over tx              BAD_ASSERTION (binds nonce, VIN, cmd, credential)
 *  9. signature counter grows                 COUNTER_REGRESSION (a cloned passkey)
 *
 * From step 3 on the car knows the credential, so the decision carries the transaction hash and the
 * credential's response key, and the answer is authenticated (responseMac.ts).
 *
 * Everything is checked offline against provisioned trust (R7).
 */
import type { Command } from '../../shared/commands.js';
import { DEFAULT_SKEW_SECONDS, MAX_CREDENTIAL_LIFETIME_SECONDS, verifyKeyCredential, type KeyCredential } from '../../shared/credential/keyCredential.js';
import { readStateManifest, verifyStateManifest, type StateManifest } from '../../shared/credential/stateManifest.js';
import { revokedKeyDigestHex } from '../../shared/credential/revokedKeyDigest.js';
import type { TrustedIssuer } from '../../shared/credential/trustedIssuer.js';
import { asDigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { ErrorCode } from '../../shared/errors/errorCode.js';
import type { KeyId, Vin } from '../../shared/ids.js';
import { deriveResponseKey } from '../../shared/ble/linkKeys.js';
import type { RequestMessage } from '../../shared/ble/messages.js';
import { sha256, transactionHash } from '../../shared/ble/transactionHash.js';
import { credentialRef } from '../../shared/ble/credentialRef.js';
import type { CachedCredential, CredentialCache } from './credentialCache.js';
import { userVerified, verifyAssertion } from './verifyAssertion.js';
import { withManifest, type VehicleState } from './vehicleState.js';

/** What the vehicle is provisioned with. */
export interface VerifierConfig {
  vin: Vin;
  trust: TrustedIssuer;
  /** The vehicle's link secret (linkKeys.ts): response keys are derived from it. */
  linkSecret: Uint8Array;
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
  /** The credentials verified before (read only here; the caller adds `cache` from the decision). */
  cache: Pick<CredentialCache, 'get'>;
}

/** The verdict, and what to commit with it. */
export interface VerifierDecision {
  ok: boolean;
  code: ErrorCode | 'OK';
  cmd: Command;
  /** The credential's key id, once the credential verified. */
  keyId?: KeyId;
  /** A newer, verified manifest from the request: apply it whatever the outcome. */
  manifest?: StateManifest;
  /** Once the credential is known: what the answer is authenticated with. */
  answerKey?: { tx: Uint8Array; responseKey: Uint8Array };
  /** On success: the passkey's new signature counter (under passkeyCounterKey), to store with the actuation. */
  counter?: { passkeyKey: string; value: number };
  /** On success: the credential to remember, so the phone may name it by reference next time. */
  cache?: CachedCredential;
}

/** Judge one request (no I/O, no mutation); see the module header for the order of checks. */
export function verifyCommandRequest(input: VerifierInput): VerifierDecision {
  const { request, config } = input;
  const cmd = request.cmd;
  // 1. The nonce was consumed by the caller before anything else.
  if (!input.nonce) return { ok: false, code: 'UNKNOWN_NONCE', cmd };
  const nonce = input.nonce;

  // 2. A newer signed manifest carried by the phone updates the car before the credential is judged.
  const manifest = request.state ? newerManifest(request.state, input) : undefined;
  const state = manifest ? withManifest(input.state, manifest) : input.state;
  const nowMs = Math.max(input.nowMs, state.highestTrustedMs);
  const nowSeconds = Math.floor(nowMs / 1000);
  const base = { cmd, ...(manifest ? { manifest } : {}) };

  // 3. The credential: from the cache by reference (or by the digest of one sent whole), else verified now.
  let entry: CachedCredential;
  let fresh = false;
  try {
    const digest = request.cred ? sha256(request.cred) : undefined;
    const found = knownCredential(request, digest, input, nowSeconds);
    if (found) entry = found;
    else {
      if (!request.cred || !digest) return { ...base, ok: false, code: 'CREDENTIAL_UNKNOWN' };
      // Signature, typ, aud = this VIN, nbf/exp (R7: offline, against provisioned trust).
      const credential = verifyKeyCredential({
        credential: request.cred,
        trust: config.trust,
        vin: config.vin,
        nowSeconds,
        ...(config.skewSeconds === undefined ? {} : { skewSeconds: config.skewSeconds }),
      });
      entry = { digest, credential, responseKey: deriveResponseKey(config.linkSecret, digest) };
      fresh = true;
    }
  } catch (err) {
    return { ...base, ok: false, code: asDigitalKeyError(err).code };
  }
  const claims = entry.credential;
  const tx = transactionHash({ nonce, vin: config.vin, cmd, credentialDigest: entry.digest });
  const withKey = { ...base, keyId: claims.sub, answerKey: { tx, responseKey: entry.responseKey } };
  const fail = (code: ErrorCode): VerifierDecision => ({ ...withKey, ok: false, code });

  // 3b. A cached credential's window is judged again, by the car's clock now.
  if (!fresh) {
    const windowCode = windowProblem(claims, nowSeconds, config.skewSeconds ?? DEFAULT_SKEW_SECONDS);
    if (windowCode) return fail(windowCode);
  }
  // 4. R4: every key issued before the last wipe is dead.
  if (claims.ep < state.ep) return fail('EPOCH_STALE');
  // 5. R6: individually revoked keys (the manifest names them by digest).
  if (state.revoked.includes(revokedKeyDigestHex(claims.sub))) return fail('REVOKED');
  // 6. R3: a restricted key only allows its commands.
  if (!claims.perms.includes(cmd)) return fail('PERMISSION_DENIED');
  // 7. R14: biometric user verification, checked here so the refusal has its own exact code.
  if (!userVerified(request.authData)) return fail('USER_NOT_VERIFIED');
  // 8. type, challenge = tx, origin, RP-id hash, UP and UV, the signature with the passkey's key (verifyAssertion.ts).
  const checked = verifyAssertion(request, { challenge: tx, origins: config.origins, rpId: config.rpId, passkeyPoint: claims.passkeyPoint });
  if (!checked.ok) return fail('BAD_ASSERTION');
  // 9. When either counter is non-zero it must grow (WebAuthn §6.1.1); a clone shows up here.
  const passkeyKey = passkeyCounterKey(claims.passkeyPoint);
  const stored = state.counters[passkeyKey] ?? 0;
  if ((checked.counter > 0 || stored > 0) && checked.counter <= stored) return fail('COUNTER_REGRESSION');

  return { ...withKey, ok: true, code: 'OK', counter: { passkeyKey, value: checked.counter }, cache: entry };
}

/**
 * Under which name the car keeps a passkey's signature counter: its public key's SHA-256, first 16
 * bytes, base64url (the credential names the passkey by its key, not by its credential id).
 */
export function passkeyCounterKey(point: Uint8Array): string {
  return Buffer.from(sha256(point).subarray(0, 16)).toString('base64url');
}

/** The cached entry for this request's credential (by reference, or by the digest of one sent whole). */
function knownCredential(request: RequestMessage, digest: Uint8Array | undefined, input: VerifierInput, nowSeconds: number): CachedCredential | undefined {
  if (request.ref) return input.cache.get(request.ref, nowSeconds);
  if (!digest) return undefined;
  const entry = input.cache.get(credentialRef(digest), nowSeconds);
  return entry && Buffer.from(entry.digest).equals(digest) ? entry : undefined;
}

function windowProblem(c: KeyCredential, nowSeconds: number, skew: number): ErrorCode | null {
  if (c.exp - c.nbf > MAX_CREDENTIAL_LIFETIME_SECONDS) return 'BAD_CREDENTIAL';
  if (nowSeconds - skew >= c.exp) return 'EXPIRED';
  if (c.nbf > nowSeconds + skew) return 'NOT_YET_VALID';
  return null;
}

/**
 * The manifest from the request if it is newer than ours and verifies for this VIN; otherwise
 * undefined. A stale, foreign or forged manifest is ignored: it must never block a command.
 */
function newerManifest(bytes: Uint8Array, input: VerifierInput): StateManifest | undefined {
  try {
    // Cheap check first: a phone only sends a manifest newer than the challenge's seq, but may be wrong.
    if (readStateManifest(bytes).seq <= input.state.seq) return undefined;
    const claims = verifyStateManifest({
      manifest: bytes,
      trust: input.config.trust,
      vin: input.config.vin,
      nowSeconds: Math.floor(Math.max(input.nowMs, input.state.highestTrustedMs) / 1000),
    });
    return claims.seq > input.state.seq ? claims : undefined;
  } catch {
    return undefined;
  }
}
