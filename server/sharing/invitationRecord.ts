/**
 * A sharing invitation (R3): the main user's offer of a shared key with a profile (which commands,
 * an optional validity window). Single-use, expiring (INVITATION_TTL, default 72 h), bound to the
 * first account that accepts it, optionally only for one e-mail, and only valid while the main user
 * who made it still is the main user in the same key epoch.
 */
import { z } from 'zod';
import { COMMANDS } from '../../shared/commands.js';
import { secretDigest } from '../store/secretDigest.js';

export const invitationRecordSchema = z.object({
  invitationId: z.string(),
  vin: z.string(),
  createdBy: z.string(),
  /** The key epoch it was made in: a wipe ends every open invitation too. */
  epoch: z.number().int(),
  perms: z.array(z.enum(COMMANDS)),
  /** Seconds, as in credentials. */
  notBefore: z.number().int().optional(),
  notAfter: z.number().int().optional(),
  /** Only an account whose verified address this is may accept it. */
  email: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
  /** The first account that tried to accept it (it may retry, nobody else may). */
  acceptedBy: z.string().optional(),
});
export type InvitationRecord = z.infer<typeof invitationRecordSchema>;

/** Invitation codes are stored only as their SHA-256: the store never holds a usable code. */
export const invitationDigest = secretDigest;
