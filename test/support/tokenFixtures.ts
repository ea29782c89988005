/**
 * Token fixtures for the credential and state-manifest suites (and any suite that needs a trusted
 * issuer): valid claims, and the broken and malicious tokens an attacker would try. Every builder
 * returns a compact JWS string; none of them goes through `issueKeyCredential`, so they can carry
 * claims and headers the product would never produce.
 */
import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { LocalIssuerKey, type IssuerSigningKey } from '../../shared/credential/issuerKey.js';
import { KEY_CREDENTIAL_TYP, type KeyCredentialClaims } from '../../shared/credential/keyCredential.js';
import { STATE_MANIFEST_TYP, type StateManifestClaims } from '../../shared/credential/stateManifest.js';
import type { TrustedIssuer } from '../../shared/credential/trustedIssuer.js';

export const ISSUER = 'https://keys.sdk.example';
export const VIN = 'WVWZZZ1JZXW000001';
export const OTHER_VIN = 'WVWZZZ1JZXW000002';
export const KEY_ID = 'key_AAAAAAAAAAAAAAAAAAAAAA';
/** 2026-01-01T00:00:00Z, in seconds: the verifier's "now" in every credential test. */
export const NOW = Date.UTC(2026, 0, 1) / 1000;
export const DAY = 86_400;

/** A WebAuthn credential id and COSE key as base64url, shaped like the real ones (not a real key). */
export const PASSKEY_ID = Buffer.from('passkey-credential-id-0001').toString('base64url');
export const PASSKEY_COSE = Buffer.from('pQECAyYgASFYIPAKEcosekeyfixturebytes0123456789').toString('base64url');

export interface TestIssuer {
  key: LocalIssuerKey;
  trust: TrustedIssuer;
}

/** A fresh issuer key and the trust a vehicle is provisioned with for it. */
export async function makeIssuer(issuer: string = ISSUER): Promise<TestIssuer> {
  const key = await LocalIssuerKey.generate();
  return { key, trust: { issuer, jwks: { keys: [key.publicJwk] } } };
}

/** Valid key-credential claims for VIN, valid from NOW for a day. */
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
    cnf: { wa: { id: PASSKEY_ID, pk: PASSKEY_COSE } },
    ...overrides,
  };
}

/** Valid state-manifest claims for VIN. */
export function manifestClaims(overrides: Partial<StateManifestClaims> = {}): StateManifestClaims {
  return { iss: ISSUER, aud: VIN, iat: NOW, seq: 7, ep: 2, revoked: [KEY_ID], ...overrides };
}

/** Claims with some members deleted (`withoutClaims(c, 'exp')`), for "missing claim" cases. */
export function withoutClaims(claims: object, ...names: string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...claims };
  for (const name of names) delete copy[name];
  return copy;
}

export function b64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The ES256 header the issuer puts on a token of this kind. */
export function issuerHeader(key: IssuerSigningKey, typ: string = KEY_CREDENTIAL_TYP): Record<string, unknown> {
  return { alg: 'ES256', typ, kid: key.kid };
}

/**
 * Sign any header and payload with an ES256 signing key: the way to make a token that is genuinely
 * signed by the trusted issuer yet carries claims or headers the product never issues.
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

/** Genuinely issuer-signed key-credential-shaped token with arbitrary claims (schema attacks). */
export function signCredentialPayload(key: IssuerSigningKey, payload: unknown, typ: string = KEY_CREDENTIAL_TYP): Promise<string> {
  return signRaw(key, issuerHeader(key, typ), payload);
}

/** Same, with the state-manifest `typ`. */
export function signManifestPayload(key: IssuerSigningKey, payload: unknown): Promise<string> {
  return signRaw(key, issuerHeader(key, STATE_MANIFEST_TYP), payload);
}

/** Replace the payload and keep the original signature (the payload-tampering attack). */
export function tamperPayload(token: string, mutate: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = decodeSegment(payload);
  mutate(claims);
  return `${header}.${b64urlJson(claims)}.${signature}`;
}

/** Replace the header and keep the payload and signature (the "alg swap" family of attacks). */
export function replaceHeader(token: string, header: Record<string, unknown>): string {
  const [, payload, signature] = token.split('.') as [string, string, string];
  return `${b64urlJson(header)}.${payload}.${signature}`;
}

/** Flip one bit of the signature. */
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
 * The classic key-confusion attack: HS256 with the issuer's *public* key bytes as the HMAC secret,
 * hoping the verifier feeds "the key" to whatever `alg` the header names.
 */
export function hs256KeyConfusionTokens(issuerKey: IssuerSigningKey, typ: string, payload: unknown): Record<string, string> {
  const publicKey = createPublicKey({ key: issuerKey.publicJwk as JsonWebKey, format: 'jwk' });
  const secrets: Record<string, Buffer> = {
    'SPKI PEM': Buffer.from(publicKey.export({ format: 'pem', type: 'spki' }) as string),
    'SPKI DER': publicKey.export({ format: 'der', type: 'spki' }),
    'JWK JSON': Buffer.from(JSON.stringify(issuerKey.publicJwk)),
  };
  const tokens: Record<string, string> = {};
  for (const [name, secret] of Object.entries(secrets)) {
    const signingInput = `${b64urlJson({ alg: 'HS256', typ, kid: issuerKey.kid })}.${b64urlJson(payload)}`;
    tokens[name] = `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
  }
  return tokens;
}

/** A signing key the vehicle does not trust, optionally lying about its `kid` (e.g. the issuer's). */
export async function impostorKey(kid?: string): Promise<IssuerSigningKey> {
  const real = await LocalIssuerKey.generate();
  if (kid === undefined) return real;
  return { kid, alg: 'ES256', publicJwk: { ...real.publicJwk, kid }, sign: (input) => real.sign(input) };
}

/** An attacker's own ES256 key pair as jose keys, with its public JWK. */
type JoseKeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export async function attackerKeyPair(): Promise<{ privateKey: JoseKeyPair['privateKey']; publicJwk: JWK; thumbprint: string }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk) };
}

/**
 * A token signed by the attacker's key with that key embedded in the header (`jwk`), the attack on
 * verifiers that take "the key in the token" (CVE-2018-0114 style). `kid` optional.
 */
export async function embeddedJwkToken(opts: { typ: string; payload: unknown; kid?: string }): Promise<string> {
  const attacker = await attackerKeyPair();
  return new CompactSign(new TextEncoder().encode(JSON.stringify(opts.payload)))
    .setProtectedHeader({ alg: 'ES256', typ: opts.typ, jwk: attacker.publicJwk, ...(opts.kid === undefined ? {} : { kid: opts.kid }) })
    .sign(attacker.privateKey);
}

/** A token signed by the attacker's key whose `jku` points at the attacker's own JWKS. */
export async function jkuToken(opts: { typ: string; payload: unknown }): Promise<string> {
  const attacker = await attackerKeyPair();
  return new CompactSign(new TextEncoder().encode(JSON.stringify(opts.payload)))
    .setProtectedHeader({ alg: 'ES256', typ: opts.typ, kid: attacker.thumbprint, jku: 'https://attacker.example/jwks.json' })
    .sign(attacker.privateKey);
}

/** Headers that name a key or a key location: a verifier must never use them (DESIGN.md §2). */
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
  'header without alg': `${b64urlJson({ typ: KEY_CREDENTIAL_TYP })}.e30.AAAA`,
  'non-ASCII': 'ключ.ключ.ключ',
  'a JSON object, not a JWS': JSON.stringify({ alg: 'ES256' }),
  'whitespace and newlines': ' \n\t ',
  'over 4096 characters': 'a'.repeat(4097),
};
