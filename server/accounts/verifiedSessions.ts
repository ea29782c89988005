/**
 * Session tokens this process has already verified, so a busy phone pays for the ES256 check once
 * per token instead of on every request. What the cache skips is only what cannot change for a
 * given token: its signature, its issuer, audience and `typ`, and its claims. Everything that can
 * change — logout (ended sessions), a disabled or removed passkey (R6), a recovery that raised the
 * account's session generation (R15), a closed account — is still read from the store on every
 * request by the authenticator, so each takes effect at once on every instance.
 *
 * Entries are keyed by the SHA-256 of the token (no token is held or compared as a key), stay until
 * the token expires (with the verifier's own clock tolerance), and are bounded: past `maxEntries`
 * the oldest go first.
 */
import { createHash } from 'node:crypto';
import type { VerifiedSession } from './sessionTokens.js';

/** The clock tolerance session tokens are verified with (sessionTokens.ts), in seconds. */
export const SESSION_CLOCK_TOLERANCE_S = 5;

const DEFAULT_MAX_ENTRIES = 50_000;

/** Told of each look-up: found verified already, or verified now. */
export type SessionLookupListener = (outcome: 'hit' | 'miss') => void;

export class VerifiedSessions {
  readonly #entries = new Map<string, VerifiedSession>();
  readonly #maxEntries: number;
  readonly #onLookup: SessionLookupListener;

  constructor(opts: { maxEntries?: number; onLookup?: SessionLookupListener } = {}) {
    this.#maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#onLookup = opts.onLookup ?? (() => {});
  }

  /** How many tokens are cached now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The session a token names: from the cache while the token is unexpired, else from `verify`
   * (whose failure is thrown and never cached).
   */
  async verified(token: string, nowSeconds: number, verify: () => Promise<VerifiedSession>): Promise<VerifiedSession> {
    const digest = createHash('sha256').update(token).digest('base64url');
    const cached = this.#entries.get(digest);
    if (cached !== undefined) {
      if (isUnexpired(cached, nowSeconds)) {
        this.#onLookup('hit');
        return cached;
      }
      this.#entries.delete(digest);
    }
    this.#onLookup('miss');
    const session = await verify();
    if (isUnexpired(session, nowSeconds)) {
      this.#entries.set(digest, session);
      for (const oldest of this.#entries.keys()) {
        if (this.#entries.size <= this.#maxEntries) break;
        this.#entries.delete(oldest);
      }
    }
    return session;
  }
}

/** As the verifier judges `exp`: expired once `exp` is more than the tolerance in the past. */
function isUnexpired(session: VerifiedSession, nowSeconds: number): boolean {
  return session.expiresAt > nowSeconds - SESSION_CLOCK_TOLERANCE_S;
}
