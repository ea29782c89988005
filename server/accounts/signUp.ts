/**
 * Sign-up that does not tell whether an address has an account: every sign-up answers with an
 * account id and an enrollment, the same way.
 * - A free address: a new account that owns it; a verification link goes to it.
 * - The address of an account that never enrolled a passkey: a fresh enrollment for that account.
 * - The address of an enrolled account: a separate new account whose address stays unverified for
 *   good (the address keeps belonging to its owner: e-mail invitations, e-mail recovery and the
 *   dealer look-up reach the owner only). No link is sent for it; the address owner is told instead
 *   that someone tried to sign up with it, and how to get back in if it was them (R15).
 */
import type { AppContext } from '../appContext.js';
import type { AccountRecord } from './accountRecord.js';
import { AccountRepository } from './accountRepository.js';
import { sendEmailVerification } from './emailVerification.js';

type Deps = Pick<AppContext, 'accounts' | 'outbox' | 'store' | 'clock' | 'config'>;

export async function signUp(ctx: Deps, opts: { email: string; displayName: string }): Promise<AccountRecord> {
  const account = AccountRepository.newAccount({ ...opts, nowMs: ctx.clock.now() });
  if (await ctx.accounts.insertWithEmail(account)) {
    await sendEmailVerification(ctx, account.accountId);
    return account;
  }
  const ownerId = await ctx.accounts.ownerOfEmail(account.email);
  const owner = ownerId === null ? null : await ctx.accounts.find(ownerId);
  if (owner && owner.passkeyIds.length === 0 && owner.closedAt === undefined) {
    // Whoever enrolls it now must prove the address again: a verification made before does not pass to them.
    const fresh = await ctx.accounts.update(owner.accountId, (a) => ({ ...a, emailVerified: false }));
    await sendEmailVerification(ctx, owner.accountId);
    return fresh;
  }
  await ctx.accounts.insertWithoutEmail(account);
  if (owner) {
    await ctx.outbox.notify(owner.accountId, {
      kind: 'sign-up-attempt',
      subject: 'Someone tried to create an account with your address',
      body: 'A new Smart Digital Key account was requested with this e-mail address, which already has an account. If it was you: log in with your passkey, or, if you lost your phone, recover access from the account page or at an authorised dealer. If not, you need not do anything.',
      data: {},
    });
  }
  return account;
}
