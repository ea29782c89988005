/**
 * A sharing invitation (R3): the main user's offer of a shared key with a profile (which commands,
 * an optional validity window). Single-use, expiring (INVITATION_TTL, default 72 h), bound to the
 * first account that accepts it, optionally only for one e-mail, and only valid while the main user
 * who made it still is the main user in the same key epoch.
 */
import type { Command } from '../../shared/commands.js';
import type { AccountId, Vin } from '../../shared/ids.js';
import { secretDigest } from '../store/secretDigest.js';

export interface InvitationRecord {
  invitationId: string;
  vin: Vin;
  createdBy: AccountId;
  /** The key epoch it was made in: a wipe ends every open invitation too. */
  epoch: number;
  perms: Command[];
  notBefore?: number;
  notAfter?: number;
  email?: string;
  createdAt: number;
  expiresAt: number;
  /** The first account that tried to accept it (it may retry, nobody else may). */
  acceptedBy?: AccountId;
}

/** Invitation codes are stored only as their SHA-256: the store never holds a usable code. */
export const invitationDigest = secretDigest;
