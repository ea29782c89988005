/**
 * Strict DER for the ECDSA signature of a WebAuthn assertion (ECDSA-Sig-Value ::= SEQUENCE {
 * r INTEGER, s INTEGER }, X.690 DER). The ASN.1 parser under @simplewebauthn ignores bytes after the
 * SEQUENCE and accepts non-minimal integers, so one signature has many spellings; an assertion
 * check calls this first and refuses anything but the one DER encoding.
 */

/** Largest DER integer of a P-256 scalar: 32 bytes plus a leading zero when the top bit is set. */
const MAX_INTEGER_BYTES = 33;

/** True when `signature` is exactly one minimal DER SEQUENCE of two positive INTEGERs, nothing after. */
export function isStrictDerEcdsaSignature(signature: Uint8Array): boolean {
  const [tag, length] = signature;
  if (signature.length < 8 || tag !== 0x30 || length === undefined) return false;
  // Short-form length only (a P-256 signature is at most 72 bytes), covering every byte after it.
  if (length >= 0x80 || length !== signature.length - 2) return false;
  // A byte past the end reads as undefined, which no check below accepts.
  let at = 2;
  for (let i = 0; i < 2; i++) {
    if (signature[at] !== 0x02) return false;
    const size = signature[at + 1];
    if (size === undefined || size === 0 || size > MAX_INTEGER_BYTES || at + 2 + size > signature.length) return false;
    const first = signature[at + 2];
    // Positive (top bit clear) and minimal (a leading zero only when the next byte needs it).
    if (first === undefined || first & 0x80) return false;
    const next = signature[at + 3];
    if (first === 0 && (size === 1 || next === undefined || !(next & 0x80))) return false;
    at += 2 + size;
  }
  return at === signature.length;
}

/**
 * The raw r‖s (64 bytes) of a strict DER P-256 signature, as protocol v2 carries it; TypeError for
 * anything isStrictDerEcdsaSignature refuses or an integer wider than 32 bytes.
 */
export function rawEcdsaSignatureOfDer(signature: Uint8Array): Uint8Array {
  if (!isStrictDerEcdsaSignature(signature)) throw new TypeError('not a strict DER ECDSA signature');
  const out = new Uint8Array(64);
  let at = 2;
  for (let i = 0; i < 2; i++) {
    const size = signature[at + 1] ?? 0;
    let value = signature.subarray(at + 2, at + 2 + size);
    if (value[0] === 0) value = value.subarray(1);
    if (value.length > 32) throw new TypeError('an integer wider than P-256');
    out.set(value, i * 32 + 32 - value.length);
    at += 2 + size;
  }
  return out;
}
