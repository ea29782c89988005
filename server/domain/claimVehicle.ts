/**
 * R2: the main user is the owner or an authorised user who proved possession of the vehicle (an
 * odometer reading close to the telematics one, or the QR token in the car) and accepted the terms;
 * one main user at a time. R4d/R12: a claim by another account — a shared user included — wipes
 * every key and ends the previous main user's access (the caller notifies them).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import type { ClaimMethod, VehicleRecord } from './vehicleRecord.js';
import { wipeAllKeys } from './wipeAllKeys.js';

export type ClaimProof = { method: 'odometer'; odometerKm: number } | { method: 'qr'; qrToken: string };

export interface ClaimOutcome {
  vehicle: VehicleRecord;
  /** The main user whose access this claim ended (R12), if any. */
  previousMainUser: AccountId | null;
  /** Whether every key was wiped (R4d). */
  wiped: boolean;
}

export function hashQrToken(qrToken: string): string {
  return createHash('sha256').update(qrToken, 'utf8').digest('base64url');
}

function proofHolds(vehicle: VehicleRecord, proof: ClaimProof, toleranceKm: number): boolean {
  if (proof.method === 'odometer') return Math.abs(proof.odometerKm - vehicle.odometerKm) <= toleranceKm;
  // Constant-time comparison of fixed-length digests: the token is a secret.
  const given = Buffer.from(hashQrToken(proof.qrToken));
  const stored = Buffer.from(vehicle.qrTokenHash);
  return given.length === stored.length && timingSafeEqual(given, stored);
}

export function claimVehicle(
  vehicle: VehicleRecord,
  opts: { accountId: AccountId; proof: ClaimProof; acceptTerms: boolean; nowMs: number; odometerToleranceKm: number },
): ClaimOutcome {
  if (!opts.acceptTerms) throw new DigitalKeyError('TERMS_NOT_ACCEPTED');
  if (!proofHolds(vehicle, opts.proof, opts.odometerToleranceKm)) throw new DigitalKeyError('CLAIM_REJECTED');
  const method: ClaimMethod = opts.proof.method;
  const mainUser = { accountId: opts.accountId, since: opts.nowMs, method, termsAcceptedAt: opts.nowMs };

  const previous = vehicle.mainUser?.accountId ?? null;
  if (previous === opts.accountId) {
    // The main user proving possession again changes nothing about the keys.
    return { vehicle: { ...vehicle, mainUser: { ...mainUser, since: vehicle.mainUser!.since } }, previousMainUser: null, wiped: false };
  }
  const base = previous === null ? vehicle : wipeAllKeys(vehicle);
  return {
    vehicle: {
      ...base,
      mainUser,
      // Standard Services are the previous user's contract; the new main user activates their own (R1).
      standardServices: { active: false, changedAt: opts.nowMs },
    },
    previousMainUser: previous,
    wiped: previous !== null,
  };
}
