/** A vehicle document for pure-rule tests: provisioned, nobody holds it, no keys yet. */
import type { VehicleRecord } from '../../../server/domain/vehicleRecord.js';
import { hashQrToken } from '../../../server/domain/claimOutcome.js';

export const FIXTURE_QR_TOKEN = 'the-qr-token-printed-inside-the-car';
export const FIXTURE_ODOMETER_KM = 42_000;
export const FIXTURE_LINK_SECRET = Buffer.alloc(32, 7).toString('base64url');

export function vehicleFixture(overrides: Partial<VehicleRecord> = {}): VehicleRecord {
  return {
    vin: 'WVWZZZ1JZXW000001',
    firstRegistration: '2025-06-01',
    odometerKm: FIXTURE_ODOMETER_KM,
    qrTokenHash: hashQrToken(FIXTURE_QR_TOKEN),
    vehiclePublicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
    linkSecret: FIXTURE_LINK_SECRET,
    provisionedAt: 0,
    mainUser: null,
    standardServices: { active: false, changedAt: 0 },
    epoch: 3,
    seq: 10,
    revoked: [],
    sharedKeys: 0,
    keysIssued: 0,
    ...overrides,
  };
}
