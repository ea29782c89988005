/**
 * Sharing invitations in the store. An invitation lives under the SHA-256 of its code (the store
 * never holds a usable code) and is listed on its vehicle (hash invitationId → code digest), so the
 * main user sees and revokes the open ones. Records are parsed with their schema on every read;
 * the vehicle's list is only an index: an entry whose invitation is gone, expired or from an ended
 * epoch is not shown, and is dropped when seen.
 */
import type { Clock } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { Vin } from '../../shared/ids.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { parseRecordOrNull, updateRecord } from '../store/records.js';
import type { Store, StoreTransaction } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';
import { invitationDigest, invitationRecordSchema, type InvitationRecord } from './invitationRecord.js';

export class InvitationRepository {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** Store a new invitation under its code's digest and list it on its vehicle. */
  async save(invitation: InvitationRecord, code: string): Promise<void> {
    const digest = invitationDigest(code);
    const ttlMs = Math.max(1, invitation.expiresAt - this.deps.clock.now()) + 60_000;
    await this.deps.store.commit({ hset: [{ key: storeKeys.vehicleInvitations(invitation.vin), field: invitation.invitationId, value: digest }] });
    await this.deps.store.set(storeKeys.invitation(digest), JSON.stringify(invitation), { ttlMs });
  }

  /** The invitation a code names, if it can still be accepted on this vehicle document; else INVITATION_INVALID. */
  async preview(code: string, vehicleOf: (vin: Vin) => Promise<VehicleRecord | null>): Promise<InvitationRecord> {
    const invitation = parseRecordOrNull(invitationRecordSchema, await this.deps.store.get(storeKeys.invitation(invitationDigest(code))), 'invitation');
    if (!invitation || !stillOpen(invitation, await vehicleOf(invitation.vin), this.deps.clock.now())) throw new DigitalKeyError('INVITATION_INVALID');
    return invitation;
  }

  /**
   * The invitation a code names, bound to this account for its accept (compare-and-set): the first
   * account that accepts it keeps it — it may retry, nobody else may. It stays in the store until it
   * is used up in the key's own commit (useWrites), so a crash in between loses nothing.
   * INVITATION_INVALID if there is none, it expired, or another account holds it.
   */
  async bindForAccept(code: string, accountId: string): Promise<InvitationRecord> {
    const now = this.deps.clock.now();
    const { result } = await updateRecord(
      this.deps.store,
      storeKeys.invitation(invitationDigest(code)),
      invitationRecordSchema,
      (invitation) => {
        if (!invitation || invitation.expiresAt <= now || (invitation.acceptedBy !== undefined && invitation.acceptedBy !== accountId)) throw new DigitalKeyError('INVITATION_INVALID');
        const bound: InvitationRecord = { ...invitation, acceptedBy: accountId };
        // Kept until a minute past its expiry, as when it was saved.
        return { record: bound, result: bound, ttlMs: Math.max(1, invitation.expiresAt - now) + 60_000 };
      },
      { what: 'invitation' },
    );
    return result;
  }

  /** The invitation a code names, as stored (null if none). */
  async find(code: string): Promise<InvitationRecord | null> {
    return parseRecordOrNull(invitationRecordSchema, await this.deps.store.get(storeKeys.invitation(invitationDigest(code))), 'invitation');
  }

  /** Whether the invitation is still open on its vehicle's list (not used up yet). */
  async isListed(invitation: InvitationRecord): Promise<boolean> {
    return (await this.deps.store.hget(storeKeys.vehicleInvitations(invitation.vin), invitation.invitationId)) !== null;
  }

  /** The writes that use an invitation up, for the commit of the key made from it: it must still be listed, and leaves the list. */
  useWrites(invitation: InvitationRecord, code: string): Required<Pick<StoreTransaction, 'expect' | 'hdel'>> {
    const index = storeKeys.vehicleInvitations(invitation.vin);
    return {
      expect: [{ key: index, field: invitation.invitationId, value: invitationDigest(code) }],
      hdel: [{ key: index, field: invitation.invitationId }],
    };
  }

  /** Drop a used invitation (after the key's commit; its list entry went in that commit). */
  async forget(code: string): Promise<void> {
    await this.deps.store.del(storeKeys.invitation(invitationDigest(code)));
  }

  /** The vehicle's open invitations (made in its current epoch by its current main user, not expired), oldest first. */
  async listOpen(vehicle: VehicleRecord): Promise<InvitationRecord[]> {
    const index = storeKeys.vehicleInvitations(vehicle.vin);
    const entries = Object.entries(await this.deps.store.hgetall(index));
    const open: InvitationRecord[] = [];
    const stale: string[] = [];
    for (const [invitationId, digest] of entries) {
      const invitation = parseRecordOrNull(invitationRecordSchema, await this.deps.store.get(storeKeys.invitation(digest)), 'invitation');
      if (invitation && stillOpen(invitation, vehicle, this.deps.clock.now())) open.push(invitation);
      else if (!invitation || invitation.expiresAt <= this.deps.clock.now() || invitation.epoch !== vehicle.epoch) stale.push(invitationId);
    }
    if (stale.length > 0) await this.deps.store.commit({ hdel: stale.map((field) => ({ key: index, field })) });
    return open.sort((a, b) => a.createdAt - b.createdAt || a.invitationId.localeCompare(b.invitationId));
  }

  /** Revoke an open invitation of the vehicle: its code stops working at once. NOT_FOUND if the vehicle has no such invitation. */
  async revoke(vin: Vin, invitationId: string): Promise<void> {
    const index = storeKeys.vehicleInvitations(vin);
    const digest = await this.deps.store.hget(index, invitationId);
    if (digest === null) throw new DigitalKeyError('NOT_FOUND', 'no such invitation');
    // The invitation first, so its code cannot be accepted once this returns; then the list entry.
    await this.deps.store.del(storeKeys.invitation(digest));
    await this.deps.store.commit({ hdel: [{ key: index, field: invitationId }] });
  }
}

/** An invitation can still be accepted: not expired, same key epoch, and its maker is still the main user (pure). */
export function stillOpen(invitation: InvitationRecord, vehicle: VehicleRecord | null, nowMs: number): boolean {
  return invitation.expiresAt > nowMs && vehicle !== null && vehicle.epoch === invitation.epoch && vehicle.mainUser?.accountId === invitation.createdBy;
}
