/**
 * Schemas several routes share: path parameters, the issued-credential answer, the API view of a
 * digital key, and the claim/provisioning fields (odometer, QR token) the operator and the phone
 * both send. Route-specific bodies stay with their route.
 */
import { z } from 'zod';
import { COMMANDS } from '../../shared/commands.js';
import { base64UrlIdSchema, uuidSchema, vinSchema } from '../../shared/ids.js';
import type { DigitalKey } from '../domain/vehicleRecord.js';
import { keyBytes32Schema } from '../../shared/ble/linkKeys.js';

export const vinParams = z.object({ vin: vinSchema });

/** An e-mail address, trimmed and lower-cased (the e-mail index hashes it the same way). */
export const emailSchema = z.string().trim().toLowerCase().max(254).email().meta({ examples: ['an.peeters@example.be'] });

/** A name the user gives a passkey ("Pixel 8"). */
export const passkeyLabelSchema = z.string().trim().min(1).max(60).meta({ examples: ['Pixel 8'] });


/** A key's credential, the vehicle's state manifest and the keys the phone uses at the car, as issuance and refresh answer. */
export const issuedSchema = z.object({
  keyId: uuidSchema,
  credential: z.string(),
  state: z.string(),
  expiresAt: z.number().int(),
  responseKey: keyBytes32Schema.meta({ description: "This credential's response key (32 bytes, base64url): the car authenticates its BLE answers to this credential's holder with it. Keep it with the credential; a refreshed credential comes with a new one." }),
  advertisingKey: keyBytes32Schema.meta({ description: "The vehicle's advertising key (32 bytes, base64url): resolves the car's rotating BLE advertisement (shared/ble/protocol.md, Advertising). The same for every credential of the vehicle." }),
});

/** An odometer reading in km, as telematics reports it and a claimant types it. */
export const odometerKmSchema = z.number().int().min(0).max(5_000_000);
/** The QR token printed in the car. */
export const qrTokenSchema = z.string().min(16).max(256);

export const keyViewSchema = z.object({
  keyId: uuidSchema,
  vin: vinSchema,
  accountId: uuidSchema,
  passkeyId: base64UrlIdSchema,
  role: z.enum(['main', 'shared']),
  perms: z.array(z.enum(COMMANDS)),
  notBefore: z.number().int().optional(),
  notAfter: z.number().int().optional(),
  createdAt: z.number().int(),
});

/** What the API shows of a digital key (not its internal epoch or grantor). */
export function keyView(key: DigitalKey): z.infer<typeof keyViewSchema> {
  const { keyId, vin, accountId, passkeyId, role, perms, notBefore, notAfter, createdAt } = key;
  return { keyId, vin, accountId, passkeyId, role, perms, createdAt, ...(notBefore !== undefined ? { notBefore } : {}), ...(notAfter !== undefined ? { notAfter } : {}) };
}
