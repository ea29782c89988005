/**
 * Closing an account: for every vehicle it is main user of, R4a (every key wiped, the subscription
 * ends); every key it holds on other vehicles is revoked; its profile, payment cards, outbox and
 * claim index are erased and its address released; every passkey is disabled for good and every
 * session ends. What stays is the account id — in audit trails (R13), key archives and ledgers —
 * and a tombstone record that keeps the id from being reused.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { revokeKeysOfPasskey } from '../keys/revokeKeysOfPasskey.js';
import { vehiclesOfAccount } from '../vehicles/accountVehicles.js';
import type { SubscriptionGate } from '../subscriptions/subscriptionGate.js';
import { removeVehicle } from '../vehicles/removeVehicle.js';
import type { AccountRecord } from './accountRecord.js';
import { recordAccountAudit } from './accountAudit.js';
import { disablePasskey } from './disablePasskey.js';

/** The tombstone an account leaves (pure): no personal field, every session ended. */
export function closedAccount(account: AccountRecord, nowMs: number): AccountRecord {
  return {
    accountId: account.accountId,
    email: '',
    displayName: '',
    createdAt: account.createdAt,
    passkeyIds: account.passkeyIds,
    dealer: false,
    sessionGeneration: (account.sessionGeneration ?? 0) + 1,
    closedAt: nowMs,
  };
}

export async function closeAccount(
  ctx: AppContext,
  gate: Pick<SubscriptionGate, 'beforeMainUserLeaves' | 'mainUserLeaves' | 'runFollowUps'>,
  opts: { accountId: AccountId },
): Promise<{ vehicles: Vin[]; revokedKeyIds: string[] }> {
  const account = await ctx.accounts.find(opts.accountId);
  if (!account || account.closedAt !== undefined) throw new DigitalKeyError('UNAUTHENTICATED');
  if (account.dealer) throw new DigitalKeyError('FORBIDDEN', 'a dealer account is closed by an operator');

  const held = await vehiclesOfAccount(ctx, opts.accountId);
  const vehicles: Vin[] = [];
  const revokedKeyIds: string[] = [];
  for (const { vehicle } of held.filter((h) => h.role === 'main')) {
    const removed = await removeVehicle({ ...ctx, gate }, { vin: vehicle.vin, accountId: opts.accountId, reason: 'account-closed' });
    vehicles.push(vehicle.vin);
    revokedKeyIds.push(...removed.revokedKeyIds);
  }
  for (const passkeyId of account.passkeyIds) {
    const revoked = await revokeKeysOfPasskey(ctx, { passkeyId, actor: (_v, key) => ({ accountId: opts.accountId, role: key.role }), reason: 'account-closed' });
    revokedKeyIds.push(...revoked.map((r) => r.keyId));
  }

  const id = opts.accountId;
  await ctx.accounts.eraseClosedAccountData(id);
  await ctx.accounts.releaseEmail(account.email, id);
  await ctx.accounts.update(id, (current) => closedAccount(current, ctx.clock.now()));
  for (const passkeyId of account.passkeyIds) await disablePasskey(ctx, { passkeyId, by: id, reason: 'account-closed' });
  await recordAccountAudit(ctx, { at: ctx.clock.now(), accountId: id, action: 'account-closed', actor: { accountId: id, role: 'self' }, reason: 'closed by the account holder', detail: { vehicles, revokedKeys: revokedKeyIds.length } });
  return { vehicles, revokedKeyIds };
}
