/**
 * R15, e-mail recovery: a single-use link (RECOVERY_LINK_TTL, stored as a digest) to the account's
 * verified address — asked for by the account holder on the portal, or sent by a dealer for the
 * customer. Self-service answers the same whatever the address; a link goes only to a verified
 * address of an open account. What the link allows is limited (presence.ts): no main-user key
 * until presence at a car is proven.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import type { AccountRecord } from '../accounts/accountRecord.js';
import { recordAccountAudit } from '../accounts/accountAudit.js';
import { EmailLinks, portalLink } from '../accounts/emailLinks.js';
import type { AppContext } from '../appContext.js';

type Deps = Pick<AppContext, 'accounts' | 'store' | 'clock' | 'config' | 'outbox'>;

async function sendLink(ctx: Deps, account: AccountRecord, by: { accountId: AccountId | null; role: 'self' | 'dealer' }, reason: string): Promise<void> {
  const token = await new EmailLinks(ctx).create({ kind: 'recover', accountId: account.accountId, email: account.email, requestedBy: by }, ctx.config.RECOVERY_LINK_TTL);
  await ctx.outbox.notify(
    account.accountId,
    {
      kind: 'recovery-email',
      subject: 'Get back into your Smart Digital Key account',
      body: 'Open the link in this e-mail to register a new passkey. For your safety, a main-user key needs the QR code inside your car (or a code from an authorised dealer) afterwards. If you did not ask for this, ignore this e-mail.',
      data: {},
    },
    { to: account.email, link: portalLink(ctx, 'recover', token) },
  );
  await recordAccountAudit(ctx, { at: ctx.clock.now(), accountId: account.accountId, action: 'recovery-email-sent', actor: by, reason });
}

/** Self-service: a link if the address is the verified address of an open account; nothing (and no difference) otherwise. */
export async function requestRecoveryEmail(ctx: Deps, email: string): Promise<void> {
  const ownerId = await ctx.accounts.ownerOfEmail(email);
  const account = ownerId === null ? null : await ctx.accounts.find(ownerId);
  if (!account || account.closedAt !== undefined || !account.emailVerified || account.dealer || account.email !== email) return;
  await sendLink(ctx, account, { accountId: null, role: 'self' }, 'asked for on the account page');
}

/** A dealer sends the link for a customer; the dealer is told when the account has no verified address. */
export async function sendRecoveryEmailForCustomer(ctx: Deps, opts: { accountId: AccountId; dealer: AccountId; reason: string }): Promise<void> {
  const account = await ctx.accounts.find(opts.accountId);
  if (!account || account.closedAt !== undefined) throw new DigitalKeyError('NOT_FOUND', 'no such account');
  if (account.dealer) throw new DigitalKeyError('FORBIDDEN', 'a dealer account is recovered by an operator');
  if (!account.emailVerified) throw new DigitalKeyError('EMAIL_NOT_VERIFIED', 'the account has no verified address to send a link to');
  await sendLink(ctx, account, { accountId: opts.dealer, role: 'dealer' }, opts.reason);
}
