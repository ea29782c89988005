/**
 * Step-up for destructive dealer actions (issue 9 §3): revoking a lost phone or every key needs a
 * passkey assertion with user verification that is at most STEP_UP_MAX_AGE_SECONDS old.
 *
 * The design: a session token is only ever issued right after a passkey ceremony that required user
 * verification (login, first enrolment, recovery), so its `iat` is the time of that assertion — the
 * session is the step-up token (OpenID Connect's `auth_time` / `max_age`, RFC 9470's step-up
 * challenge). An older session is answered 401 UNAUTHENTICATED with `detail.stepUp = "required"`;
 * the desk then runs a passkey login and repeats the action with the new token. No second token type,
 * no extra ceremony route, and nothing an older (or stolen, older) token can do destructively.
 */
import { decodeJwt } from 'jose';
import { epochSeconds } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AppContext } from '../appContext.js';

/** How old the passkey assertion behind the session may be for a destructive action. */
export const STEP_UP_MAX_AGE_SECONDS = 5 * 60;

export interface RequireStepUpOpts {
  /** The caller's session token, already verified by the authenticator of this request. */
  sessionToken: string | null;
}

/** Throws UNAUTHENTICATED (detail.stepUp "required") unless the session's passkey check is fresh. */
export function requireStepUp(ctx: Pick<AppContext, 'clock'>, opts: RequireStepUpOpts): void {
  const iat = opts.sessionToken === null ? undefined : decodeJwt(opts.sessionToken).iat;
  if (typeof iat === 'number' && epochSeconds(ctx.clock) - iat <= STEP_UP_MAX_AGE_SECONDS) return;
  throw new DigitalKeyError('UNAUTHENTICATED', `this action needs a passkey check within the last ${STEP_UP_MAX_AGE_SECONDS / 60} minutes: log in again`, {
    detail: { stepUp: 'required', maxAgeSeconds: STEP_UP_MAX_AGE_SECONDS },
  });
}
