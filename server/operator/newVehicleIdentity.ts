/**
 * What provisioning makes for a car when the operator does not bring it: the vehicle's P-256 key
 * pair (the car keeps the private key and signs its sync requests with it; the server stores only
 * the public key), the QR token printed inside the car (shown once; the server stores only its
 * SHA-256), and always the car's link secret (the car and the server both keep it: the car's
 * private advertising and response keys derive from it). The car's private key and link secret go
 * to its provisioning file (shared/vehicleKeyFile.ts, mode 0600).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { LINK_SECRET_BYTES } from '../../shared/ble/linkKeys.js';
import { p256PrivateJwkSchema } from '../../shared/credential/jwkSchema.js';
import type { Base64Url } from '../../shared/ids.js';
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
  privateJwk: VehiclePublicJwk & { d: string };
}

/** A fresh key pair for a car. */
export function generateVehicleKeyPair(): VehicleKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicJwk: vehiclePublicJwkSchema.parse(publicKey.export({ format: 'jwk' })),
    privateJwk: p256PrivateJwkSchema.parse(privateKey.export({ format: 'jwk' })),
  };
}

/** A fresh QR token: 32 random bytes, base64url (43 characters). */
export function generateQrToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A fresh link secret for a car: LINK_SECRET_BYTES random bytes, base64url (43 characters). */
export function generateLinkSecret(): Base64Url {
  return randomBytes(LINK_SECRET_BYTES).toString('base64url');
}
