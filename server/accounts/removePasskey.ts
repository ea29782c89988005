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
  const target = await ctx.accounts.findPasskey(opts.passkeyId);
  if (!target || target.accountId !== opts.accountId) throw new DigitalKeyError('PASSKEY_NOT_FOUND');
  if (!target.disabled) {
    // The check and the mark are one compare-and-set on the account: of two removals at once, the
    // second is re-run on the account the first changed, and finds its passkey no longer counts.
    await ctx.accounts.update(opts.accountId, async (current) => {
      const removed = new Set(current.removedPasskeyIds ?? []);
      const others = current.passkeyIds.filter((id) => id !== opts.passkeyId && !removed.has(id));
      const working = await Promise.all(others.map(async (id) => (await ctx.accounts.findPasskey(id))?.disabled === null));
      if (!working.includes(true)) throw new DigitalKeyError('LAST_PASSKEY');
      return removed.has(opts.passkeyId) ? current : { ...current, removedPasskeyIds: [...removed, opts.passkeyId] };
    });
    await disablePasskey(ctx, { passkeyId: opts.passkeyId, by: opts.accountId, reason: 'removed-by-user' });
  }
  // Run even for a passkey already disabled: a removal interrupted after disabling finishes here.
  const revoked = await revokeKeysOfPasskey(ctx, { passkeyId: opts.passkeyId, actor: (_v, key) => ({ accountId: opts.accountId, role: key.role }), reason: 'passkey-removed' });
  // Told once, also when a retry finds the passkey disabled already (its first try may have stopped
  // before telling); a passkey a dealer disabled was told of then.
  if (!target.disabled || target.disabled.reason === 'removed-by-user') {
    await ctx.outbox.notify(
      opts.accountId,
      {
        kind: 'passkey-removed',
        subject: 'A passkey was removed from your account',
        body: `The passkey${target.label ? ` "${target.label}"` : ''} no longer works${revoked.length > 0 ? `, and its ${revoked.length === 1 ? 'key was' : `${revoked.length} keys were`} revoked` : ''}.`,
        data: { passkeyId: opts.passkeyId, revokedKeyIds: revoked.map((r) => r.keyId) },
      },
      { id: `passkey-removed:${opts.passkeyId}` },
    );
  }
  return { passkeyId: opts.passkeyId, revokedKeyIds: revoked.map((r) => r.keyId) };
}
