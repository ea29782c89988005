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
    transports: transports.exactOptional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).exactOptional(),
});

export const authenticationResponseSchema = z.object({
  id: base64UrlIdSchema,
  rawId: base64UrlIdSchema,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(4096),
    signature: b64url(1024),
    userHandle: b64url(512).exactOptional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).exactOptional(),
});

const credentialDescriptor = z.object({ id: base64UrlIdSchema, type: z.literal('public-key'), transports: transports.optional() });
const userVerification = z.enum(['required', 'preferred', 'discouraged']);

/**
 * The passkey creation options the server answers (WebAuthn `PublicKeyCredentialCreationOptionsJSON`,
 * made by SimpleWebAuthn): hand them to the platform's passkey API as they are. Documentation of
 * the answer; further WebAuthn fields may appear.
 */
export const registrationOptionsSchema = z.looseObject({
  rp: z.object({ name: z.string(), id: z.string().optional() }),
  user: z.object({ id: b64url(128), name: z.string(), displayName: z.string() }),
  challenge: b64url(256),
  pubKeyCredParams: z.array(z.object({ alg: z.number().int(), type: z.literal('public-key') })),
  timeout: z.number().int().optional(),
  excludeCredentials: z.array(credentialDescriptor).optional(),
  authenticatorSelection: z
    .object({
      authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
      residentKey: z.enum(['required', 'preferred', 'discouraged']).optional(),
      requireResidentKey: z.boolean().optional(),
      userVerification: userVerification.optional(),
    })
    .optional(),
  attestation: z.enum(['none', 'indirect', 'direct', 'enterprise']).optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
});

/** The passkey login options (WebAuthn `PublicKeyCredentialRequestOptionsJSON`): user verification is required. */
export const authenticationOptionsSchema = z.looseObject({
  challenge: b64url(256),
  timeout: z.number().int().optional(),
  rpId: z.string().optional(),
  allowCredentials: z.array(credentialDescriptor).optional(),
  userVerification: userVerification.optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
});
