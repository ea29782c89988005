/**
 * Invite an address to become a dealer (an operator action): a single-use invitation, valid 72 h,
 * whose link opens the dealer desk at its enrolment view. The enrolment creates a new dealer
 * account for the address, so an address that already has an account is refused here: that
 * account becomes a dealer with `grant-dealer` instead.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AppContext } from '../appContext.js';
import { DealerInvitations } from '../dealer/dealerInvitations.js';

/** How long a dealer invitation can be used. */
export const DEALER_INVITATION_TTL_SECONDS = 72 * 3600;

export interface InviteDealerResult {
  email: string;
  /** The enrolment link, holding the token (shown once: the store keeps only its SHA-256). */
  link: string;
  expiresAt: number;
}

export async function inviteDealer(deps: Pick<AppContext, 'accounts' | 'store' | 'clock'> & { config: Pick<AppContext['config'], 'PORTAL_URL'> }, email: string): Promise<InviteDealerResult> {
  const address = email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address) || address.length > 254) throw new DigitalKeyError('VALIDATION_FAILED', `${email} is not an e-mail address`);
  if ((await deps.accounts.ownerOfEmail(address)) !== null) {
    throw new DigitalKeyError('ACCOUNT_EXISTS', `${address} already has an account: make it a dealer with grant-dealer instead`);
  }
  const { token, expiresAt } = await new DealerInvitations(deps).create({ email: address, ttlSeconds: DEALER_INVITATION_TTL_SECONDS });
  return { email: address, link: `${deps.config.PORTAL_URL.replace(/\/+$/, '')}/dealer/#/enrol/${token}`, expiresAt };
}
