/**
 * Mijn Profiel: display name, language, time zone, and an e-mail change. A new address is only
 * pending until the link sent to it is used (emailVerification.ts); if it belongs to another
 * account, the answer is the same, no link is sent, and that address's owner is told instead.
 */
import type { AccountId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import type { AccountRecord, Language } from './accountRecord.js';
import { sendEmailVerification } from './emailVerification.js';

export interface ProfileChange {
  displayName?: string;
  language?: Language;
  timeZone?: string;
  email?: string;
}

/** The account after a profile change (pure): an address other than the current one becomes pending. */
export function changedProfile(account: AccountRecord, change: ProfileChange): AccountRecord {
  const next: AccountRecord = {
    ...account,
    ...(change.displayName !== undefined ? { displayName: change.displayName } : {}),
    ...(change.language !== undefined ? { language: change.language } : {}),
    ...(change.timeZone !== undefined ? { timeZone: change.timeZone } : {}),
  };
  if (change.email === undefined) return next;
  const { pendingEmail: _replaced, ...rest } = next;
  return change.email === account.email ? rest : { ...rest, pendingEmail: change.email };
}

export async function updateProfile(ctx: Pick<AppContext, 'accounts' | 'outbox' | 'store' | 'clock' | 'config'>, opts: { accountId: AccountId; change: ProfileChange }): Promise<AccountRecord> {
  const before = await ctx.accounts.find(opts.accountId);
  const account = await ctx.accounts.update(opts.accountId, (a) => changedProfile(a, opts.change));
  if (account.pendingEmail !== undefined && account.pendingEmail !== before?.pendingEmail) {
    const owner = await ctx.accounts.ownerOfEmail(account.pendingEmail);
    if (owner !== null && owner !== account.accountId) {
      await ctx.outbox.notify(owner, {
        kind: 'email-change-attempt',
        subject: 'Someone tried to add your address to another account',
        body: 'Another Smart Digital Key account asked to use this e-mail address. It was not changed: your address stays with your account. You need not do anything.',
        data: {},
      });
    }
    await sendEmailVerification(ctx, account.accountId);
  }
  return account;
}
