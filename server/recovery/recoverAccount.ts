/**
 * R15: redeeming a recovery code or link registers a new passkey (user verification required).
 * 1. `startRecovery` checks the code or link without using it up (a cancelled passkey prompt can be
 *    retried) and returns passkey creation options bound to it; wrong codes and links count
 *    against the client address (RATE_LIMITED after too many).
 * 2. `finishRecovery` verifies the new passkey, then takes the code or link (GETDEL: of concurrent
 *    redemptions exactly one succeeds), stores the passkey, ends every other session of the
 *    account, and tells the account. After an e-mail link the account must prove presence at a car
 *    before any main-user key (presence.ts); a dealer code lifts that.
 * Recovery never re-enables a disabled passkey and never revives a revoked or wiped key: keys are
 * bound to passkeys, and the new passkey holds none until the owner asks for one.
 */
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, PasskeyId } from '../../shared/ids.js';
import { recordAccountAudit } from '../accounts/accountAudit.js';
import { EmailLinks } from '../accounts/emailLinks.js';
import { newSession } from '../accounts/newSession.js';
import { registrationOptions, verifyRegistration } from '../accounts/relyingParty.js';
import type { AppContext } from '../appContext.js';
import { secretDigest } from '../store/secretDigest.js';
import { RecoveryCodes, recoveryCodeDigest } from './recoveryCodes.js';
import { RecoveryGuesses } from './recoveryGuesses.js';

export type RecoveryMethod = 'dealer-code' | 'email';
export type RecoveryProof = { code: string } | { emailToken: string };

type Deps = Pick<AppContext, 'accounts' | 'store' | 'clock' | 'config' | 'outbox' | 'challenges' | 'rp' | 'issuerKey'>;

/** Which account a code or link is for, without using it up; RECOVERY_INVALID if it is not a live one. */
async function accountOfProof(ctx: Deps, proof: RecoveryProof): Promise<{ accountId: AccountId; method: RecoveryMethod; digest: string }> {
  if ('code' in proof) {
    const digest = recoveryCodeDigest(proof.code);
    if (digest === null) throw new DigitalKeyError('RECOVERY_INVALID');
    return { accountId: (await new RecoveryCodes(ctx).peek(digest)).accountId, method: 'dealer-code', digest };
  }
  const link = await new EmailLinks(ctx).peek('recover', proof.emailToken);
  const account = await ctx.accounts.find(link.accountId);
  // A link is for the address it went to: once the account's address changed, it is void.
  if (!account || account.email !== link.email || !account.emailVerified) throw new DigitalKeyError('RECOVERY_INVALID');
  return { accountId: link.accountId, method: 'email', digest: secretDigest(proof.emailToken) };
}

export async function startRecovery(ctx: Deps, opts: { proof: RecoveryProof; client: string }) {
  const guesses = new RecoveryGuesses({ ...ctx, maxFailures: ctx.config.RECOVERY_GUESSES_PER_HOUR });
  await guesses.assertAllowed(opts.client);
  let found;
  try {
    found = await accountOfProof(ctx, opts.proof);
  } catch (err) {
    if (err instanceof DigitalKeyError && err.code === 'RECOVERY_INVALID') await guesses.recordFailure(opts.client);
    throw err;
  }
  const account = await ctx.accounts.find(found.accountId);
  if (!account || account.closedAt !== undefined) throw new DigitalKeyError('RECOVERY_INVALID');
  const options = await registrationOptions(ctx.rp, account);
  const challengeId = await ctx.challenges.create('recover', options.challenge, account.accountId, { method: found.method, digest: found.digest });
  return { challengeId, accountId: account.accountId, method: found.method, options };
}

export async function finishRecovery(
  ctx: Deps,
  opts: { challengeId: string; response: RegistrationResponseJSON; label?: string },
): Promise<{ accountId: AccountId; passkeyId: PasskeyId; token: string; presenceRequired: boolean }> {
  const challenge = await ctx.challenges.take(opts.challengeId, 'recover');
  const { accountId, recovery } = challenge;
  if (accountId === null || !recovery) throw new DigitalKeyError('CHALLENGE_EXPIRED');
  const passkey = await verifyRegistration({ rp: ctx.rp, response: opts.response, expectedChallenge: challenge.challenge, accountId, nowMs: ctx.clock.now() });
  // Single use: the code or link is taken only now, after the passkey verified.
  const taken = recovery.method === 'dealer-code' ? await new RecoveryCodes(ctx).take(recovery.digest) : await new EmailLinks(ctx).takeDigest('recover', recovery.digest);
  if (taken.accountId !== accountId) throw new DigitalKeyError('RECOVERY_INVALID');
  const account = await ctx.accounts.find(accountId);
  if (!account || account.closedAt !== undefined) throw new DigitalKeyError('RECOVERY_INVALID');

  await ctx.accounts.addPasskey({ ...passkey, ...(opts.label !== undefined ? { label: opts.label } : {}) });
  const after = await ctx.accounts.update(accountId, (a) => {
    const { presenceRequired: _lifted, ...rest } = a;
    // Every session issued before this one ends; an e-mail link leaves the presence proof to do.
    return { ...rest, sessionGeneration: (a.sessionGeneration ?? 0) + 1, ...(recovery.method === 'email' ? { presenceRequired: true } : {}) };
  });
  await recordAccountAudit(ctx, {
    at: ctx.clock.now(),
    accountId,
    action: recovery.method === 'dealer-code' ? 'recovery-code-redeemed' : 'recovery-email-redeemed',
    actor: { accountId, role: 'self' },
    reason: 'a new passkey was registered',
    detail: { passkeyId: passkey.passkeyId },
  });
  await ctx.outbox.notify(accountId, {
    kind: 'recovery-used',
    subject: 'A new passkey was added to your account by recovery',
    body:
      recovery.method === 'dealer-code'
        ? 'A recovery code from an authorised dealer was used to register a new passkey; every other session was ended. If this was not you, contact an authorised dealer at once.'
        : 'A recovery link sent to this address was used to register a new passkey; every other session was ended. A main-user key needs the QR code inside your car first. If this was not you, contact an authorised dealer at once.',
    data: { method: recovery.method, passkeyId: passkey.passkeyId },
  });
  const token = await newSession(ctx, { accountId, passkeyId: passkey.passkeyId });
  return { accountId, passkeyId: passkey.passkeyId, token, presenceRequired: after.presenceRequired === true };
}
