/**
 * Create a digital key bound to one passkey (one phone) in the vehicle's current epoch. The rule is
 * checked and the key written in one commit with the vehicle document, so a key can never land in
 * an epoch a concurrent wipe has already ended, a passkey holds at most one key per vehicle, and the
 * shared-key limit cannot be overrun by concurrent accepts.
 */
import { randomUUID } from 'node:crypto';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AppContext } from '../appContext.js';
import type { DigitalKey, VehicleRecord } from '../domain/vehicleRecord.js';
import type { StoreTransaction } from '../store/store.js';

export type CreateKeyDeps = Pick<AppContext, 'accounts' | 'vehicles' | 'clock'>;

/** A key to make: the key's own fields, and the rule it depends on. */
export type CreateKeyOpts = Pick<DigitalKey, 'vin' | 'accountId' | 'passkeyId' | 'role' | 'perms' | 'notBefore' | 'notAfter' | 'grantedBy' | 'invitationId'> & {
  /** More of the key's commit: expectations and deletions of the vehicle's slot (an invitation used up). */
  alsoWrites?: Required<Pick<StoreTransaction, 'expect' | 'hdel'>>;
  /**
   * Admit the key on the fresh vehicle document: throw when the rule it depends on fails (main user
   * and R1 for main keys; invitation, R1 and the shared-key limit for shared keys), else return the
   * document as the key's commit leaves it (a shared key counts toward the limit).
   */
  admit: (vehicle: VehicleRecord) => VehicleRecord;
};

export interface CreateKeyResult {
  key: DigitalKey;
  /** The vehicle document as the key's commit left it. */
  vehicle: VehicleRecord;
}

export async function createKey(ctx: CreateKeyDeps, opts: CreateKeyOpts): Promise<CreateKeyResult> {
  await ctx.accounts.activePasskeyOf(opts.accountId, opts.passkeyId);
  // Refuse early (no index written) when the rule already fails; it is checked again in the commit.
  opts.admit(await ctx.vehicles.get(opts.vin));
  const keyId = randomUUID();
  // The index (the passkey's record) is written first: a dangling entry (if the commit fails) points at no key and is harmless.
  await ctx.vehicles.indexKeyToBe({ vin: opts.vin, keyId, passkeyId: opts.passkeyId });
  const { vehicle, result } = await ctx.vehicles.update(opts.vin, async (current) => {
    const admitted = opts.admit(current);
    const next = { ...admitted, keysIssued: admitted.keysIssued + 1 };
    if (await ctx.vehicles.passkeyHoldsKey(opts.vin, next.epoch, opts.passkeyId)) throw new DigitalKeyError('KEY_EXISTS');
    const key: DigitalKey = {
      keyId,
      vin: opts.vin,
      accountId: opts.accountId,
      passkeyId: opts.passkeyId,
      role: opts.role,
      perms: opts.perms,
      ...(opts.notBefore !== undefined ? { notBefore: opts.notBefore } : {}),
      ...(opts.notAfter !== undefined ? { notAfter: opts.notAfter } : {}),
      ...(opts.grantedBy !== undefined ? { grantedBy: opts.grantedBy } : {}),
      ...(opts.invitationId !== undefined ? { invitationId: opts.invitationId } : {}),
      epoch: next.epoch,
      createdAt: ctx.clock.now(),
    };
    // One key per passkey per vehicle: checked above on the epoch's keys; the commit's compare-and-set on the vehicle document keeps it true.
    const writes = ctx.vehicles.keyWrites(key);
    const also = opts.alsoWrites;
    return { vehicle: next, writes: also ? { ...writes, expect: also.expect, hdel: also.hdel } : writes, result: key };
  }).catch(async (err: unknown) => {
    // Refused by a rule: no key, so its index entry goes. Any other failure may have come after the
    // commit (a lost reply, a stopping process): the entry stays, since it may point at the key.
    if (err instanceof DigitalKeyError && err.code !== 'STORE_UNAVAILABLE') await ctx.vehicles.unindexKeys([{ vin: opts.vin, keyId, passkeyId: opts.passkeyId }]);
    throw err;
  });
  return { key: result, vehicle };
}
