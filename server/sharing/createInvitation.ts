/**
 * The main user invites a shared user (R3) with a profile: which commands, an optional validity
 * window, optionally only for one e-mail address. Refused past the shared-key limit
 * (MAX_SHARED_KEYS); the code is returned once and stored only as its digest, for INVITATION_TTL,
 * and listed on the vehicle for the main user. After an e-mail recovery, no invitation until
 * presence is proven (R15): an invitation to one's own second account would otherwise be a car key
 * from the mailbox alone.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { epochSeconds } from '../../shared/clock.js';
import type { Command } from '../../shared/commands.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { assertPresenceProven } from '../accounts/presence.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import type { InvitationRecord } from './invitationRecord.js';
import { InvitationRepository } from './invitationRepository.js';

export type CreateInvitationDeps = Pick<AppContext, 'vehicles' | 'store' | 'clock' | 'config' | 'accounts'>;

export interface CreateInvitationOpts {
  vin: Vin;
  /** The caller: only the main user invites. */
  accountId: AccountId;
  perms: Command[];
  /** The shared key's validity window, in seconds. */
  notBefore?: number | undefined;
  notAfter?: number | undefined;
  /** Only the account with this e-mail address may accept. */
  email?: string | undefined;
}

export interface CreateInvitationResult {
  invitationId: string;
  /** The secret the invitee uses: shown here once, never stored. */
  code: string;
  expiresAt: number;
}

export async function createInvitation(deps: CreateInvitationDeps, opts: CreateInvitationOpts): Promise<CreateInvitationResult> {
  const vehicle = await deps.vehicles.get(opts.vin);
  assertMainUser(vehicle, opts.accountId);
  assertPresenceProven(await deps.accounts.find(opts.accountId));
  if (opts.notAfter !== undefined && opts.notAfter <= epochSeconds(deps.clock)) throw new DigitalKeyError('VALIDATION_FAILED', 'notAfter is in the past');
  if (vehicle.sharedKeys >= deps.config.MAX_SHARED_KEYS) throw new DigitalKeyError('SHARED_KEY_LIMIT');
  const code = randomBytes(24).toString('base64url');
  const now = deps.clock.now();
  const invitation: InvitationRecord = {
    invitationId: randomUUID(),
    vin: opts.vin,
    createdBy: opts.accountId,
    epoch: vehicle.epoch,
    perms: opts.perms,
    ...(opts.notBefore !== undefined ? { notBefore: opts.notBefore } : {}),
    ...(opts.notAfter !== undefined ? { notAfter: opts.notAfter } : {}),
    ...(opts.email !== undefined ? { email: opts.email } : {}),
    createdAt: now,
    expiresAt: now + deps.config.INVITATION_TTL * 1000,
  };
  await new InvitationRepository(deps).save(invitation, code);
  return { invitationId: invitation.invitationId, code, expiresAt: invitation.expiresAt };
}
