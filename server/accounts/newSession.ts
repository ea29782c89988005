/** Issue a session token for a passkey of an account, in the account's current session generation (R15). */
import { epochSeconds } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, PasskeyId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { issueSessionToken } from './sessionTokens.js';

export async function newSession(ctx: Pick<AppContext, 'accounts' | 'issuerKey' | 'config' | 'clock'>, opts: { accountId: AccountId; passkeyId: PasskeyId }): Promise<string> {
  const account = await ctx.accounts.find(opts.accountId);
  if (!account || account.closedAt !== undefined) throw new DigitalKeyError('UNAUTHENTICATED');
  return issueSessionToken({
    key: ctx.issuerKey,
    issuer: ctx.config.ISSUER,
    accountId: opts.accountId,
    passkeyId: opts.passkeyId,
    generation: account.sessionGeneration ?? 0,
    nowSeconds: epochSeconds(ctx.clock),
    ttlSeconds: ctx.config.SESSION_TTL,
  });
}
