/**
 * Vehicle provisioning, an operator action (never a public route): the VIN, first registration date
 * (the trial's start, R9), the odometer as reported by telematics (claims, R2), the QR token printed
 * in the car (stored only as its SHA-256), the vehicle's public key (it signs its sync requests) and
 * its link secret (the car holds the same secret; the advertising and response keys a key holder
 * gets with each credential derive from it, shared/ble/linkKeys.ts). The link secret is key
 * material: kept in the vehicle record, never in an answer or a log.
 */
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { linkSecretSchema } from '../../shared/ble/linkKeys.js';
import { vinSchema } from '../../shared/ids.js';
import { odometerKmSchema, qrTokenSchema } from '../http/apiSchemas.js';
import { hashQrToken } from '../domain/claimOutcome.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import type { VehicleRepository } from '../vehicles/vehicleRepository.js';

export const provisionVehicleSchema = z.object({
  vin: vinSchema,
  firstRegistration: z.iso.date(),
  odometerKm: odometerKmSchema,
  qrToken: qrTokenSchema,
  vehiclePublicJwk: z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string() }).passthrough(),
  linkSecret: linkSecretSchema,
});

export type ProvisionVehicleInput = z.input<typeof provisionVehicleSchema>;

export async function provisionVehicle(deps: { vehicles: VehicleRepository; clock: Clock }, input: ProvisionVehicleInput): Promise<VehicleRecord> {
  const v = provisionVehicleSchema.parse(input);
  const { kty, crv, x, y } = v.vehiclePublicJwk;
  const vehicle: VehicleRecord = {
    vin: v.vin,
    firstRegistration: v.firstRegistration,
    odometerKm: v.odometerKm,
    qrTokenHash: hashQrToken(v.qrToken),
    vehiclePublicJwk: { kty, crv, x, y },
    linkSecret: v.linkSecret,
    provisionedAt: deps.clock.now(),
    mainUser: null,
    standardServices: { active: false, changedAt: deps.clock.now() },
    epoch: 0,
    seq: 0,
    revoked: [],
    sharedKeys: 0,
    keysIssued: 0,
  };
  await deps.vehicles.create(vehicle);
  return vehicle;
}
