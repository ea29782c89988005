/**
 * The dealer-issued recovery code's format (R15): 20 Crockford base32 characters (100 random bits)
 * in groups of four, e.g. `7K3Q-M9TX-2HBD-W4RZ-EN6P` — short enough to read out at a counter or on
 * the phone, far too many to guess (and guesses are rate limited). Input is forgiving the way
 * Crockford base32 is: case, dashes and spaces are ignored, O reads as 0 and I/L as 1.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const RECOVERY_CODE_CHARS = 20;

/** A code from 20 random bytes (each gives 5 bits: 256 is a multiple of 32, so no bias). */
export function formatRecoveryCode(random: Uint8Array): string {
  if (random.length < RECOVERY_CODE_CHARS) throw new RangeError(`a recovery code needs ${RECOVERY_CODE_CHARS} random bytes`);
  let code = '';
  for (const [i, byte] of random.subarray(0, RECOVERY_CODE_CHARS).entries()) {
    if (i > 0 && i % 4 === 0) code += '-';
    code += ALPHABET.charAt(byte & 31);
  }
  return code;
}

/** The canonical form of a typed code (20 characters, no dashes), or null if it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  const canonical = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (canonical.length !== RECOVERY_CODE_CHARS) return null;
  for (const c of canonical) if (!ALPHABET.includes(c)) return null;
  return canonical;
}
