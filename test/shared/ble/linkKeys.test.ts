/**
 * The keys derived from a car's link secret: the server and the car compute them separately, so
 * their bytes are pinned here (computed independently with Python's hmac and hashlib).
 */
import { describe, expect, it } from 'vitest';
import { credentialDigest, deriveAdvertisingKey, deriveResponseKey, LINK_SECRET_BYTES, linkSecretBytes, linkSecretSchema } from '../../../shared/ble/linkKeys.js';

const LINK_SECRET = Uint8Array.from({ length: 32 }, (_, i) => i); // 00 01 02 … 1f
/** A credential as the API hands it out: base64url of (here, stand-in) COSE bytes `d2 84 43 a1 01 26 a0` ‖ "credential bytes". */
const CREDENTIAL = '0oRDoQEmoGNyZWRlbnRpYWwgYnl0ZXM';
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('link keys', () => {
  it('a link secret is 32 bytes', () => {
    expect(LINK_SECRET_BYTES).toBe(32);
  });

  it('vector: advertising key = HMAC-SHA256(linkSecret, "sdk-digital-key/advertising/v2")', () => {
    expect(hex(deriveAdvertisingKey(LINK_SECRET))).toBe('f65b9dd227074145c898e599833e4b336e2f6a858333d1745ebad0416a983ac7');
  });

  it('vector: credential digest = SHA-256 of the credential COSE bytes (the base64url text decoded)', () => {
    expect(hex(credentialDigest(CREDENTIAL))).toBe('47a829006255307e01a111c292b7d201b3b2cdc8679cfe9dea45c440f0bffd1c');
  });

  it('vector: response key = HMAC-SHA256(linkSecret, "sdk-digital-key/response/v2" ‖ credential digest)', () => {
    expect(hex(deriveResponseKey(LINK_SECRET, credentialDigest(CREDENTIAL)))).toBe('070a9a620d3ee9cc43c9778bf5d84a89c8744e43aec05b8094d09737fbc93dbf');
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
