/**
 * The pure rule of a claim (the operation is server/vehicles/claimVehicle.ts). R2: the main user is the owner or an authorised user who proved possession of the vehicle (an
 * odometer reading close to the telematics one, or the QR token in the car) and accepted the terms;
 * one main user at a time. R4d/R12: a claim by another account — a shared user included — wipes
 * every key and ends the previous main user's access (the operation notifies them).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import type { VehicleRecord } from './vehicleRecord.js';
import { wipeAllKeys } from './wipeAllKeys.js';

export type ClaimProof = { method: 'odometer'; odometerKm: number } | { method: 'qr'; qrToken: string };

/** Wrong odometer readings allowed per vehicle in a window before odometer claims are refused. */
export const MAX_ODOMETER_FAILURES = 5;
export const ODOMETER_FAILURE_WINDOW_MS = 24 * 3600 * 1000;

export type ClaimOutcome =
  | {
      kind: 'claimed';
      vehicle: VehicleRecord;
      /** The main user whose access this claim ended (R12), if any. */
      previousMainUser: AccountId | null;
      /** Whether every key was wiped (R4d). */
      wiped: boolean;
    }
  /** A wrong odometer reading: the failure is counted (in `vehicle`), and the claim refused. */
  | { kind: 'rejected'; vehicle: VehicleRecord };

export function hashQrToken(qrToken: string): string {
  return createHash('sha256').update(qrToken, 'utf8').digest('base64url');
}

/** Whether a scanned QR token is the one printed in this car: a constant-time comparison of fixed-length digests (the token is a secret). */
export function qrTokenMatches(vehicle: Pick<VehicleRecord, 'qrTokenHash'>, qrToken: string): boolean {
  const given = Buffer.from(hashQrToken(qrToken));
  const stored = Buffer.from(vehicle.qrTokenHash);
  return given.length === stored.length && timingSafeEqual(given, stored);
}

function proofHolds(vehicle: VehicleRecord, proof: ClaimProof, toleranceKm: number): boolean {
  if (proof.method === 'odometer') return Math.abs(proof.odometerKm - vehicle.odometerKm) <= toleranceKm;
  return qrTokenMatches(vehicle, proof.qrToken);
}

/**
 * An odometer reading is guessable (±tolerance, so a few thousand tries cover any car), so:
 * it can only claim a vehicle nobody holds — replacing a main user takes the QR code inside the
 * car — and wrong readings are counted per vehicle, refusing odometer claims (RATE_LIMITED) after
 * MAX_ODOMETER_FAILURES in ODOMETER_FAILURE_WINDOW_MS. The QR token (192 random bits) needs no limit.
 */
export interface ClaimOutcomeOpts {
  accountId: AccountId;
  proof: ClaimProof;
  acceptTerms: boolean;
  nowMs: number;
  odometerToleranceKm: number;
}

export function claimOutcome(vehicle: VehicleRecord, opts: ClaimOutcomeOpts): ClaimOutcome {
  if (!opts.acceptTerms) throw new DigitalKeyError('TERMS_NOT_ACCEPTED');
  const previous = vehicle.mainUser?.accountId ?? null;
  const { proof } = opts;
  if (proof.method === 'odometer') {
    if (previous !== null && previous !== opts.accountId) {
      throw new DigitalKeyError('CLAIM_REJECTED', 'a vehicle that has a main user can only be claimed with the QR code in the car');
    }
    const failures = vehicle.odometerClaimFailures && opts.nowMs - vehicle.odometerClaimFailures.since < ODOMETER_FAILURE_WINDOW_MS ? vehicle.odometerClaimFailures : null;
    if (failures && failures.count >= MAX_ODOMETER_FAILURES) {
      throw new DigitalKeyError('RATE_LIMITED', 'too many wrong odometer readings for this vehicle: use the QR code in the car, or try again tomorrow');
    }
    if (!proofHolds(vehicle, proof, opts.odometerToleranceKm)) {
      const counted = failures ? { count: failures.count + 1, since: failures.since } : { count: 1, since: opts.nowMs };
      return { kind: 'rejected', vehicle: { ...vehicle, odometerClaimFailures: counted } };
    }
  } else if (!proofHolds(vehicle, proof, opts.odometerToleranceKm)) {
    throw new DigitalKeyError('CLAIM_REJECTED');
  }

  const { odometerClaimFailures: _cleared, ...rest } = vehicle;
  const mainUser = { accountId: opts.accountId, since: opts.nowMs, method: proof.method, termsAcceptedAt: opts.nowMs };
  if (vehicle.mainUser?.accountId === opts.accountId) {
    // The main user proving possession again changes nothing about the keys.
    return { kind: 'claimed', vehicle: { ...rest, mainUser: { ...mainUser, since: vehicle.mainUser.since } }, previousMainUser: null, wiped: false };
  }
  const base = previous === null ? rest : wipeAllKeys(rest, opts.nowMs);
  return {
    kind: 'claimed',
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
