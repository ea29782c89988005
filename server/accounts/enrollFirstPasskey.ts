/**
 * Enroll an account's first passkey with its single-use enrollment token (R14: user verification
 * required), and open a session for it. Of two concurrent enrollments with one token, only the one
 * that takes the token goes on.
 */
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, PasskeyId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { newSession } from './newSession.js';
import { verifyRegistration } from './relyingParty.js';

export type EnrollFirstPasskeyDeps = Pick<AppContext, 'accounts' | 'challenges' | 'rp' | 'issuerKey' | 'config' | 'clock'>;

export interface EnrollFirstPasskeyOpts {
  accountId: AccountId;
  enrollmentToken: string;
  response: RegistrationResponseJSON;
  /** The owner's name for this passkey (phone). */
  label?: string | undefined;
}

export interface EnrollFirstPasskeyResult {
  passkeyId: PasskeyId;
  /** A session for the new passkey. */
  token: string;
}

export async function enrollFirstPasskey(deps: EnrollFirstPasskeyDeps, opts: EnrollFirstPasskeyOpts): Promise<EnrollFirstPasskeyResult> {
  const enrollment = await deps.challenges.peekEnrollment(opts.enrollmentToken);
  if (enrollment.accountId !== opts.accountId) throw new DigitalKeyError('CHALLENGE_EXPIRED');
  const passkey = await verifyRegistration({
    rp: deps.rp,
    response: opts.response,
    expectedChallenge: enrollment.challenge,
    accountId: opts.accountId,
    nowMs: deps.clock.now(),
  });
  // Single use: of two concurrent enrollments with one token, only the one that takes it goes on.
  await deps.challenges.takeEnrollment(opts.enrollmentToken);
  await deps.accounts.addPasskey({ ...passkey, ...(opts.label !== undefined ? { label: opts.label } : {}) });
  return { passkeyId: passkey.passkeyId, token: await newSession(deps, { accountId: opts.accountId, passkeyId: passkey.passkeyId }) };
}
