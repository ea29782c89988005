/**
 * The main user's open invitations (list, revoke) and the preview an acceptance page shows: who
 * invites, for which car, which commands, which window. The preview needs only the code (it is the
 * authority, as for accepting) and does not use it up; it never shows the address an invitation is
 * bound to.
 */
import { z } from 'zod';
import { COMMANDS } from '../../shared/commands.js';
import type { AccountId, Vin } from '../../shared/ids.js';
import { uuidSchema, vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import type { InvitationRecord } from './invitationRecord.js';
import { InvitationRepository } from './invitationRepository.js';

type Deps = Pick<AppContext, 'store' | 'clock' | 'vehicles' | 'accounts'>;

const windowFields = {
  /** Seconds, as in credentials. */
  notBefore: z.number().int().optional(),
  notAfter: z.number().int().optional(),
};

export const invitationViewSchema = z.object({
  invitationId: uuidSchema,
  vin: vinSchema,
  perms: z.array(z.enum(COMMANDS)),
  ...windowFields,
  email: z.string().optional(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
});

export const invitationPreviewSchema = z.object({
  invitationId: uuidSchema,
  vin: vinSchema,
  invitedBy: z.object({ displayName: z.string() }),
  perms: z.array(z.enum(COMMANDS)),
  ...windowFields,
  expiresAt: z.number().int(),
  /** Only the account with the address it was sent to (verified) may accept it. */
  emailBound: z.boolean(),
});

function windowOf(i: InvitationRecord): { notBefore?: number; notAfter?: number } {
  return { ...(i.notBefore !== undefined ? { notBefore: i.notBefore } : {}), ...(i.notAfter !== undefined ? { notAfter: i.notAfter } : {}) };
}

export function invitationView(i: InvitationRecord): z.infer<typeof invitationViewSchema> {
  return { invitationId: i.invitationId, vin: i.vin, perms: i.perms, ...windowOf(i), ...(i.email !== undefined ? { email: i.email } : {}), createdAt: i.createdAt, expiresAt: i.expiresAt };
}

export async function previewInvitation(deps: Deps, opts: { code: string }): Promise<z.infer<typeof invitationPreviewSchema>> {
  const invitation = await new InvitationRepository(deps).preview(opts.code, (vin) => deps.vehicles.find(vin));
  const inviter = await deps.accounts.find(invitation.createdBy);
  return {
    invitationId: invitation.invitationId,
    vin: invitation.vin,
    invitedBy: { displayName: inviter?.displayName ?? '' },
    perms: invitation.perms,
    ...windowOf(invitation),
    expiresAt: invitation.expiresAt,
    emailBound: invitation.email !== undefined,
  };
}

export async function listOpenInvitations(deps: Deps, opts: { vin: Vin; accountId: AccountId }): Promise<InvitationRecord[]> {
  const vehicle = await deps.vehicles.get(opts.vin);
  assertMainUser(vehicle, opts.accountId);
  return new InvitationRepository(deps).listOpen(vehicle);
}

export async function revokeInvitation(deps: Deps, opts: { vin: Vin; invitationId: string; accountId: AccountId }): Promise<void> {
  assertMainUser(await deps.vehicles.get(opts.vin), opts.accountId);
  await new InvitationRepository(deps).revoke(opts.vin, opts.invitationId);
}
