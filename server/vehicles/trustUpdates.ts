/**
 * The trust update this instance gives every car that opens its sync channel: the issuer's public
 * keys (the signing key and the configured extra ones, ISSUER_EXTRA_JWKS), signed by each private
 * issuer key it holds, so a car takes it whichever of them it trusts (shared/credential/trustUpdate.ts).
 * Made once, at the first connection, and dated then: a car refuses an update older than the one it
 * took, so an instance still on the previous configuration cannot undo a rotation step.
 */
import type { JWK } from 'jose';
import { epochSeconds, type Clock } from '../../shared/clock.js';
import type { IssuerSigningKey } from '../../shared/credential/issuerKey.js';
import { signTrustUpdate } from '../../shared/credential/trustUpdate.js';

/** An issuer key beside the signing key: published and trusted; with a signer it co-signs trust updates. */
export interface OtherIssuerKey {
  publicJwk: JWK;
  signer: IssuerSigningKey | null;
}

export class TrustUpdates {
  #tokens: Promise<string[]> | null = null;

  constructor(private readonly deps: { issuer: string; issuerKey: IssuerSigningKey; others: OtherIssuerKey[]; clock: Clock }) {}

  /** The public keys cars must trust: the signing key first. */
  get keys(): JWK[] {
    return [this.deps.issuerKey.publicJwk, ...this.deps.others.map((o) => o.publicJwk)];
  }

  /** The update, one token per private issuer key (the signing key's first). */
  tokens(): Promise<string[]> {
    this.#tokens ??= this.#sign().catch((err: unknown) => {
      this.#tokens = null;
      throw err;
    });
    return this.#tokens;
  }

  async #sign(): Promise<string[]> {
    const { issuer, issuerKey, others, clock } = this.deps;
    const signers = [issuerKey, ...others.flatMap((o) => (o.signer ? [o.signer] : []))];
    const nowSeconds = epochSeconds(clock);
    return Promise.all(signers.map((key) => signTrustUpdate({ key, issuer, keys: this.keys, nowSeconds })));
  }
}
