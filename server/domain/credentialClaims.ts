/**
 * The claims of a key credential for a key at a moment: short-lived (CREDENTIAL_TTL, outlasting a
 * maintenance window — R7 — and refreshed online — R8), clipped to a shared key's window and never
 * signed more than CREDENTIAL_TTL ahead of its `nbf`, carrying the vehicle's epoch and the passkey it
 * is bound to (R14: the car demands that passkey's assertion).
 */
import { COMMANDS } from '../../shared/commands.js';
import type { KeyCredentialClaims } from '../../shared/credential/keyCredential.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { DigitalKey, VehicleRecord } from './vehicleRecord.js';

export interface CredentialClaimsOpts {
  issuer: string;
  vehicle: VehicleRecord;
  key: DigitalKey;
  /** The passkey the key is bound to: the car demands its assertion (R14). */
  passkey: { publicKey: string };
  nowSeconds: number;
  ttlSeconds: number;
}

/**
 * The key is alive on this vehicle document: in its current epoch (a wipe ends the others:
 * EPOCH_STALE), not revoked (R3, R6), and a main key only while its holder is the main user (R4).
 */
export function assertKeyAlive(vehicle: VehicleRecord, key: DigitalKey): void {
  if (key.epoch !== vehicle.epoch) throw new DigitalKeyError('EPOCH_STALE');
  if (vehicle.revoked.some((r) => r.keyId === key.keyId)) throw new DigitalKeyError('REVOKED');
  if (key.role === 'main' && vehicle.mainUser?.accountId !== key.accountId) throw new DigitalKeyError('REVOKED');
}

export function credentialClaims(opts: CredentialClaimsOpts): KeyCredentialClaims {
  const { key, vehicle, nowSeconds } = opts;
  assertKeyAlive(vehicle, key);
  const nbf = Math.max(nowSeconds, key.notBefore ?? nowSeconds);
  // A credential is never made more than its lifetime ahead of its start: a phone holding it offline
  // could otherwise keep a key for far longer than CREDENTIAL_TTL past its last online check (R8).
  if (nbf - nowSeconds > opts.ttlSeconds) {
    throw new DigitalKeyError('NOT_YET_VALID', `the key's window starts later than one credential lifetime from now: ask again from ${nbf - opts.ttlSeconds}`);
  }
  const exp = Math.min(nbf + opts.ttlSeconds, key.notAfter ?? Number.MAX_SAFE_INTEGER);
  if (exp <= nowSeconds || exp <= nbf) throw new DigitalKeyError('EXPIRED', 'the key is past its validity window');
  return {
    iss: opts.issuer,
    sub: key.keyId,
    aud: vehicle.vin,
    iat: nowSeconds,
    nbf,
    exp,
    role: key.role,
    perms: key.role === 'main' ? [...COMMANDS] : key.perms,
    ep: vehicle.epoch,
    cnf: { wa: { pk: opts.passkey.publicKey } },
  };
}
