/**
 * Single-use, expiring WebAuthn ceremony challenges and enrollment tokens. A record is taken with
 * GETDEL, so two concurrent uses cannot both succeed; its expiry is checked against the injected
 * clock (the store TTL only collects garbage). Enrollment tokens are stored under their SHA-256,
 * so the store never holds a usable token.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import { parseRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { secretDigest } from '../store/secretDigest.js';
import { storeKeys } from '../store/storeKeys.js';

const ceremonyKinds = ['enroll', 'add-passkey', 'login', 'recover', 'dealer-enrol'] as const;
export type CeremonyKind = (typeof ceremonyKinds)[number];

const ceremonyChallengeSchema = z.object({
  kind: z.enum(ceremonyKinds),
  /** The WebAuthn challenge (base64url) the authenticator must sign. */
  challenge: z.string(),
  accountId: z.string().nullable(),
  expiresAt: z.number(),
  /** For a recovery ceremony (R15): how the account is being recovered, and the digest of the code or link to use up at the end. */
  recovery: z.object({ method: z.enum(['dealer-code', 'email']), digest: z.string() }).exactOptional(),
  /** For a dealer enrolment: the digest of the invitation to use up at the end, and the new account's address and name. */
  dealerEnrolment: z.object({ digest: z.string(), email: z.string(), displayName: z.string() }).exactOptional(),
});
export type CeremonyChallenge = z.infer<typeof ceremonyChallengeSchema>;
export type RecoveryBinding = NonNullable<CeremonyChallenge['recovery']>;
export type DealerEnrolmentBinding = NonNullable<CeremonyChallenge['dealerEnrolment']>;

const tokenDigest = secretDigest;

export class CeremonyChallenges {
  constructor(private readonly deps: { store: Store; clock: Clock; ttlSeconds: number }) {}

  async #put(id: string, record: Omit<CeremonyChallenge, 'expiresAt'>): Promise<void> {
    const ttlMs = this.deps.ttlSeconds * 1000;
    const full: CeremonyChallenge = { ...record, expiresAt: this.deps.clock.now() + ttlMs };
    await this.deps.store.set(storeKeys.challenge(id), JSON.stringify(full), { ttlMs: ttlMs + 60_000 });
  }

  /** The record, if it exists, is of this kind and has not expired; else CHALLENGE_EXPIRED. */
  #valid(raw: string | null, kind: CeremonyKind): CeremonyChallenge {
    if (raw === null) throw new DigitalKeyError('CHALLENGE_EXPIRED');
    const record = parseRecord(ceremonyChallengeSchema, raw, 'ceremony challenge');
    if (record.kind !== kind || record.expiresAt <= this.deps.clock.now()) throw new DigitalKeyError('CHALLENGE_EXPIRED');
    return record;
  }

  /** A new enrollment token (returned once to the caller) bound to the account and challenge. */
  async createEnrollment(accountId: AccountId, challenge: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.#put(tokenDigest(token), { kind: 'enroll', challenge, accountId });
    return token;
  }

  async takeEnrollment(token: string): Promise<CeremonyChallenge> {
    return this.#valid(await this.deps.store.take(storeKeys.challenge(tokenDigest(token))), 'enroll');
  }

  /**
   * Read an enrollment without using it up: the registration is verified first, and the token is
   * taken only once it succeeded — a failed first try (wrong origin, cancelled prompt) can be retried.
   */
  async peekEnrollment(token: string): Promise<CeremonyChallenge> {
    return this.#valid(await this.deps.store.get(storeKeys.challenge(tokenDigest(token))), 'enroll');
  }

  /** A new challenge id for a login, an added passkey or a recovery (which names what it redeems). */
  async create(kind: Exclude<CeremonyKind, 'enroll' | 'dealer-enrol'>, challenge: string, accountId: AccountId | null, recovery?: RecoveryBinding): Promise<string> {
    const id = randomUUID();
    await this.#put(id, { kind, challenge, accountId, ...(recovery ? { recovery } : {}) });
    return id;
  }

  /** A new challenge id for a dealer's first passkey, bound to the invitation it uses up and the account it will create. */
  async createDealerEnrolment(challenge: string, accountId: AccountId, dealerEnrolment: DealerEnrolmentBinding): Promise<string> {
    const id = randomUUID();
    await this.#put(id, { kind: 'dealer-enrol', challenge, accountId, dealerEnrolment });
    return id;
  }

  async take(id: string, kind: Exclude<CeremonyKind, 'enroll'>): Promise<CeremonyChallenge> {
    return this.#valid(await this.deps.store.take(storeKeys.challenge(id)), kind);
  }
}
