/**
 * What provisioning makes for a car when the operator does not bring it: the vehicle's P-256 key
 * pair (the car keeps the private key and signs its sync requests with it; the server stores only
 * the public key) and the QR token printed inside the car (shown once; the server stores only its
 * SHA-256). Written to the car's key file with mode 0600.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
import { z } from 'zod';
import { vehiclePublicJwkSchema } from '../domain/vehicleRecord.js';

/** A P-256 public JWK with just the members provisioning keeps. */
export type VehiclePublicJwk = {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
};

export interface VehicleKeyPair {
  publicJwk: VehiclePublicJwk;
  privateJwk: JWK;
}

/** A private P-256 JWK, its members in the order Node exports them (the order of the key file). */
const vehiclePrivateJwkSchema = z.object({ kty: z.literal('EC'), x: z.string(), y: z.string(), crv: z.literal('P-256'), d: z.string() });

/** A fresh key pair for a car. */
export function generateVehicleKeyPair(): VehicleKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicJwk: vehiclePublicJwkSchema.parse(publicKey.export({ format: 'jwk' })),
    privateJwk: vehiclePrivateJwkSchema.parse(privateKey.export({ format: 'jwk' })),
  };
}

/** A fresh QR token: 32 random bytes, base64url (43 characters). */
export function generateQrToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Write the car's private key where `npm run vehicle` reads it (VEHICLE_KEY_FILE), readable by its owner only. */
export async function writeVehicleKeyFile(path: string, privateJwk: JWK): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(privateJwk)}\n`, { mode: 0o600 });
}
