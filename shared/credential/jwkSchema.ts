/**
 * JSON Web Keys read from outside the process (a JWKS fetched from the issuer or read from a file, a
 * vehicle key file, a key exported by node:crypto), validated with zod instead of trusted by a cast.
 * The members we use are typed; any other member is kept as it came, so jose still sees the whole key.
 *
 * @example
 * const jwks = jwkSetSchema.parse(await res.json());
 * const { x, y } = p256PublicJwkSchema.parse(publicKey.export({ format: 'jwk' }));
 */
import { z } from 'zod';

/** One JWK (RFC 7517 §4): the common members typed, the rest passed through. Its output is a jose `JWK`. */
export const jwkSchema = z.looseObject({
  kty: z.string(),
  kid: z.string().exactOptional(),
  alg: z.string().exactOptional(),
  use: z.string().exactOptional(),
  crv: z.string().exactOptional(),
  x: z.string().exactOptional(),
  y: z.string().exactOptional(),
  d: z.string().exactOptional(),
});

/** A JWK Set (RFC 7517 §5), as the issuer publishes at `/.well-known/jwks.json`. Its output is a jose `JSONWebKeySet`. */
export const jwkSetSchema = z.object({ keys: z.array(jwkSchema) });

/** The public half of a P-256 key (RFC 7518 §6.2.1), the only curve the protocol uses. */
export const p256PublicJwkSchema = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string() });

/** A private P-256 key (RFC 7518 §6.2.2): the public members and `d`. */
export const p256PrivateJwkSchema = p256PublicJwkSchema.extend({ d: z.string() });
