/**
 * Authentication for every route: a Bearer session token (passkey login) for accounts and dealers.
 * The passkey named in the session must still be enabled (R6), and a dealer route needs an
 * account an operator made a dealer. Vehicle routes authenticate with the vehicle's own key.
 */
import type { Request } from 'express';
import { epochSeconds } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isSessionEnded } from '../accounts/endedSessions.js';
import { verifySessionToken } from '../accounts/sessionTokens.js';
import type { AppContext } from '../appContext.js';
import type { AccountCaller, Caller } from './caller.js';
import type { RouteAuth } from './route.js';

export function bearerToken(req: Request): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const [, token] = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header.trim()) ?? [];
  return token ?? null;
}

export type VehicleAuthenticator = (req: Request) => Promise<Caller>;

export function createAuthenticator(ctx: AppContext, vehicleAuth?: VehicleAuthenticator) {
  return async function authenticate(req: Request, auth: RouteAuth, allowDealer = false): Promise<Caller> {
    if (auth === 'none') return { kind: 'anonymous' };
    if (auth === 'vehicle') {
      if (!vehicleAuth) throw new DigitalKeyError('UNAUTHENTICATED');
      return vehicleAuth(req);
    }
    const token = bearerToken(req);
    if (!token) throw new DigitalKeyError('UNAUTHENTICATED');
    const session = await verifySessionToken({ token, trust: ctx.trust, nowSeconds: epochSeconds(ctx.clock) });
    if (await isSessionEnded(ctx, session.sessionId)) throw new DigitalKeyError('UNAUTHENTICATED');
    const passkey = await ctx.accounts.findPasskey(session.passkeyId);
    if (!passkey || passkey.accountId !== session.accountId) throw new DigitalKeyError('UNAUTHENTICATED');
    if (passkey.disabled) throw new DigitalKeyError('PASSKEY_DISABLED');
    const account = await ctx.accounts.find(session.accountId);
    // R15: a recovery ends every session of the account issued before it.
    if (!account || account.closedAt !== undefined || session.generation !== (account.sessionGeneration ?? 0)) throw new DigitalKeyError('UNAUTHENTICATED');
    if (auth === 'dealer' && !account.dealer) throw new DigitalKeyError('FORBIDDEN');
    // Least privilege: a dealer account revokes and looks up; it never claims, issues or shares keys.
    if (auth === 'session' && account.dealer && !allowDealer) throw new DigitalKeyError('FORBIDDEN');
    return { kind: 'account', accountId: account.accountId, passkeyId: session.passkeyId, dealer: account.dealer, sessionId: session.sessionId, sessionExpiresAt: session.expiresAt };
  };
}

/** Narrow a caller to an account (routes with `auth: 'session'` or `'dealer'`). */
export function requireAccount(caller: Caller): AccountCaller {
  if (caller.kind !== 'account') throw new DigitalKeyError('UNAUTHENTICATED');
  return caller;
}
