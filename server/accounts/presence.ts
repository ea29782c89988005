/**
 * R15: after an e-mail recovery the account must prove presence at a car it holds (the QR code
 * inside it) — or redeem a dealer code — before it may get or refresh a main-user key or invite
 * anyone: whoever controls the mailbox alone must not get a car key.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import { qrTokenMatches } from '../domain/claimOutcome.js';
import type { AccountRecord } from './accountRecord.js';
import { recordAccountAudit } from './accountAudit.js';

/** Throws PRESENCE_REQUIRED while the account still has to prove presence (pure). */
export function assertPresenceProven(account: Pick<AccountRecord, 'presenceRequired'> | null): void {
  if (account?.presenceRequired) throw new DigitalKeyError('PRESENCE_REQUIRED');
}

/** The account proves presence at a car it is main user of, by the QR code inside it. */
export async function provePresence(ctx: Pick<AppContext, 'accounts' | 'vehicles' | 'store' | 'clock' | 'config'>, opts: { accountId: AccountId; vin: Vin; qrToken: string }): Promise<void> {
  const vehicle = await ctx.vehicles.get(opts.vin);
  assertMainUser(vehicle, opts.accountId);
  if (!qrTokenMatches(vehicle, opts.qrToken)) throw new DigitalKeyError('CLAIM_REJECTED', 'this is not the QR code of this vehicle');
  const before = await ctx.accounts.find(opts.accountId);
  await ctx.accounts.update(opts.accountId, (a) => {
    const { presenceRequired: _proven, ...rest } = a;
    return rest;
  });
  if (before?.presenceRequired) {
    await recordAccountAudit(ctx, { at: ctx.clock.now(), accountId: opts.accountId, action: 'presence-proven', actor: { accountId: opts.accountId, role: 'self' }, reason: 'QR code of a vehicle the account holds', detail: { vin: opts.vin } });
  }
}
