/**
 * Token fixtures for the credential, state-manifest and trusted-issuer suites: valid claims, and the
 * broken and malicious tokens an attacker would try.
 *
 * Key credentials and state manifests are CWTs in a COSE_Sign1 (RFC 8392, RFC 9052). The COSE
 * builders here never go through `issueKeyCredential` or `signStateManifest`: they write the claims
 * maps from the table in keyCredential.ts / stateManifest.ts themselves (so a test pins the wire
 * format, not the product's own constants), sign any protected header and any payload bytes with an
 * issuer key, and assemble a COSE_Sign1 from raw parts, so a token can carry what the product never
 * issues: an unknown claim, a foreign header label, a non-deterministic encoding, trailing bytes.
 *
 * Trust updates, session tokens and the vehicles' request tokens stay compact JWS: the JWS builders
 * at the end serve those.
 */
import { createHash, createHmac, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { decodeStrictCbor, encodeDeterministic, tagged } from '../../shared/cose/strictCbor.js';
import { coseKidOf } from '../../shared/credential/issuerCoseKeys.js';
import { LocalIssuerKey, type IssuerSigningKey } from '../../shared/credential/issuerKey.js';
import type { KeyCredentialClaims } from '../../shared/credential/keyCredential.js';
import type { StateManifestClaims } from '../../shared/credential/stateManifest.js';
import type { TrustedIssuer } from '../../shared/credential/trustedIssuer.js';
import { TRUST_UPDATE_TYP } from '../../shared/credential/trustUpdate.js';

export const ISSUER = 'https://keys.sdk.example';
export const VIN = 'WVWZZZ1JZXW000001';
export const OTHER_VIN = 'WVWZZZ1JZXW000002';
export const KEY_ID = 'key_AAAAAAAAAAAAAAAAAAAAAA';
/** 2026-01-01T00:00:00Z, in seconds: the verifier's "now" in every credential test. */
export const NOW = Date.UTC(2026, 0, 1) / 1000;
export const DAY = 86_400;

/** The token kinds, spelled as the wire carries them (`typ`, RFC 9596). */
export const CREDENTIAL_TYP = 'sdk-key+cwt';
export const MANIFEST_TYP = 'sdk-state+cwt';

/** Claim keys of the two CWTs (RFC 8392 §4, RFC 8747 §3.1, and our private-use ones). */
export const CLAIM = { iss: 1, sub: 2, aud: 3, exp: 4, nbf: 5, iat: 6, cti: 7, cnf: 8, sdk: -65537, state: -65538 } as const;
/** COSE header labels (RFC 9052 §3.1, RFC 9360, RFC 9596). */
export const LABEL = { alg: 1, crit: 2, contentType: 3, kid: 4, iv: 5, typ: 16, x5chain: 33, x5t: 34, x5u: 35 } as const;
export const ES256 = -7;
/** The perms bitmask as the credential table fixes it: bit i is COMMANDS[i]. */
export const PERM_BITS = { unlock: 1, lock: 2, start: 4, trunk: 8 } as const;

export const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const concatBytes = (...parts: Array<Uint8Array | number[]>): Uint8Array => new Uint8Array(Buffer.concat(parts.map((p) => Uint8Array.from(p))));

/** An EC2 P-256 public key as WebAuthn registration stores it: `{1: 2, 3: -7, -1: 1, -2: x, -3: y}`. */
export function passkeyCoseKey(jwk: { x?: string; y?: string }): Uint8Array {
  return encodeDeterministic(new Map<number, unknown>([[1, 2], [3, ES256], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
}

/**
 * The test passkey: a real P-256 key (RFC 9052 C.7.1 "meriadoc.brandybuck@buckland.example", even y),
 * so the credential can carry it as a compressed point.
 */
export const PASSKEY_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: Buffer.from('65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d', 'hex').toString('base64url'),
  y: Buffer.from('1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c', 'hex').toString('base64url'),
};
/** The passkey's COSE key, base64url, as the server stores it. */
export const PASSKEY_COSE = Buffer.from(passkeyCoseKey(PASSKEY_JWK)).toString('base64url');
/** The passkey as the credential carries it: 0x02 (y even) ‖ x. */
export const PASSKEY_POINT = concatBytes([0x02], Buffer.from(PASSKEY_JWK.x, 'base64url'));

/** A passkey whose y is odd (the other sign of the compressed point). */
export function passkeyWithOddY(): { cose: string; point: Uint8Array } {
  for (;;) {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    if ((Buffer.from(jwk.y!, 'base64url').at(-1)! & 1) === 1) {
      return { cose: Buffer.from(passkeyCoseKey(jwk)).toString('base64url'), point: concatBytes([0x03], Buffer.from(jwk.x!, 'base64url')) };
    }
  }
}

export interface TestIssuer {
  key: LocalIssuerKey;
  trust: TrustedIssuer;
}

/** A fresh issuer key and the trust a vehicle is provisioned with for it. */
export async function makeIssuer(issuer: string = ISSUER): Promise<TestIssuer> {
  const key = await LocalIssuerKey.generate();
  return { key, trust: { issuer, jwks: { keys: [key.publicJwk] } } };
}

/** Valid key-credential claims for VIN, valid from NOW for a day (what issueKeyCredential takes). */
export function credentialClaims(overrides: Partial<KeyCredentialClaims> = {}): KeyCredentialClaims {
  return {
    iss: ISSUER,
    sub: KEY_ID,
    aud: VIN,
    iat: NOW,
    nbf: NOW,
    exp: NOW + DAY,
    role: 'main',
    perms: ['unlock', 'lock', 'start', 'trunk'],
    ep: 0,
    cnf: { wa: { pk: PASSKEY_COSE } },
    ...overrides,
  };
}

/** Valid state-manifest claims for VIN (what signStateManifest takes). */
export function manifestClaims(overrides: Partial<StateManifestClaims> = {}): StateManifestClaims {
  return { iss: ISSUER, aud: VIN, iat: NOW, seq: 7, ep: 2, revoked: [KEY_ID], ...overrides };
}

/** Claims with some members deleted (`withoutClaims(c, 'exp')`), for "missing claim" cases. */
export function withoutClaims(claims: object, ...names: string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...claims };
  for (const name of names) delete copy[name];
  return copy;
}

// --- COSE / CWT -------------------------------------------------------------------------------

/** The passkey of a credential as its `cnf` COSE_Key: kty EC2, crv P-256, x, sign of y (no credential id). */
export function cnfCoseKey(passkeyCose: string): Map<number, unknown> {
  const key = decodeStrictCbor(Buffer.from(passkeyCose, 'base64url')) as Map<number, unknown>;
  const y = key.get(-3) as Uint8Array;
  return new Map<number, unknown>([[1, 2], [-1, 1], [-2, key.get(-2)], [-3, (y.at(-1)! & 1) === 1]]);
}

/**
 * The claims map of a key credential, written from the table in keyCredential.ts (not by the
 * product): `{2: sub, 3: aud, 4: exp, 5: nbf, 6: iat, 8: {1: COSE_Key}, -65537: [role, perms, ep]}`.
 */
export function credentialCwtClaims(overrides: Partial<KeyCredentialClaims> = {}): Map<number, unknown> {
  const c = credentialClaims(overrides);
  return new Map<number, unknown>([
    [CLAIM.sub, c.sub],
    [CLAIM.aud, c.aud],
    [CLAIM.exp, c.exp],
    [CLAIM.nbf, c.nbf],
    [CLAIM.iat, c.iat],
    [CLAIM.cnf, new Map([[1, cnfCoseKey(c.cnf.wa.pk)]])],
    [CLAIM.sdk, [c.role === 'main' ? 0 : 1, c.perms.reduce((m, p) => m | PERM_BITS[p], 0), c.ep]],
  ]);
}

/** How a manifest names a revoked key: the first 8 bytes of SHA-256 of its id. */
export function revokedDigest(keyId: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(keyId).digest().subarray(0, 8));
}

/** The claims map of a state manifest: `{3: aud, 6: iat, -65538: [seq, ep, [digest, …]]}`. */
export function manifestCwtClaims(overrides: Partial<StateManifestClaims> = {}): Map<number, unknown> {
  const c = manifestClaims(overrides);
  return new Map<number, unknown>([
    [CLAIM.aud, c.aud],
    [CLAIM.iat, c.iat],
    [CLAIM.state, [c.seq, c.ep, c.revoked.map(revokedDigest)]],
  ]);
}

/** The protected header the issuer puts on a token of this kind: `{1: -7, 4: kid, 16: typ}`. */
export function coseHeader(key: Pick<IssuerSigningKey, 'publicJwk'>, typ: string = CREDENTIAL_TYP): Map<number, unknown> {
  return new Map<number, unknown>([[LABEL.alg, ES256], [LABEL.kid, coseKidOf(key.publicJwk)], [LABEL.typ, typ]]);
}

/** RFC 9052 §4.4: the bytes an ES256 COSE_Sign1 signature covers. */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeDeterministic(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/** The four parts of a COSE_Sign1, as bytes where they are bytes. */
export interface CoseParts {
  protectedBytes: Uint8Array;
  unprotected: Map<number, unknown>;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** A tagged COSE_Sign1 (tag 18) of these parts, deterministically encoded. */
export function assembleCose(parts: CoseParts): Uint8Array {
  return encodeDeterministic(tagged(18, [parts.protectedBytes, parts.unprotected, parts.payload, parts.signature]));
}

/** Split a strictly encoded COSE_Sign1 into its parts. */
export function coseParts(token: Uint8Array): CoseParts {
  const tag = decodeStrictCbor(token) as { contents: [Uint8Array, Map<number, unknown>, Uint8Array, Uint8Array] };
  const [protectedBytes, unprotected, payload, signature] = tag.contents;
  return { protectedBytes, unprotected, payload, signature };
}

/**
 * Sign any protected header and any payload with an ES256 key: the way to make a token that is
 * genuinely signed by the trusted issuer yet says what the product never issues. A header or a
 * payload given as bytes is used as is (so it may be non-deterministic CBOR, or not CBOR at all).
 */
export async function signCose(
  key: IssuerSigningKey,
  opts: { header: Map<number, unknown> | Uint8Array; payload: Map<number, unknown> | Uint8Array; unprotected?: Map<number, unknown> },
): Promise<Uint8Array> {
  const protectedBytes = opts.header instanceof Uint8Array ? opts.header : encodeDeterministic(opts.header);
  const payload = opts.payload instanceof Uint8Array ? opts.payload : encodeDeterministic(opts.payload);
  const signature = await key.sign(sigStructure(protectedBytes, payload));
  return assembleCose({ protectedBytes, unprotected: opts.unprotected ?? new Map(), payload, signature });
}

/** A genuinely issuer-signed credential-kind CWT with any claims (schema attacks). */
export function signCredentialCwt(key: IssuerSigningKey, claims: Map<number, unknown> | Uint8Array, typ: string = CREDENTIAL_TYP): Promise<Uint8Array> {
  return signCose(key, { header: coseHeader(key, typ), payload: claims });
}

/** Same, of the state-manifest kind. */
export function signManifestCwt(key: IssuerSigningKey, claims: Map<number, unknown> | Uint8Array, typ: string = MANIFEST_TYP): Promise<Uint8Array> {
  return signCose(key, { header: coseHeader(key, typ), payload: claims });
}

/** Replace the claims and keep the original signature (the payload-tampering attack). */
export function tamperCwtClaims(token: Uint8Array, mutate: (claims: Map<number, unknown>) => void): Uint8Array {
  const parts = coseParts(token);
  const claims = decodeStrictCbor(parts.payload) as Map<number, unknown>;
  mutate(claims);
  return assembleCose({ ...parts, payload: encodeDeterministic(claims) });
}

/** Replace the protected header and keep the payload and signature (the "alg swap" family). */
export function replaceCoseHeader(token: Uint8Array, header: Map<number, unknown>): Uint8Array {
  return assembleCose({ ...coseParts(token), protectedBytes: encodeDeterministic(header) });
}

/** Flip one bit of the signature. */
export function flipCoseSignatureBit(token: Uint8Array): Uint8Array {
  const parts = coseParts(token);
  const signature = new Uint8Array(parts.signature);
  signature[signature.length - 1]! ^= 0x01;
  return assembleCose({ ...parts, signature });
}

/**
 * The head of a CBOR item with the argument written in `width` bytes (0: in the initial byte), so a
 * test can write what a deterministic encoder never does: `cborHead(0, 1, 1)` is the non-preferred `18 01`.
 */
export function cborHead(major: number, arg: number, width: 0 | 1 | 2 | 4 | 8 = 0): Uint8Array {
  const ai = { 0: arg, 1: 24, 2: 25, 4: 26, 8: 27 }[width];
  const out = [(major << 5) | ai];
  for (let i = width - 1; i >= 0; i--) out.push(Math.floor(arg / 2 ** (8 * i)) & 0xff);
  return Uint8Array.from(out);
}

/** A definite-length CBOR byte string of `bytes` with its length written in `width` bytes. */
export function cborBytes(bytes: Uint8Array, width: 0 | 1 | 2 | 4 | 8 = bytes.length < 24 ? 0 : bytes.length < 0x100 ? 1 : 2): Uint8Array {
  return concatBytes(cborHead(2, bytes.length, width), bytes);
}

/** A signing key that is not trusted; `posingAs` makes it present that key's identity (kid, public JWK) while signing with its own. */
export async function impostorKey(posingAs?: IssuerSigningKey): Promise<IssuerSigningKey> {
  const real = await LocalIssuerKey.generate();
  if (posingAs === undefined) return real;
  return { kid: posingAs.kid, alg: 'ES256', publicJwk: posingAs.publicJwk, sign: (input) => real.sign(input) };
}

/** The issuer's public key in the encodings a key-confusion attacker would use as an HMAC secret. */
function publicKeySecrets(issuerKey: IssuerSigningKey): Record<string, Buffer> {
  const publicKey = createPublicKey({ key: issuerKey.publicJwk as JsonWebKey, format: 'jwk' });
  return {
    'SPKI PEM': Buffer.from(publicKey.export({ format: 'pem', type: 'spki' }) as string),
    'SPKI DER': publicKey.export({ format: 'der', type: 'spki' }),
    'JWK JSON': Buffer.from(JSON.stringify(issuerKey.publicJwk)),
  };
}

/**
 * The key-confusion attack in COSE: HMAC 256/256 (alg 5) keyed with the issuer's *public* key, as a
 * COSE_Mac0 (tag 17, RFC 9052 §6.2) and as a COSE_Sign1 whose "signature" is that MAC, hoping the
 * verifier feeds "the key" to whatever `alg` the header names.
 */
export function hmacKeyConfusionTokens(issuerKey: IssuerSigningKey, typ: string, claims: Map<number, unknown>): Record<string, Uint8Array> {
  const header = new Map<number, unknown>([[LABEL.alg, 5], [LABEL.kid, coseKidOf(issuerKey.publicJwk)], [LABEL.typ, typ]]);
  const protectedBytes = encodeDeterministic(header);
  const payload = encodeDeterministic(claims);
  const macStructure = encodeDeterministic(['MAC0', protectedBytes, new Uint8Array(0), payload]);
  const tokens: Record<string, Uint8Array> = {};
  for (const [name, secret] of Object.entries(publicKeySecrets(issuerKey))) {
    const tag = new Uint8Array(createHmac('sha256', secret).update(macStructure).digest());
    tokens[`COSE_Mac0, ${name}`] = encodeDeterministic(tagged(17, [protectedBytes, new Map(), payload, tag]));
    tokens[`COSE_Sign1 with alg 5, ${name}`] = assembleCose({ protectedBytes, unprotected: new Map(), payload, signature: tag });
  }
  return tokens;
}

/** Inputs that are not a COSE_Sign1 at all. */
export const GARBAGE_COSE: Record<string, Uint8Array> = {
  'no bytes': new Uint8Array(0),
  'one zero byte': hex('00'),
  'a truncated COSE_Sign1 head': hex('d284'),
  'a CBOR text string': encodeDeterministic('sdk-key+cwt'),
  'a CBOR map': encodeDeterministic(new Map([[1, 2]])),
  'the empty array under tag 18': encodeDeterministic(tagged(18, [])),
  'a JSON object': new TextEncoder().encode('{"alg":"ES256"}'),
  'a compact JWS as text': new TextEncoder().encode('eyJhbGciOiJFUzI1NiJ9.e30.AAAA'),
  'over 16384 bytes': new Uint8Array(16_385),
};

// --- compact JWS (trust updates, session and vehicle tokens) ----------------------------------

export function b64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The ES256 JWS header the issuer puts on a token of this kind. */
export function issuerHeader(key: IssuerSigningKey, typ: string = TRUST_UPDATE_TYP): Record<string, unknown> {
  return { alg: 'ES256', typ, kid: key.kid };
}

/**
 * Sign any JWS header and payload with an ES256 signing key: a token genuinely signed by the
 * trusted issuer yet carrying claims or headers the product never issues.
 */
export async function signRaw(key: IssuerSigningKey, header: Record<string, unknown>, payload: unknown): Promise<string> {
  const signingInput = `${b64urlJson(header)}.${typeof payload === 'string' ? Buffer.from(payload).toString('base64url') : b64urlJson(payload)}`;
  const signature = await key.sign(new TextEncoder().encode(signingInput));
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

/**
 * Sign a header and payload given as JSON text, so a token can carry what no serializer writes
 * (a member name twice: `{"alg":"none","alg":"ES256"}`).
 */
export async function signRawText(key: IssuerSigningKey, headerJson: string, payloadJson: string): Promise<string> {
  const signingInput = `${Buffer.from(headerJson).toString('base64url')}.${Buffer.from(payloadJson).toString('base64url')}`;
  const signature = await key.sign(new TextEncoder().encode(signingInput));
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

/** The same signature bytes spelled another way: the unused low bits of the last base64url character set. */
export function nonCanonicalSignature(token: string): string {
  const last = token.at(-1)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  // 64 bytes are 86 characters: the last one carries 4 bits and 2 unused ones.
  const variant = alphabet[alphabet.indexOf(last) | 0b01]!;
  const spelled = variant === last ? alphabet[alphabet.indexOf(last) | 0b10]! : variant;
  return token.slice(0, -1) + spelled;
}

/** Replace the JWS payload and keep the original signature (the payload-tampering attack). */
export function tamperPayload(token: string, mutate: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = decodeSegment(payload);
  mutate(claims);
  return `${header}.${b64urlJson(claims)}.${signature}`;
}

/** Replace the JWS header and keep the payload and signature (the "alg swap" family of attacks). */
export function replaceHeader(token: string, header: Record<string, unknown>): string {
  const [, payload, signature] = token.split('.') as [string, string, string];
  return `${b64urlJson(header)}.${payload}.${signature}`;
}

/** Flip one bit of a JWS signature. */
export function flipSignatureBit(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const sig = Buffer.from(signature, 'base64url');
  sig[sig.length - 1]! ^= 0x01;
  return `${header}.${payload}.${sig.toString('base64url')}`;
}

/** An unsecured JWS (`alg: none`, RFC 7519 §6): header and payload, empty or given signature. */
export function algNoneToken(header: Record<string, unknown>, payload: unknown, signature = ''): string {
  return `${b64urlJson(header)}.${b64urlJson(payload)}.${signature}`;
}

/**
 * The classic JWS key-confusion attack: HS256 with the issuer's *public* key bytes as the HMAC
 * secret, hoping the verifier feeds "the key" to whatever `alg` the header names.
 */
export function hs256KeyConfusionTokens(issuerKey: IssuerSigningKey, typ: string, payload: unknown): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const [name, secret] of Object.entries(publicKeySecrets(issuerKey))) {
    const signingInput = `${b64urlJson({ alg: 'HS256', typ, kid: issuerKey.kid })}.${b64urlJson(payload)}`;
    tokens[name] = `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
  }
  return tokens;
}

/** An attacker's own ES256 key pair as jose keys, with its public JWK. */
type JoseKeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export async function attackerKeyPair(): Promise<{ privateKey: JoseKeyPair['privateKey']; publicJwk: JWK; thumbprint: string }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk) };
}

/**
 * A JWS signed by the attacker's key with that key embedded in the header (`jwk`), the attack on
 * verifiers that take "the key in the token" (CVE-2018-0114 style). `kid` optional.
 */
export async function embeddedJwkToken(opts: { typ: string; payload: unknown; kid?: string }): Promise<string> {
  const attacker = await attackerKeyPair();
  return new CompactSign(new TextEncoder().encode(JSON.stringify(opts.payload)))
    .setProtectedHeader({ alg: 'ES256', typ: opts.typ, jwk: attacker.publicJwk, ...(opts.kid === undefined ? {} : { kid: opts.kid }) })
    .sign(attacker.privateKey);
}

/** A JWS signed by the attacker's key whose `jku` points at the attacker's own JWKS. */
export async function jkuToken(opts: { typ: string; payload: unknown }): Promise<string> {
  const attacker = await attackerKeyPair();
  return new CompactSign(new TextEncoder().encode(JSON.stringify(opts.payload)))
    .setProtectedHeader({ alg: 'ES256', typ: opts.typ, kid: attacker.thumbprint, jku: 'https://attacker.example/jwks.json' })
    .sign(attacker.privateKey);
}

/** JWS headers that name a key or a key location: a verifier must never use them (DESIGN.md §2). */
export const KEY_NAMING_HEADERS: Record<string, unknown> = {
  jku: 'https://attacker.example/jwks.json',
  x5u: 'https://attacker.example/cert.pem',
  jwk: { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' },
  x5c: ['MIIBfake'],
  x5t: 'dGh1bWJwcmludA',
  'x5t#S256': 'dGh1bWJwcmludC1zaGEyNTY',
};

/** Strings that are not a compact JWS at all. */
export const GARBAGE_TOKENS: Record<string, string> = {
  'empty string': '',
  'one word': 'credential',
  'two segments': 'eyJhbGciOiJFUzI1NiJ9.e30',
  'four segments': 'a.b.c.d',
  'only dots': '..',
  'header not base64url': '!!!.e30.AAAA',
  'header not JSON': `${Buffer.from('not json').toString('base64url')}.e30.AAAA`,
  'header a JSON array': `${b64urlJson(['ES256'])}.e30.AAAA`,
  'header without alg': `${b64urlJson({ typ: TRUST_UPDATE_TYP })}.e30.AAAA`,
  'non-ASCII': 'ключ.ключ.ключ',
  'a JSON object, not a JWS': JSON.stringify({ alg: 'ES256' }),
  'whitespace and newlines': ' \n\t ',
  'over 4096 characters': 'a'.repeat(4097),
};
