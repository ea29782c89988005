/**
 * Identifier formats. Every identifier is validated before it is used, so user input can never
 * change a storage key name or a Redis Cluster hash slot (no `{`, `}`, `:` or whitespace passes).
 */
import { z } from 'zod';

export type Vin = string;
export type Base64Url = string;
export type AccountId = string;
export type KeyId = string;
export type PasskeyId = Base64Url;

/** ISO 3779 VIN: 17 characters, no I, O or Q. */
export const VIN_PATTERN = /^[A-HJ-NPR-Z0-9]{17}$/;
/** url-safe base64 without padding, 16 to 256 characters (WebAuthn credential ids, random ids). */
export const BASE64URL_ID_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const vinSchema = z.string().regex(VIN_PATTERN, 'a VIN is 17 characters of A-H, J-N, P, R-Z and 0-9').meta({ examples: ['WVWZZZ1JZ3W386752'] });
export const base64UrlIdSchema = z.string().regex(BASE64URL_ID_PATTERN, 'an id is url-safe base64 (16-256 characters)').meta({ examples: ['kZ8xq2Vd3u7N0bWcQmPfLw'] });
export const uuidSchema = z.string().regex(UUID_PATTERN, 'a UUID').meta({ examples: ['3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41'] });
/** Our own ids: UUIDs or url-safe base64. */
export const idSchema = z.union([uuidSchema, base64UrlIdSchema]);

export function isVin(value: unknown): value is Vin {
  return typeof value === 'string' && VIN_PATTERN.test(value);
}
export function isId(value: unknown): value is string {
  return typeof value === 'string' && (UUID_PATTERN.test(value) || BASE64URL_ID_PATTERN.test(value));
}
