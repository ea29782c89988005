/**
 * Authentication for every route: a Bearer session token (passkey login) for accounts and dealers.
 * The passkey named in the session must still be enabled (R6), and a dealer route needs an
 * account an operator made a dealer. Vehicle routes authenticate with the vehicle's own key.
 */
import type { IncomingMessage } from 'node:http';
import { epochSeconds } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isSessionEnded } from '../accounts/endedSessions.js';
import { verifySessionToken } from '../accounts/sessionTokens.js';
import { VerifiedSessions } from '../accounts/verifiedSessions.js';
import type { AppContext } from '../appContext.js';
import type { AccountCaller, Caller } from './caller.js';
import type { RouteAuth } from './route.js';

export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const [, token] = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header.trim()) ?? [];
  return token ?? null;
}

export type VehicleAuthenticator = (req: IncomingMessage) => Promise<Caller>;

/**
 * Authenticate a request for a route. `alongside` is started once a session token has verified and
 * runs while the store checks do: reads a route needs whoever the caller is (never effects), so a
 * request costs one store round trip less. It is never started for a request without a valid token.
 */
export type Authenticator = (req: IncomingMessage, auth: RouteAuth, allowDealer?: boolean, alongside?: () => void) => Promise<Caller>;

export function createAuthenticator(ctx: AppContext, vehicleAuth?: VehicleAuthenticator, sessions = new VerifiedSessions()): Authenticator {
  return async function authenticate(req, auth, allowDealer = false, alongside) {
    if (auth === 'none') return { kind: 'anonymous' };
    if (auth === 'vehicle') {
      if (!vehicleAuth) throw new DigitalKeyError('UNAUTHENTICATED');
      return vehicleAuth(req);
    }
    const token = bearerToken(req);
    if (!token) throw new DigitalKeyError('UNAUTHENTICATED');
    const nowSeconds = epochSeconds(ctx.clock);
    const session = await sessions.verified(token, nowSeconds, () => verifySessionToken({ token, trust: ctx.trust, nowSeconds }));
    alongside?.();
    // What can change while the token lives is read on every request, in one round trip: logout, R6, R15, closure.
    const [ended, passkey, account] = await Promise.all([isSessionEnded(ctx, session.sessionId), ctx.accounts.findPasskey(session.passkeyId), ctx.accounts.find(session.accountId)]);
    if (ended) throw new DigitalKeyError('UNAUTHENTICATED');
    if (!passkey || passkey.accountId !== session.accountId) throw new DigitalKeyError('UNAUTHENTICATED');
    if (passkey.disabled) throw new DigitalKeyError('PASSKEY_DISABLED');
    // R15: a recovery ends every session of the account issued before it.
    if (!account || account.closedAt !== undefined || session.generation !== (account.sessionGeneration ?? 0)) throw new DigitalKeyError('UNAUTHENTICATED');
    if (auth === 'dealer' && !account.dealer) throw new DigitalKeyError('FORBIDDEN');
    // Least privilege: a dealer account revokes and looks up; it never claims, issues or shares keys.
    if (auth === 'session' && account.dealer && !allowDealer) throw new DigitalKeyError('FORBIDDEN');
    return { kind: 'account', accountId: account.accountId, passkeyId: session.passkeyId, dealer: account.dealer, sessionId: session.sessionId, sessionExpiresAt: session.expiresAt, records: { account, passkey } };
  };
}

/** Narrow a caller to an account (routes with `auth: 'session'` or `'dealer'`). */
export function requireAccount(caller: Caller): AccountCaller {
  if (caller.kind !== 'account') throw new DigitalKeyError('UNAUTHENTICATED');
  return caller;
}
