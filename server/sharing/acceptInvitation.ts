/**
 * Accept an invitation (R3): the invitation is taken with GETDEL, so of two concurrent accepts
 * exactly one proceeds; the shared key it creates has exactly the invitation's profile. If the key
 * cannot be made (e.g. the shared-key limit), the invitation goes back bound to this account so it
 * may retry and nobody else can. An invitation bound to an e-mail address needs that address to be
 * the caller's verified address. The caller gets the shared key's first credential (or when to ask).
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, PasskeyId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import type { DigitalKey } from '../domain/vehicleRecord.js';
import { createKey, type CreateKeyDeps } from '../keys/createKey.js';
import { credentialForKey, type CredentialForKeyDeps, type IssuedCredential } from '../keys/credentialForKey.js';
import { InvitationRepository } from './invitationRepository.js';

export type AcceptInvitationDeps = CreateKeyDeps & CredentialForKeyDeps & Pick<AppContext, 'store' | 'config'>;

export interface AcceptInvitationOpts {
  /** The invitation code, as the main user passed it on. */
  code: string;
  accountId: AccountId;
  /** The caller's passkey (phone) the shared key is bound to. */
  passkeyId: PasskeyId;
}

/**
 * The shared key and its first credential; for a window starting more than CREDENTIAL_TTL from now,
 * no credential yet (none is signed more than its lifetime ahead of its nbf) but `credentialFrom`,
 * the second from which the phone may ask for it.
 */
export type AcceptInvitationResult = IssuedCredential | { keyId: string; state: string; credentialFrom: number };

export async function acceptInvitation(ctx: AcceptInvitationDeps, opts: AcceptInvitationOpts): Promise<AcceptInvitationResult> {
  const taken = await new InvitationRepository(ctx).take(opts.code);
  const { invitation } = taken;
  if (invitation.acceptedBy && invitation.acceptedBy !== opts.accountId) {
    await taken.restore();
    throw new DigitalKeyError('INVITATION_INVALID');
  }
  if (invitation.email) {
    const account = await ctx.accounts.find(opts.accountId);
    if (account?.email !== invitation.email) {
      await taken.restore();
      throw new DigitalKeyError('INVITATION_INVALID', 'this invitation is for another e-mail address');
    }
    // The address must be proven: a sign-up with someone else's address never verifies it.
    if (!account.emailVerified) {
      await taken.restore();
      throw new DigitalKeyError('EMAIL_NOT_VERIFIED', 'verify your e-mail address first, then accept the invitation');
    }
  }
  let created: DigitalKey;
  try {
    ({ key: created } = await createKey(ctx, {
      vin: invitation.vin,
      accountId: opts.accountId,
      passkeyId: opts.passkeyId,
      role: 'shared',
      perms: invitation.perms,
      ...(invitation.notBefore !== undefined ? { notBefore: invitation.notBefore } : {}),
      ...(invitation.notAfter !== undefined ? { notAfter: invitation.notAfter } : {}),
      grantedBy: invitation.createdBy,
      admit: (vehicle) => {
        // A wipe or a new main user since the invitation was made ends it.
        if (vehicle.epoch !== invitation.epoch || vehicle.mainUser?.accountId !== invitation.createdBy) throw new DigitalKeyError('INVITATION_INVALID');
        if (vehicle.mainUser.accountId === opts.accountId) throw new DigitalKeyError('FORBIDDEN', 'the main user already holds the vehicle');
        ctx.gate.assertKeysAllowed(vehicle);
        if (vehicle.sharedKeys >= ctx.config.MAX_SHARED_KEYS) throw new DigitalKeyError('SHARED_KEY_LIMIT');
        return { ...vehicle, sharedKeys: vehicle.sharedKeys + 1 };
      },
    }));
  } catch (err) {
    if (err instanceof DigitalKeyError && err.code !== 'INVITATION_INVALID') await taken.bindTo(opts.accountId);
    throw err;
  }
  await taken.done();
  try {
    return await credentialForKey(ctx, { keyId: created.keyId, accountId: opts.accountId });
  } catch (err) {
    if (!(err instanceof DigitalKeyError && err.code === 'NOT_YET_VALID') || created.notBefore === undefined) throw err;
    const vehicle = await ctx.vehicles.get(created.vin);
    return { keyId: created.keyId, state: await ctx.manifests.sign(vehicle), credentialFrom: created.notBefore - ctx.config.CREDENTIAL_TTL };
  }
}
