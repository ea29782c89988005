/**
 * The per-vehicle link secret and the keys derived from it. Provisioning makes 32 random bytes for
 * each car; the car holds them in its provisioning file, the server in the vehicle record, and
 * neither ever sends them anywhere. A key holder gets only derived keys, with each credential:
 *
 * - the **advertising key** (one per vehicle) lets a phone resolve the car's rotating private
 *   advertisement (advertisingName.ts) and nothing else;
 * - the **response key** (one per credential) lets the car authenticate its BLE answers to the
 *   phone holding that credential, so no other key holder can forge them.
 *
 * Both are HMAC-SHA256 under the link secret with a versioned label, so a new use gets its own label
 * and never a key another use has. The secret and the derived keys are never logged.
 *
 * @example
 * const advertisingKey = deriveAdvertisingKey(linkSecret);
 * const responseKey = deriveResponseKey(linkSecret, credentialDigest(credential));
 */
import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import { base64UrlToBytes } from '../base64url.js';
import type { Base64Url } from '../ids.js';

/** The link secret's length: 32 random bytes. */
export const LINK_SECRET_BYTES = 32;

const ADVERTISING_LABEL = 'sdk-digital-key/advertising/v2';
const RESPONSE_LABEL = 'sdk-digital-key/response/v2';

/** 32 bytes of key material as base64url without padding (43 characters, canonical): link secrets and the keys derived from them, as files, records and API answers hold them. */
export const keyBytes32Schema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, `${LINK_SECRET_BYTES} bytes, base64url (43 characters)`)
  .refine(isCanonicalBase64Url, 'canonical base64url');

function isCanonicalBase64Url(text: string): boolean {
  try {
    base64UrlToBytes(text);
    return true;
  } catch {
    return false;
  }
}

/** A link secret as files and records hold it: LINK_SECRET_BYTES bytes, base64url. */
export const linkSecretSchema = keyBytes32Schema;

/** The bytes of a link secret held as base64url (checked). */
export function linkSecretBytes(linkSecret: Base64Url): Uint8Array {
  return base64UrlToBytes(linkSecretSchema.parse(linkSecret));
}

/** The key a phone resolves the car's private advertisements with: HMAC-SHA256(linkSecret, "sdk-digital-key/advertising/v2"). */
export function deriveAdvertisingKey(linkSecret: Uint8Array): Uint8Array {
  return hmac(linkSecret, [Buffer.from(ADVERTISING_LABEL, 'utf8')]);
}

/**
 * The key the car authenticates its responses with, for the phone holding one credential:
 * HMAC-SHA256(linkSecret, "sdk-digital-key/response/v2" ‖ credentialDigest).
 */
export function deriveResponseKey(linkSecret: Uint8Array, credentialDigest: Uint8Array): Uint8Array {
  if (credentialDigest.length !== 32) throw new RangeError(`a credential digest is 32 bytes, not ${credentialDigest.length}`);
  return hmac(linkSecret, [Buffer.from(RESPONSE_LABEL, 'utf8'), credentialDigest]);
}

/**
 * SHA-256 of a credential's COSE bytes, from the base64url text the server hands it out as: the
 * same digest the car computes from the bytes it receives over BLE.
 */
export function credentialDigest(credential: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Buffer.from(credential, 'base64url')).digest());
}

function hmac(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  if (key.length !== LINK_SECRET_BYTES) throw new RangeError(`a link secret is ${LINK_SECRET_BYTES} bytes, not ${key.length}`);
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
}
