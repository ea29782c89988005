/**
 * R15: a dealer who has checked the person's identity issues a one-time recovery code for their
 * account (the Temporary Access Pass model): shown once, at most RECOVERY_CODE_TTL (≤ 24 h), stored
 * as a digest, audited with the dealer and the reason, and the account is told. A dealer account
 * is never recovered this way (a dealer could otherwise take over another dealer's account).
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import { recordAccountAudit } from '../accounts/accountAudit.js';
import type { AppContext } from '../appContext.js';
import { RecoveryCodes } from './recoveryCodes.js';

export async function issueRecoveryCode(
  ctx: Pick<AppContext, 'accounts' | 'store' | 'clock' | 'config' | 'outbox'>,
  opts: { accountId: AccountId; dealer: AccountId; reason: string },
): Promise<{ code: string; expiresAt: number }> {
  const account = await ctx.accounts.find(opts.accountId);
  if (!account || account.closedAt !== undefined) throw new DigitalKeyError('NOT_FOUND', 'no such account');
  if (account.dealer) throw new DigitalKeyError('FORBIDDEN', 'a dealer account is recovered by an operator');
  const issued = await new RecoveryCodes(ctx).issue({ accountId: opts.accountId, issuedBy: opts.dealer, reason: opts.reason, ttlSeconds: ctx.config.RECOVERY_CODE_TTL });
  await recordAccountAudit(ctx, {
    at: ctx.clock.now(),
    accountId: opts.accountId,
    action: 'recovery-code-issued',
    actor: { accountId: opts.dealer, role: 'dealer' },
    reason: opts.reason,
    detail: { expiresAt: issued.expiresAt },
  });
  await ctx.outbox.notify(opts.accountId, {
    kind: 'recovery-code-issued',
    subject: 'A dealer issued a recovery code for your account',
    body: 'An authorised dealer issued a one-time code to register a new passkey on your Smart Digital Key account. If you did not ask a dealer for this, contact an authorised dealer at once.',
    data: { expiresAt: issued.expiresAt },
  });
  return issued;
}
