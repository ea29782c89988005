/**
 * A user removes one of their passkeys (a phone they no longer use): as R6 does for a lost phone,
 * the passkey is disabled for good — its sessions end at once — and its keys on every vehicle are
 * revoked. The account's only working passkey cannot be removed (it would lock the owner out).
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, PasskeyId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { revokeKeysOfPasskey } from '../keys/revokeKeysOfPasskey.js';
import { disablePasskey } from './disablePasskey.js';

export async function removePasskey(ctx: AppContext, opts: { accountId: AccountId; passkeyId: PasskeyId }): Promise<{ passkeyId: PasskeyId; revokedKeyIds: string[] }> {
  const account = await ctx.accounts.find(opts.accountId);
  const target = await ctx.accounts.findPasskey(opts.passkeyId);
  if (!account || !target || target.accountId !== opts.accountId) throw new DigitalKeyError('PASSKEY_NOT_FOUND');
  if (!target.disabled) {
    const others = await Promise.all(account.passkeyIds.filter((id) => id !== opts.passkeyId).map((id) => ctx.accounts.findPasskey(id)));
    if (!others.some((p) => p && !p.disabled)) throw new DigitalKeyError('LAST_PASSKEY');
    await disablePasskey(ctx, { passkeyId: opts.passkeyId, by: opts.accountId, reason: 'removed-by-user' });
  }
  // Run even for a passkey already disabled: a removal interrupted after disabling finishes here.
  const revoked = await revokeKeysOfPasskey(ctx, { passkeyId: opts.passkeyId, actor: (_v, key) => ({ accountId: opts.accountId, role: key.role }), reason: 'passkey-removed' });
  if (!target.disabled) {
    await ctx.outbox.notify(opts.accountId, {
      kind: 'passkey-removed',
      subject: 'A passkey was removed from your account',
      body: `The passkey${target.label ? ` "${target.label}"` : ''} no longer works${revoked.length > 0 ? `, and its ${revoked.length === 1 ? 'key was' : `${revoked.length} keys were`} revoked` : ''}.`,
      data: { passkeyId: opts.passkeyId, revokedKeyIds: revoked.map((r) => r.keyId) },
    });
  }
  return { passkeyId: opts.passkeyId, revokedKeyIds: revoked.map((r) => r.keyId) };
}
