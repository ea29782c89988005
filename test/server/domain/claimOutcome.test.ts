/**
 * The claim rule as a table (R2, R4d, R12): who holds the vehicle, which proof, the terms, and the
 * odometer failure count decide the outcome — claimed (wiping or not) or refused with one code.
 */
import { describe, expect, it } from 'vitest';
import { claimOutcome, MAX_ODOMETER_FAILURES, ODOMETER_FAILURE_WINDOW_MS, type ClaimProof } from '../../../server/domain/claimOutcome.js';
import type { MainUser, VehicleRecord } from '../../../server/domain/vehicleRecord.js';
import type { ErrorCode } from '../../../shared/errors/errorCode.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';
import { FIXTURE_ODOMETER_KM, FIXTURE_QR_TOKEN, vehicleFixture } from './vehicleFixture.js';

const NOW = Date.UTC(2026, 5, 1);
const TOLERANCE_KM = 50;
const ME = 'me';
const OTHER = 'other';
const held = (accountId: string): MainUser => ({ accountId, since: NOW - 1000, method: 'odometer', termsAcceptedAt: NOW - 1000 });
const odometer = (km: number): ClaimProof => ({ method: 'odometer', odometerKm: km });
const qr = (token: string): ClaimProof => ({ method: 'qr', qrToken: token });
const failures = (count: number, ageMs = 0) => ({ odometerClaimFailures: { count, since: NOW - ageMs } });

interface Row {
  name: string;
  vehicle: Partial<VehicleRecord>;
  proof: ClaimProof;
  acceptTerms?: boolean;
  expect: { kind: 'claimed'; wiped: boolean; previousMainUser: string | null } | { kind: 'rejected'; failures: number } | { throws: ErrorCode };
}

const rows: Row[] = [
  { name: 'R2: odometer exactly right, nobody holds it', vehicle: {}, proof: odometer(FIXTURE_ODOMETER_KM), expect: { kind: 'claimed', wiped: false, previousMainUser: null } },
  { name: 'R2: odometer at the upper tolerance', vehicle: {}, proof: odometer(FIXTURE_ODOMETER_KM + TOLERANCE_KM), expect: { kind: 'claimed', wiped: false, previousMainUser: null } },
  { name: 'R2: odometer at the lower tolerance', vehicle: {}, proof: odometer(FIXTURE_ODOMETER_KM - TOLERANCE_KM), expect: { kind: 'claimed', wiped: false, previousMainUser: null } },
  { name: 'R2: odometer one km past the tolerance is counted and refused', vehicle: {}, proof: odometer(FIXTURE_ODOMETER_KM + TOLERANCE_KM + 1), expect: { kind: 'rejected', failures: 1 } },
  { name: 'R2: a wrong reading adds to a running count', vehicle: failures(2, 1000), proof: odometer(0), expect: { kind: 'rejected', failures: 3 } },
  { name: 'R2: a wrong reading after the window starts a new count', vehicle: failures(4, ODOMETER_FAILURE_WINDOW_MS), proof: odometer(0), expect: { kind: 'rejected', failures: 1 } },
  { name: 'R2: at the failure limit even the right reading is RATE_LIMITED', vehicle: failures(MAX_ODOMETER_FAILURES), proof: odometer(FIXTURE_ODOMETER_KM), expect: { throws: 'RATE_LIMITED' } },
  { name: 'R2: one below the limit the right reading still claims', vehicle: failures(MAX_ODOMETER_FAILURES - 1), proof: odometer(FIXTURE_ODOMETER_KM), expect: { kind: 'claimed', wiped: false, previousMainUser: null } },
  { name: 'R2: the limit lapses after the window', vehicle: failures(MAX_ODOMETER_FAILURES, ODOMETER_FAILURE_WINDOW_MS), proof: odometer(FIXTURE_ODOMETER_KM), expect: { kind: 'claimed', wiped: false, previousMainUser: null } },
  { name: 'R2: the QR code is not rate limited', vehicle: failures(MAX_ODOMETER_FAILURES), proof: qr(FIXTURE_QR_TOKEN), expect: { kind: 'claimed', wiped: false, previousMainUser: null } },
  { name: 'R2: a wrong QR token is refused outright (not counted)', vehicle: {}, proof: qr('not-the-token'), expect: { throws: 'CLAIM_REJECTED' } },
  { name: 'R2: the terms must be accepted', vehicle: {}, proof: qr(FIXTURE_QR_TOKEN), acceptTerms: false, expect: { throws: 'TERMS_NOT_ACCEPTED' } },
  { name: 'R2: an odometer reading cannot replace a main user', vehicle: { mainUser: held(OTHER) }, proof: odometer(FIXTURE_ODOMETER_KM), expect: { throws: 'CLAIM_REJECTED' } },
  { name: 'R4d, R12: the QR code replaces another main user and wipes every key', vehicle: { mainUser: held(OTHER) }, proof: qr(FIXTURE_QR_TOKEN), expect: { kind: 'claimed', wiped: true, previousMainUser: OTHER } },
  { name: 'R2: the main user proving possession again by odometer wipes nothing', vehicle: { mainUser: held(ME) }, proof: odometer(FIXTURE_ODOMETER_KM), expect: { kind: 'claimed', wiped: false, previousMainUser: null } },
  { name: 'R2: the main user proving possession again by QR wipes nothing', vehicle: { mainUser: held(ME) }, proof: qr(FIXTURE_QR_TOKEN), expect: { kind: 'claimed', wiped: false, previousMainUser: null } },
];

describe('claimOutcome', () => {
  it.each(rows)('$name', (row) => {
    const before = vehicleFixture({ standardServices: { active: true, changedAt: 1 }, sharedKeys: 2, revoked: [{ keyId: 'k', until: 9e9 }], ...row.vehicle });
    const run = () => claimOutcome(before, { accountId: ME, proof: row.proof, acceptTerms: row.acceptTerms ?? true, nowMs: NOW, odometerToleranceKm: TOLERANCE_KM });
    const want = row.expect;
    if ('throws' in want) {
      expectThrowsWithCode(run, want.throws);
      return;
    }
    const out = run();
    expect(out.kind).toBe(want.kind);
    if (want.kind === 'rejected') {
      // The failure is counted on the document (the operation commits it), nothing else changes.
      expect(out.vehicle.odometerClaimFailures?.count).toBe(want.failures);
      expect({ ...out.vehicle, odometerClaimFailures: undefined }).toEqual({ ...before, odometerClaimFailures: undefined });
      return;
    }
    if (out.kind !== 'claimed') throw new Error('unreachable');
    expect({ wiped: out.wiped, previousMainUser: out.previousMainUser }).toEqual({ wiped: want.wiped, previousMainUser: want.previousMainUser });
    expect(out.vehicle.mainUser).toMatchObject({ accountId: ME, method: row.proof.method, termsAcceptedAt: NOW });
    expect(out.vehicle.odometerClaimFailures).toBeUndefined();
    if (want.wiped) {
      // R4d: one epoch and one seq increment; revocations and the shared-key count start over; Standard Services are the new user's to activate.
      expect(out.vehicle).toMatchObject({ epoch: before.epoch + 1, seq: before.seq + 1, revoked: [], sharedKeys: 0, standardServices: { active: false, changedAt: NOW } });
    } else {
      expect(out.vehicle).toMatchObject({ epoch: before.epoch, seq: before.seq, revoked: before.revoked, sharedKeys: before.sharedKeys });
    }
    if (before.mainUser?.accountId === ME) {
      // Proving possession again keeps the tenure's start and the services.
      expect(out.vehicle.mainUser?.since).toBe(before.mainUser.since);
      expect(out.vehicle.standardServices).toEqual(before.standardServices);
    }
  });
});
