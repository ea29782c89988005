/**
 * Dealer-issued recovery codes in the store (R15): a code is kept only as the SHA-256 of its
 * canonical form, with the account, the dealer, the reason and its expiry (at most 24 h, checked
 * against the injected clock). An account has at most one live code: issuing a new one deletes the
 * previous one. Redeeming takes the code with GETDEL, so of any number of concurrent redemptions
 * exactly one succeeds.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import { parseRecordOrNull } from '../store/records.js';
import { secretDigest } from '../store/secretDigest.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';
import { formatRecoveryCode, normalizeRecoveryCode } from './recoveryCode.js';

export const recoveryCodeRecordSchema = z.object({
  accountId: z.string(),
  issuedBy: z.string(),
  reason: z.string(),
  issuedAt: z.number(),
  expiresAt: z.number(),
});
export type RecoveryCodeRecord = z.infer<typeof recoveryCodeRecordSchema>;

/** The digest a typed code is stored under, or null if it is not a well-formed code. */
export function recoveryCodeDigest(input: string): string | null {
  const canonical = normalizeRecoveryCode(input);
  return canonical === null ? null : secretDigest(canonical);
}

export class RecoveryCodes {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** A new code for the account (shown once to the dealer); the account's previous code stops working. */
  async issue(opts: { accountId: AccountId; issuedBy: AccountId; reason: string; ttlSeconds: number }): Promise<{ code: string; expiresAt: number }> {
    const code = formatRecoveryCode(randomBytes(20));
    const digest = recoveryCodeDigest(code);
    if (digest === null) throw new Error('a freshly formatted recovery code does not read back as one');
    const now = this.deps.clock.now();
    const record: RecoveryCodeRecord = { accountId: opts.accountId, issuedBy: opts.issuedBy, reason: opts.reason, issuedAt: now, expiresAt: now + opts.ttlSeconds * 1000 };
    const ttlMs = opts.ttlSeconds * 1000 + 60_000;
    await this.deps.store.set(storeKeys.recoveryCode(digest), JSON.stringify(record), { ttlMs });
    const pointer = storeKeys.accountRecoveryCode(opts.accountId);
    const previous = await this.deps.store.get(pointer);
    await this.deps.store.set(pointer, digest, { ttlMs });
    if (previous !== null && previous !== digest) await this.deps.store.del(storeKeys.recoveryCode(previous));
    return { code, expiresAt: record.expiresAt };
  }

  /** The live code under this digest, without using it up; RECOVERY_INVALID if unknown, used or expired. */
  async peek(digest: string): Promise<RecoveryCodeRecord> {
    return this.#valid(await this.deps.store.get(storeKeys.recoveryCode(digest)));
  }

  /** Use the code up (GETDEL); the same refusals as `peek`. */
  async take(digest: string): Promise<RecoveryCodeRecord> {
    return this.#valid(await this.deps.store.take(storeKeys.recoveryCode(digest)));
  }

  #valid(raw: string | null): RecoveryCodeRecord {
    const record = parseRecordOrNull(recoveryCodeRecordSchema, raw, 'recovery code');
    if (!record || record.expiresAt <= this.deps.clock.now()) throw new DigitalKeyError('RECOVERY_INVALID');
    return record;
  }
}
