/**
 * A dealer's enrolment from an operator's invitation link (DESIGN §4: dealers are made by operators
 * only). The invitation names an address; enrolment creates a new dealer account that owns it
 * (verified: the link went to it), with the passkey registered in the ceremony (user verification
 * required). An address that already has an account is refused (ACCOUNT_EXISTS): an existing
 * customer account is made a dealer with the operator's `grant-dealer`, never by whoever holds a link.
 * 1. `previewDealerInvitation`: which address, until when (the link is not used up).
 * 2. `startDealerEnrolment`: passkey creation options for the account to be created; a cancelled
 *    passkey prompt can start again.
 * 3. `finishDealerEnrolment`: verifies the passkey, then takes the invitation (GETDEL: of concurrent
 *    enrolments exactly one wins), creates the account, stores the passkey, audits, returns a session.
 */
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, PasskeyId } from '../../shared/ids.js';
import { recordAccountAudit } from '../accounts/accountAudit.js';
import { AccountRepository } from '../accounts/accountRepository.js';
import { newSession } from '../accounts/newSession.js';
import { registrationOptions, verifyRegistration } from '../accounts/relyingParty.js';
import type { AppContext } from '../appContext.js';
import { secretDigest } from '../store/secretDigest.js';
import { DealerInvitations } from './dealerInvitations.js';

type Deps = Pick<AppContext, 'accounts' | 'store' | 'clock' | 'config' | 'challenges' | 'rp' | 'issuerKey'>;

export interface DealerInvitationPreview {
  email: string;
  expiresAt: number;
}

export async function previewDealerInvitation(ctx: Pick<AppContext, 'store' | 'clock'>, token: string): Promise<DealerInvitationPreview> {
  const { email, expiresAt } = await new DealerInvitations(ctx).open(secretDigest(token), 'peek');
  return { email, expiresAt };
}

export async function startDealerEnrolment(ctx: Deps, opts: { token: string; displayName: string }) {
  const digest = secretDigest(opts.token);
  const invitation = await new DealerInvitations(ctx).open(digest, 'peek');
  if ((await ctx.accounts.ownerOfEmail(invitation.email)) !== null) throw new DigitalKeyError('ACCOUNT_EXISTS');
  const account = { ...AccountRepository.newAccount({ email: invitation.email, displayName: opts.displayName, nowMs: ctx.clock.now() }), dealer: true };
  const options = await registrationOptions(ctx.rp, account);
  const challengeId = await ctx.challenges.createDealerEnrolment(options.challenge, account.accountId, { digest, email: account.email, displayName: account.displayName });
  return { challengeId, options };
}

export interface FinishDealerEnrolmentResult {
  accountId: AccountId;
  passkeyId: PasskeyId;
  /** A session for the new dealer. */
  token: string;
}

export async function finishDealerEnrolment(
  ctx: Deps,
  opts: { token: string; challengeId: string; response: RegistrationResponseJSON; label?: string },
): Promise<FinishDealerEnrolmentResult> {
  const challenge = await ctx.challenges.take(opts.challengeId, 'dealer-enrol');
  const { accountId, dealerEnrolment: binding } = challenge;
  if (accountId === null || !binding || binding.digest !== secretDigest(opts.token)) throw new DigitalKeyError('CHALLENGE_EXPIRED');
  const passkey = await verifyRegistration({ rp: ctx.rp, response: opts.response, expectedChallenge: challenge.challenge, accountId, nowMs: ctx.clock.now() });
  // Single use: the invitation is taken only now, after the passkey verified.
  const invitation = await new DealerInvitations(ctx).open(binding.digest, 'take');
  const now = ctx.clock.now();
  const account = { accountId, email: invitation.email, displayName: binding.displayName, createdAt: now, passkeyIds: [], dealer: true, emailVerified: true };
  if (!(await ctx.accounts.insertWithEmail(account))) throw new DigitalKeyError('ACCOUNT_EXISTS');
  await ctx.accounts.addPasskey({ ...passkey, ...(opts.label !== undefined ? { label: opts.label } : {}) });
  await recordAccountAudit(ctx, {
    at: now,
    accountId,
    action: 'dealer-enrolled',
    actor: { accountId: null, role: 'system' },
    reason: "enrolled as a dealer from an operator's invitation",
    detail: { passkeyId: passkey.passkeyId, invitedAt: invitation.createdAt },
  });
  return { accountId, passkeyId: passkey.passkeyId, token: await newSession(ctx, { accountId, passkeyId: passkey.passkeyId }) };
}
