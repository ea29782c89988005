/** Schemas of the WebAuthn JSON a phone posts (bounded sizes, url-safe base64 only). */
import { z } from 'zod';
import { base64UrlIdSchema } from '../../shared/ids.js';

const b64url = (max: number) => z.string().regex(/^[A-Za-z0-9_-]+$/, 'url-safe base64').max(max);
const transports = z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).max(8);

export const registrationResponseSchema = z.object({
  id: base64UrlIdSchema,
  rawId: base64UrlIdSchema,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(16_384),
    transports: transports.optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

export const authenticationResponseSchema = z.object({
  id: base64UrlIdSchema,
  rawId: base64UrlIdSchema,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(4096),
    signature: b64url(1024),
    userHandle: b64url(512).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

/** Creation/request options are produced by SimpleWebAuthn; documented loosely. */
export const webauthnOptionsSchema = z.record(z.string(), z.unknown()).describe('WebAuthn options JSON (PublicKeyCredential*OptionsJSON)');
