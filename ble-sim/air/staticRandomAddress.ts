/**
 * BLE static random device addresses (Bluetooth Core 5.3, Vol 6, Part B, §1.3.2.1): six random
 * bytes with the two top bits of the most significant byte set, written as `c7:12:…` hex pairs.
 */

/** The static random address made of these six bytes (their top two bits are forced to 1). */
export function staticRandomAddress(bytes: Uint8Array): string {
  if (bytes.length !== 6) throw new RangeError(`a BLE address is 6 bytes, not ${bytes.length}`);
  return [...bytes].map((b, i) => (i === 0 ? b | 0xc0 : b).toString(16).padStart(2, '0')).join(':');
}
