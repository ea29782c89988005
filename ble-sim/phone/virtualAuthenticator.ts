/**
 * A software WebAuthn platform authenticator for the simulated phone: it makes real P-256 passkeys,
 * real `none` attestations and real assertions that @simplewebauthn/server verifies. The UV flag is
 * set only when the simulated biometric check passes (R14), so a test can make an assertion without
 * user verification and watch the server or the car refuse it.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { encode } from 'cbor2';
import { p256PublicJwkSchema } from '../../shared/credential/jwkSchema.js';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

/** An all-zero AAGUID, as privacy-preserving `none` attestations use. */
const AAGUID = new Uint8Array(16);

interface StoredPasskey {
  id: Uint8Array;
  rpId: string;
  userHandle: string;
  privateKey: KeyObject;
  counter: number;
}

/** A passkey as plain data (see `exportPasskeys`). */
export interface SavedPasskey {
  /** Credential id, base64url. */
  id: string;
  rpId: string;
  userHandle: string;
  counter: number;
  privateJwk: JsonWebKey;
}

export interface AssertionOptions {
  rpId: string;
  origin: string;
  /** Raw challenge bytes (BLE transaction hash) or the base64url string of server options. */
  challenge: Uint8Array | string;
  /** Restrict to these credential ids (base64url); empty or absent: any passkey for the rpId. */
  allowCredentials?: readonly string[];
  /** Override the biometric outcome for this one call (attack tests). */
  userVerified?: boolean;
  /** Clear the user-presence flag for this one call (attack tests: presence must never be relaxed). */
  userPresent?: boolean;
}

function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

export class VirtualAuthenticator {
  readonly #passkeys = new Map<string, StoredPasskey>();
  /** Whether the simulated fingerprint/face check passes. */
  biometricPasses = true;
  /** Whether signature counters count (true) or stay 0 like many synced passkeys (false). */
  readonly countSignatures: boolean;

  constructor(opts: { countSignatures?: boolean } = {}) {
    this.countSignatures = opts.countSignatures ?? true;
  }

  /**
   * The passkeys as plain data (private keys as JWK), so a phone that lives across processes (the
   * phone CLI's state file) keeps its passkeys and signature counters. Secret: store it like a key.
   */
  exportPasskeys(): SavedPasskey[] {
    return [...this.#passkeys.entries()].map(([id, p]) => ({ id, rpId: p.rpId, userHandle: p.userHandle, counter: p.counter, privateJwk: p.privateKey.export({ format: 'jwk' }) }));
  }

  /** Bring back passkeys saved with {@link exportPasskeys}. */
  importPasskeys(saved: readonly SavedPasskey[]): void {
    for (const s of saved) {
      this.#passkeys.set(s.id, { id: new Uint8Array(Buffer.from(s.id, 'base64url')), rpId: s.rpId, userHandle: s.userHandle, counter: s.counter, privateKey: createPrivateKey({ key: s.privateJwk, format: 'jwk' }) });
    }
  }

  /** The ids (base64url) of the passkeys this phone holds. */
  get credentialIds(): string[] {
    return [...this.#passkeys.keys()];
  }

  /** navigator.credentials.create(): a new passkey with a `none` attestation. */
  createCredential(options: PublicKeyCredentialCreationOptionsJSON, origin: string): RegistrationResponseJSON {
    const rpId = options.rp.id;
    if (!rpId) throw new Error('rp.id is required');
    if (!options.pubKeyCredParams.some((p) => p.alg === -7)) throw new Error('the RP does not accept ES256');
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    for (const id of this.#passkeys.keys()) if (excluded.has(id)) throw new Error('InvalidStateError: already registered');
    const uv = this.biometricPasses;
    if (options.authenticatorSelection?.userVerification === 'required' && !uv) {
      throw new Error('NotAllowedError: user verification failed');
    }

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { x, y } = p256PublicJwkSchema.parse(publicKey.export({ format: 'jwk' }));
    const cose = encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, new Uint8Array(Buffer.from(x, 'base64url'))], // plain Uint8Array: cbor2 encodes a Buffer as an object
        [-3, new Uint8Array(Buffer.from(y, 'base64url'))],
      ]),
    );
    const id = new Uint8Array(randomBytes(32));
    const idB64 = Buffer.from(id).toString('base64url');
    const passkey: StoredPasskey = { id, rpId, userHandle: options.user.id, privateKey, counter: 0 };

    const credIdLen = new Uint8Array([id.length >> 8, id.length & 0xff]);
    const flags = FLAG_UP | (uv ? FLAG_UV : 0) | FLAG_BE | FLAG_BS | FLAG_AT;
    const authData = Buffer.concat([sha256(rpId), Buffer.from([flags]), u32(passkey.counter), AAGUID, credIdLen, id, cose]);
    const clientDataJSON = JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false });
    const attestationObject = encode({ fmt: 'none', attStmt: {}, authData: new Uint8Array(authData) });

    this.#passkeys.set(idB64, passkey);
    return {
      id: idB64,
      rawId: idB64,
      type: 'public-key',
      response: {
        clientDataJSON: Buffer.from(clientDataJSON).toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal', 'hybrid'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /**
   * Take over a passkey made elsewhere — e.g. by a browser's CDP virtual authenticator, whose
   * `WebAuthn.getCredentials` hands out the private key — so this phone signs with it (a test moves
   * a passkey registered in the customer portal onto the simulated phone that talks to the car).
   */
  importPasskey(passkey: { credentialId: string; rpId: string; userHandle: string; privateKeyPkcs8: Uint8Array; signCount: number }): void {
    const id = new Uint8Array(Buffer.from(passkey.credentialId, 'base64url'));
    const privateKey = createPrivateKey({ key: Buffer.from(passkey.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
    this.#passkeys.set(Buffer.from(id).toString('base64url'), { id, rpId: passkey.rpId, userHandle: passkey.userHandle, privateKey, counter: passkey.signCount });
  }

  /** navigator.credentials.get(): an assertion over the challenge, UV set only if biometrics pass. */
  getAssertion(opts: AssertionOptions): AuthenticationResponseJSON {
    const allowed = opts.allowCredentials && opts.allowCredentials.length > 0 ? new Set(opts.allowCredentials) : null;
    const entry = [...this.#passkeys.entries()].find(([id, p]) => p.rpId === opts.rpId && (!allowed || allowed.has(id)));
    if (!entry) throw new Error('NotAllowedError: no passkey for this relying party');
    const [idB64, passkey] = entry;
    const uv = opts.userVerified ?? this.biometricPasses;

    if (this.countSignatures) passkey.counter += 1;
    const challenge = typeof opts.challenge === 'string' ? opts.challenge : Buffer.from(opts.challenge).toString('base64url');
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin: opts.origin, crossOrigin: false }));
    const flags = (opts.userPresent === false ? 0 : FLAG_UP) | (uv ? FLAG_UV : 0) | FLAG_BE | FLAG_BS;
    const authData = Buffer.concat([sha256(opts.rpId), Buffer.from([flags]), u32(passkey.counter)]);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), passkey.privateKey);

    return {
      id: idB64,
      rawId: idB64,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: passkey.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
