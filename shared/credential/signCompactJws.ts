/**
 * Builds a compact JWS with an external signer (IssuerSigningKey), so the private key never has to
 * be a jose KeyLike in this process: the JWS token kinds (trust updates) use it. Verification is
 * jose's (trustedIssuer.ts).
 */
import type { IssuerSigningKey } from './issuerKey.js';

const encoder = new TextEncoder();

function b64url(data: Uint8Array | string): string {
  return Buffer.from(typeof data === 'string' ? encoder.encode(data) : data).toString('base64url');
}

export async function signCompactJws(opts: {
  key: IssuerSigningKey;
  typ: string;
  payload: Record<string, unknown>;
}): Promise<string> {
  const header = { alg: opts.key.alg, typ: opts.typ, kid: opts.key.kid };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(opts.payload))}`;
  const signature = await opts.key.sign(encoder.encode(signingInput));
  return `${signingInput}.${b64url(signature)}`;
}
