/** A validation failure as sentences a person reads ("vin: …; odometerKm: …"), not a zod issue array. */
import type { z } from 'zod';

const FIELD_NAMES: Record<string, string> = {
  vin: 'the VIN',
  firstRegistration: 'the first registration date',
  odometerKm: 'the odometer reading',
  qrToken: 'the QR token',
  vehiclePublicJwk: "the vehicle's public key",
  linkSecret: "the vehicle's link secret",
  email: 'the e-mail address',
};

export function describeInputError(err: z.ZodError): string {
  return err.issues
    .map((issue) => {
      const field = String(issue.path[0] ?? '');
      const name = FIELD_NAMES[field] ?? (issue.path.join('.') || 'the input');
      return `${name} is not valid: ${issue.message}`;
    })
    .join('; ');
}
