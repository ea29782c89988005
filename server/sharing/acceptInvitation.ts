/**
 * Accept an invitation (R3): the first account to accept it binds it (compare-and-set) — it may
 * retry, nobody else may — and the key's own commit uses it up (it must still be on its vehicle's
 * list, and leaves it), so of two concurrent accepts exactly one makes a key, and a crash at any
 * point loses nothing: before the commit the invitation is still there; after it, the retry finds
 * the key made from it. The key has exactly the invitation's profile. An invitation bound to an
 * e-mail address needs that address to be the caller's verified address. The caller gets the
 * shared key's first credential (or when to ask).
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
  const invitations = new InvitationRepository(ctx);
  // An invitation bound to an e-mail address is for the account whose verified address it is; told before it is bound to anyone.
  const found = await invitations.find(opts.code);
  if (found?.email !== undefined) {
    const account = await ctx.accounts.find(opts.accountId);
    if (account?.email !== found.email) throw new DigitalKeyError('INVITATION_INVALID', 'this invitation is for another e-mail address');
    // The address must be proven: a sign-up with someone else's address never verifies it.
    if (!account.emailVerified) throw new DigitalKeyError('EMAIL_NOT_VERIFIED', 'verify your e-mail address first, then accept the invitation');
  }
  // Bound to this account (the first to accept it keeps it); it stays stored until the key's commit uses it up.
  const invitation = await invitations.bindForAccept(opts.code, opts.accountId);
  let created: DigitalKey;
  if (!(await invitations.isListed(invitation))) {
    // Used up already: by this very accept, whose process stopped after the key's commit? Then that key is the answer.
    const made = (await ctx.vehicles.keys(invitation.vin, invitation.epoch)).find((k) => k.invitationId === invitation.invitationId && k.passkeyId === opts.passkeyId);
    if (!made) throw new DigitalKeyError('INVITATION_INVALID');
    created = made;
  } else {
    ({ key: created } = await createKey(ctx, {
      vin: invitation.vin,
      accountId: opts.accountId,
      passkeyId: opts.passkeyId,
      role: 'shared',
      perms: invitation.perms,
      ...(invitation.notBefore !== undefined ? { notBefore: invitation.notBefore } : {}),
      ...(invitation.notAfter !== undefined ? { notAfter: invitation.notAfter } : {}),
      grantedBy: invitation.createdBy,
      invitationId: invitation.invitationId,
      // Single use: the key's commit takes the invitation off its vehicle's list, and fails if it is gone.
      alsoWrites: invitations.useWrites(invitation, opts.code),
      admit: (vehicle) => {
        // A wipe or a new main user since the invitation was made ends it.
        if (vehicle.epoch !== invitation.epoch || vehicle.mainUser?.accountId !== invitation.createdBy) throw new DigitalKeyError('INVITATION_INVALID');
        if (vehicle.mainUser.accountId === opts.accountId) throw new DigitalKeyError('FORBIDDEN', 'the main user already holds the vehicle');
        ctx.gate.assertKeysAllowed(vehicle);
        if (vehicle.sharedKeys >= ctx.config.MAX_SHARED_KEYS) throw new DigitalKeyError('SHARED_KEY_LIMIT');
        return { ...vehicle, sharedKeys: vehicle.sharedKeys + 1 };
      },
    }));
  }
  await invitations.forget(opts.code);
  try {
    return await credentialForKey(ctx, { keyId: created.keyId, accountId: opts.accountId, home: Promise.resolve({ vin: created.vin, epoch: created.epoch }) });
  } catch (err) {
    if (!(err instanceof DigitalKeyError && err.code === 'NOT_YET_VALID') || created.notBefore === undefined) throw err;
    const vehicle = await ctx.vehicles.get(created.vin);
    return { keyId: created.keyId, state: await ctx.manifests.sign(vehicle), credentialFrom: created.notBefore - ctx.config.CREDENTIAL_TTL };
  }
}
