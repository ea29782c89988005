/**
 * The keys derived from a car's link secret: the server and the car compute them separately, so
 * their bytes are pinned here (computed independently with Python's hmac and hashlib).
 */
import { describe, expect, it } from 'vitest';
import { credentialDigest, deriveAdvertisingKey, deriveResponseKey, LINK_SECRET_BYTES, linkSecretBytes, linkSecretSchema } from '../../../shared/ble/linkKeys.js';

const LINK_SECRET = Uint8Array.from({ length: 32 }, (_, i) => i); // 00 01 02 … 1f
const CREDENTIAL = 'eyJhbGciOiJFUzI1NiIsInR5cCI6InNkay1rZXkrand0In0.eyJzdWIiOiJrZXlfMSJ9.c2lnbmF0dXJl';
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('link keys', () => {
  it('a link secret is 32 bytes', () => {
    expect(LINK_SECRET_BYTES).toBe(32);
  });

  it('vector: advertising key = HMAC-SHA256(linkSecret, "sdk-digital-key/advertising/v2")', () => {
    expect(hex(deriveAdvertisingKey(LINK_SECRET))).toBe('f65b9dd227074145c898e599833e4b336e2f6a858333d1745ebad0416a983ac7');
  });

  it('vector: credential digest = SHA-256 of the credential as handed out (UTF-8 of the JWS)', () => {
    expect(hex(credentialDigest(CREDENTIAL))).toBe('d45ea7214ab02600fba96fe4df1a2267f0d74651d6642366a5683996a877f4c3');
  });

  it('vector: response key = HMAC-SHA256(linkSecret, "sdk-digital-key/response/v2" ‖ credential digest)', () => {
    expect(hex(deriveResponseKey(LINK_SECRET, credentialDigest(CREDENTIAL)))).toBe('25e1dfe810b23749e42a203ebfc0228cacb15c6848aa584405d1db10d3868414');
  });

  it('each credential has its own response key; another secret gives other keys', () => {
    const other = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
    const a = deriveResponseKey(LINK_SECRET, credentialDigest(CREDENTIAL));
    expect(deriveResponseKey(LINK_SECRET, credentialDigest(`${CREDENTIAL}x`))).not.toEqual(a);
    expect(deriveResponseKey(other, credentialDigest(CREDENTIAL))).not.toEqual(a);
    expect(deriveAdvertisingKey(other)).not.toEqual(deriveAdvertisingKey(LINK_SECRET));
    // The advertising key is not a response key: the labels keep the uses apart.
    expect(deriveAdvertisingKey(LINK_SECRET)).not.toEqual(a);
  });

  it('refuses a secret or digest of the wrong length', () => {
    expect(() => deriveAdvertisingKey(new Uint8Array(16))).toThrow(RangeError);
    expect(() => deriveResponseKey(LINK_SECRET, new Uint8Array(31))).toThrow(RangeError);
  });

  it('a link secret at rest is canonical base64url of 32 bytes', () => {
    const text = Buffer.from(LINK_SECRET).toString('base64url');
    expect(linkSecretBytes(text)).toEqual(LINK_SECRET);
    for (const bad of ['', text.slice(1), `${text}A`, `${text.slice(0, 42)}B`, `${text.slice(0, 42)}=`]) expect(linkSecretSchema.safeParse(bad).success).toBe(false);
  });
});
