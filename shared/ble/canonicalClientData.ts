/**
 * The clientDataJSON a platform writes for an assertion over `challenge` at `origin`, in the
 * serialization WebAuthn L3 §5.8.1.1 defines (type, challenge, origin, crossOrigin, in that order).
 * The car rebuilds it from what it knows, so the phone sends clientDataJSON only when its platform
 * wrote something else (protocol.md, "Compact assertion").
 */
export function canonicalClientDataJSON(challenge: Uint8Array, origin: string): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: Buffer.from(challenge).toString('base64url'), origin, crossOrigin: false })));
}
