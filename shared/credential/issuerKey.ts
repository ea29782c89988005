/**
 * The issuer's signing key, behind an interface so an HSM or a cloud KMS can hold it later
 * (vehicle-command passes an `ECDHPrivateKey` interface for the same reason). Only ES256.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { p256PrivateJwkSchema, p256PublicJwkSchema } from './jwkSchema.js';

export interface IssuerSigningKey {
  readonly kid: string;
  readonly alg: 'ES256';
  /** The public half as a JWK with `kid`, `alg` and `use`, for the JWKS. */
  readonly publicJwk: JWK;
  /** Sign a JWS signing input; returns the raw IEEE P1363 signature (r || s, 64 bytes). */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
}

/** A P-256 key held in this process. Production can put a KMS-backed implementation in its place. */
export class LocalIssuerKey implements IssuerSigningKey {
  readonly alg = 'ES256' as const;
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly #privateKey: KeyObject;

  private constructor(privateKey: KeyObject, kid: string, publicJwk: JWK) {
    this.#privateKey = privateKey;
    this.kid = kid;
    this.publicJwk = publicJwk;
  }

  static async generate(): Promise<LocalIssuerKey> {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return LocalIssuerKey.fromPrivateKey(privateKey);
  }

  /** Load from a private JWK (`{kty:"EC", crv:"P-256", d, x, y}`). */
  static async fromPrivateJwk(jwk: JWK): Promise<LocalIssuerKey> {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
      throw new TypeError('the issuer key must be a private P-256 EC JWK');
    }
    return LocalIssuerKey.fromPrivateKey(createPrivateKey({ key: jwk, format: 'jwk' }));
  }

  static async fromPrivateKey(privateKey: KeyObject): Promise<LocalIssuerKey> {
    // Only the members the RFC 7638 thumbprint covers; a key on another curve than P-256 is refused.
    const base = p256PublicJwkSchema.parse(createPublicKey(privateKey).export({ format: 'jwk' }));
    const kid = await calculateJwkThumbprint(base, 'sha256');
    return new LocalIssuerKey(privateKey, kid, { ...base, kid, alg: 'ES256', use: 'sig' });
  }

  /** The private JWK, for persisting a development key. Never log it. */
  exportPrivateJwk(): JWK {
    return p256PrivateJwkSchema.parse(this.#privateKey.export({ format: 'jwk' }));
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    return nodeSign('sha256', signingInput, { key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
  }
}
