/**
 * E-mail verification: a single-use link goes to the address to prove (the account's unverified
 * address, or the new address of a change), through the outbox; using it verifies the address, and
 * for a change makes it the account's address (the old one is told). An address that belongs to
 * another account is never verified for this one, and asking for it tells the asker nothing: the
 * answer is the same, and only the address owner hears of it (sign-up and profile routes).
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { EmailLinks, portalLink } from './emailLinks.js';

type Deps = Pick<AppContext, 'accounts' | 'outbox' | 'store' | 'clock' | 'config'>;

/** The address this account still has to verify (a pending change first), or null. */
export function addressToVerify(account: { email: string; emailVerified?: boolean | undefined; pendingEmail?: string | undefined }): string | null {
  if (account.pendingEmail !== undefined) return account.pendingEmail;
  return account.emailVerified ? null : account.email;
}

/** Send (again) the verification link for the address the account has to verify; nothing if there is none or it is another account's. */
export async function sendEmailVerification(ctx: Deps, accountId: AccountId): Promise<void> {
  const account = await ctx.accounts.find(accountId);
  if (!account || account.closedAt !== undefined) return;
  const address = addressToVerify(account);
  if (address === null) return;
  // Another account's address: no link. (A link message is never kept in the inbox, so the
  // account sees the same either way.)
  const owner = await ctx.accounts.ownerOfEmail(address);
  if (owner !== null && owner !== accountId) return;
  const token = await new EmailLinks(ctx).create({ kind: 'verify-email', accountId, email: address }, ctx.config.EMAIL_VERIFICATION_TTL);
  await ctx.outbox.notify(
    accountId,
    { kind: 'verify-email', subject: 'Confirm your e-mail address', body: `Open the link in this e-mail to confirm ${address} for your Smart Digital Key account.`, data: { email: address } },
    { to: address, link: portalLink(ctx, 'verify-email', token) },
  );
}

/** Use a verification link: the address it was sent to becomes the account's verified address. */
export async function verifyEmail(ctx: Deps, token: string): Promise<{ accountId: AccountId; email: string }> {
  const link = await new EmailLinks(ctx).take('verify-email', token);
  const account = await ctx.accounts.find(link.accountId);
  if (!account || account.closedAt !== undefined) throw new DigitalKeyError('VERIFICATION_INVALID');
  const changing = link.email === account.pendingEmail && link.email !== account.email;
  if (!changing && link.email !== account.email) throw new DigitalKeyError('VERIFICATION_INVALID', 'this link is for an address the account no longer uses');
  // The address must be this account's in the index (taken now for a change; a sign-up for an address
  // that belonged to another account never gets it).
  if (!(await ctx.accounts.claimEmail(link.email, account.accountId))) throw new DigitalKeyError('VERIFICATION_INVALID');
  const previous = account.email;
  await ctx.accounts.update(account.accountId, (a) => {
    const { pendingEmail: _done, ...rest } = a;
    return a.pendingEmail === link.email || a.email === link.email ? { ...rest, email: link.email, emailVerified: true } : a;
  });
  if (changing) {
    await ctx.accounts.releaseEmail(previous, account.accountId);
    await ctx.outbox.notify(
      account.accountId,
      { kind: 'email-changed', subject: 'Your e-mail address was changed', body: `Your Smart Digital Key account now uses ${link.email}. If you did not ask for this, contact an authorised dealer at once.`, data: { email: link.email } },
      { to: previous },
    );
  }
  return { accountId: account.accountId, email: link.email };
}
