/**
 * base64url (RFC 4648 §5, no padding), strictly: the API carries credentials and manifests as
 * base64url text of their COSE bytes, and one text must mean one byte string — no padding, no
 * characters outside the alphabet, no stray bits in the last character.
 */

/** The bytes of a base64url text; TypeError on anything that is not its canonical form. */
export function base64UrlToBytes(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new TypeError('not base64url');
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new TypeError('not canonical base64url');
  return new Uint8Array(bytes);
}

export function bytesToBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
