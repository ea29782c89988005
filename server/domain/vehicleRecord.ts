/**
 * The stored state of one vehicle and of one digital key. Everything about a vehicle lives under
 * its hash tag (`sdk:{VIN}:…`); the vehicle document is the record every multi-record rule
 * expects and rewrites in one commit, so no two rules can interleave on one vehicle.
 */
import type { JWK } from 'jose';
import type { Command } from '../../shared/commands.js';
import type { AccountId, Base64Url, KeyId, PasskeyId, Vin } from '../../shared/ids.js';
import type { VehicleSubscriptions } from '../subscriptions/subscriptionRecord.js';

export type ClaimMethod = 'odometer' | 'qr';

export interface MainUser {
  accountId: AccountId;
  /** When the claim was made (ms). */
  since: number;
  method: ClaimMethod;
  /** When the terms of use were accepted (ms) — R2. */
  termsAcceptedAt: number;
}

export interface RevokedKey {
  keyId: KeyId;
  /** Seconds: after this no credential of the key can still be valid, so it leaves the manifest. */
  until: number;
}

export interface VehicleRecord {
  vin: Vin;
  /** The vehicle's first registration date (YYYY-MM-DD); the trial runs a year from it (R9). */
  firstRegistration: string;
  /** Odometer reading last reported by telematics, for claims by odometer (R2). */
  odometerKm: number;
  /** SHA-256 (base64url) of the QR token printed in the car; the token itself is never stored. */
  qrTokenHash: Base64Url;
  /** The vehicle's own public key (P-256 JWK): it signs its requests to the vehicle API. */
  vehiclePublicJwk: JWK;
  provisionedAt: number;
  mainUser: MainUser | null;
  standardServices: { active: boolean; changedAt: number };
  /** Key epoch: wiping every key is one increment (R4); credentials carry it as `ep`. */
  epoch: number;
  /** State-manifest sequence number: grows with every change the car must learn of. */
  seq: number;
  /** Individually revoked keys whose credentials may still be unexpired. */
  revoked: RevokedKey[];
  /** Shared keys in the current epoch (kept here so the limit is checked in the same commit). */
  sharedKeys: number;
  /** Wrong odometer readings in the current window (claims by odometer are limited, R2). */
  odometerClaimFailures?: { count: number; since: number };
  /** Keys ever made for this vehicle: every key change rewrites the document, so it serialises them with wipes. */
  keysIssued: number;
  /** The Smart Digital Key subscription, the trial's use and pending billing work (R9–R11); absent until the first one. */
  subscriptions?: VehicleSubscriptions;
}

export type KeyRole = 'main' | 'shared';

export interface DigitalKey {
  keyId: KeyId;
  vin: Vin;
  accountId: AccountId;
  /** The one passkey (phone) this key is bound to. */
  passkeyId: PasskeyId;
  role: KeyRole;
  perms: Command[];
  /** Optional validity window of a shared key, in seconds. */
  notBefore?: number;
  notAfter?: number;
  /** The epoch the key was made in; a key outlives no wipe. */
  epoch: number;
  createdAt: number;
  /** Who granted it (the main user, for shared keys). */
  grantedBy?: AccountId;
}
