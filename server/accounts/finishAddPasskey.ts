/**
 * Add a passkey for another phone of the signed-in account (R14: user verification required), on
 * the single-use challenge that account started. Each phone gets its own passkey, so a lost one is
 * disabled alone (R6).
 */
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, PasskeyId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { verifyRegistration } from './relyingParty.js';

export type FinishAddPasskeyDeps = Pick<AppContext, 'accounts' | 'challenges' | 'rp' | 'clock'>;

export interface FinishAddPasskeyOpts {
  /** The caller. */
  accountId: AccountId;
  challengeId: string;
  response: RegistrationResponseJSON;
  /** The owner's name for this passkey (phone). */
  label?: string | undefined;
}

export interface FinishAddPasskeyResult {
  passkeyId: PasskeyId;
}

export async function finishAddPasskey(deps: FinishAddPasskeyDeps, opts: FinishAddPasskeyOpts): Promise<FinishAddPasskeyResult> {
  const challenge = await deps.challenges.take(opts.challengeId, 'add-passkey');
  if (challenge.accountId !== opts.accountId) throw new DigitalKeyError('CHALLENGE_EXPIRED');
  const passkey = await verifyRegistration({ rp: deps.rp, response: opts.response, expectedChallenge: challenge.challenge, accountId: opts.accountId, nowMs: deps.clock.now() });
  await deps.accounts.addPasskey({ ...passkey, ...(opts.label !== undefined ? { label: opts.label } : {}) });
  return { passkeyId: passkey.passkeyId };
}
