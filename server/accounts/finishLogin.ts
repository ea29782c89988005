/**
 * Finish a passkey login (R14: user verification required): take the single-use challenge, verify
 * the assertion against the passkey, and store its signature counter — compare-and-set, so two
 * logins racing on one passkey cannot both pass with the same counter. A disabled passkey (R6: a
 * lost phone) never logs in.
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { newSession } from './newSession.js';
import { verifyLogin } from './relyingParty.js';

export type FinishLoginDeps = Pick<AppContext, 'accounts' | 'challenges' | 'rp' | 'issuerKey' | 'config' | 'clock'>;

export interface FinishLoginOpts {
  /** The challenge the login started with (POST /v1/sessions/options). */
  challengeId: string;
  response: AuthenticationResponseJSON;
}

export interface FinishLoginResult {
  token: string;
  accountId: AccountId;
}

export async function finishLogin(deps: FinishLoginDeps, opts: FinishLoginOpts): Promise<FinishLoginResult> {
  const challenge = await deps.challenges.take(opts.challengeId, 'login');
  // The counter is stored only if nobody else changed the passkey meanwhile; else it is verified again.
  const passkey = await deps.accounts.updatePasskey(
    opts.response.id,
    async (current) => {
      if (current.disabled) throw new DigitalKeyError('PASSKEY_DISABLED');
      const { newCounter } = await verifyLogin({ rp: deps.rp, response: opts.response, expectedChallenge: challenge.challenge, passkey: current });
      return { ...current, counter: newCounter, lastUsedAt: deps.clock.now() };
    },
    { ifMissing: 'AUTHENTICATION_FAILED' },
  );
  return { token: await newSession(deps, { accountId: passkey.accountId, passkeyId: passkey.passkeyId }), accountId: passkey.accountId };
}
