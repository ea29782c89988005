/**
 * API session tokens: short-lived ES256 JWTs, `typ: sdk-session+jwt`, audience `sdk-api`, naming the
 * account and the passkey that logged in — so disabling that passkey (R6) ends its sessions too.
 * Their own `typ` and audience keep them from ever passing as a key credential or a manifest.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { IssuerSigningKey } from '../../shared/credential/issuerKey.js';
import { signCompactJws } from '../../shared/credential/signCompactJws.js';
import { verifyIssuerToken, type TrustedIssuer } from '../../shared/credential/trustedIssuer.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { idSchema, base64UrlIdSchema, uuidSchema } from '../../shared/ids.js';
import { SESSION_CLOCK_TOLERANCE_S } from './verifiedSessions.js';

export const SESSION_TYP = 'sdk-session+jwt';
export const SESSION_AUDIENCE = 'sdk-api';

const sessionClaimsSchema = z.object({ sub: idSchema, pid: base64UrlIdSchema, jti: uuidSchema, exp: z.number().int(), gen: z.number().int().nonnegative().default(0) });

export interface IssueSessionTokenOpts {
  key: IssuerSigningKey;
  issuer: string;
  accountId: string;
  passkeyId: string;
  /** The account's session generation (R15: recovery raises it, ending every older session). */
  generation: number;
  nowSeconds: number;
  ttlSeconds: number;
}

export async function issueSessionToken(opts: IssueSessionTokenOpts): Promise<string> {
  return signCompactJws({
    key: opts.key,
    typ: SESSION_TYP,
    payload: {
      iss: opts.issuer,
      aud: SESSION_AUDIENCE,
      sub: opts.accountId,
      pid: opts.passkeyId,
      iat: opts.nowSeconds,
      nbf: opts.nowSeconds,
      exp: opts.nowSeconds + opts.ttlSeconds,
      jti: randomUUID(),
      gen: opts.generation,
    },
  });
}

/** Verify a session token; any failure is UNAUTHENTICATED (no oracle on why). */
export interface VerifySessionTokenOpts {
  token: string;
  trust: TrustedIssuer;
  nowSeconds: number;
}

export interface VerifiedSession {
  accountId: string;
  passkeyId: string;
  /** The token's `jti`: logout ends the session by it. */
  sessionId: string;
  /** `exp`, in seconds. */
  expiresAt: number;
  /** The account's session generation when it was issued (R15). */
  generation: number;
}

export async function verifySessionToken(opts: VerifySessionTokenOpts): Promise<VerifiedSession> {
  try {
    const payload = await verifyIssuerToken({
      token: opts.token,
      trust: opts.trust,
      typ: SESSION_TYP,
      audience: SESSION_AUDIENCE,
      requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp', 'nbf', 'jti'],
      nowSeconds: opts.nowSeconds,
      clockToleranceSeconds: SESSION_CLOCK_TOLERANCE_S,
      malformed: 'UNAUTHENTICATED',
    });
    const claims = sessionClaimsSchema.parse(payload);
    return { accountId: claims.sub, passkeyId: claims.pid, sessionId: claims.jti, expiresAt: claims.exp, generation: claims.gen };
  } catch (err) {
    throw new DigitalKeyError('UNAUTHENTICATED', undefined, { cause: err });
  }
}
