/**
 * Dealer invitations in the store: an operator invites an address to become a dealer; the token
 * travels only in the link (`<PORTAL_URL>/dealer/#/enrol/<token>`), the store keeps its SHA-256
 * with the address and the expiry (checked against the injected clock; the store TTL only collects
 * garbage). Enrolment takes the invitation with GETDEL, so of concurrent enrolments exactly one wins.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { parseRecordOrNull } from '../store/records.js';
import { secretDigest } from '../store/secretDigest.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

export const dealerInvitationRecordSchema = z.object({
  email: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
});
export type DealerInvitationRecord = z.infer<typeof dealerInvitationRecordSchema>;

/** What a dealer invitation token looks like: 32 random bytes, base64url. */
export const DEALER_INVITATION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class DealerInvitations {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** A new invitation for the address; the token is returned once and never stored. */
  async create(opts: { email: string; ttlSeconds: number }): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.deps.clock.now();
    const record: DealerInvitationRecord = { email: opts.email, createdAt: now, expiresAt: now + opts.ttlSeconds * 1000 };
    await this.deps.store.set(storeKeys.dealerInvitation(secretDigest(token)), JSON.stringify(record), { ttlMs: opts.ttlSeconds * 1000 + 60_000 });
    return { token, expiresAt: record.expiresAt };
  }

  /**
   * The live invitation under this digest: `peek` leaves it (a preview, or a passkey prompt that may
   * be cancelled), `take` uses it up (GETDEL). INVITATION_INVALID if unknown, used or expired.
   */
  async open(digest: string, mode: 'peek' | 'take'): Promise<DealerInvitationRecord> {
    const key = storeKeys.dealerInvitation(digest);
    return this.#valid(mode === 'take' ? await this.deps.store.take(key) : await this.deps.store.get(key));
  }

  #valid(raw: string | null): DealerInvitationRecord {
    const record = parseRecordOrNull(dealerInvitationRecordSchema, raw, 'dealer invitation');
    if (!record || record.expiresAt <= this.deps.clock.now()) throw new DigitalKeyError('INVITATION_INVALID', 'this dealer invitation is unknown, used or expired');
    return record;
  }
}
