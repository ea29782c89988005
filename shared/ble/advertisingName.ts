/**
 * The car's private advertising (protocol.md, Advertising): what it broadcasts changes every
 * rotation period and is derived from the vehicle's advertising key (linkKeys.ts), so only a key
 * holder can tell that an advertisement is this car's, and a stranger cannot link two captures from
 * different periods. Both the local name and the radio address rotate: either one kept would be as
 * linkable as the old VIN-derived name.
 *
 * Period p = floor(carClockMs / ADVERTISING_PERIOD_MS). For period p:
 * - name = "S" + hex(HMAC-SHA256(advertisingKey, "name" ‖ uint32be(p)))[0..16] + "D" (18 characters,
 *   64 bits of MAC: a stranger's chance to hit a car's name is 2^-64);
 * - address = the first 6 bytes of HMAC-SHA256(advertisingKey, "address" ‖ uint32be(p)) as a
 *   non-resolvable private address (Core 5.3 Vol 6 Part B §1.3.2.2: the two top bits 00, the other 46
 *   neither all 0 nor all 1). Nothing resolves the address: the phone recognises the car by its name.
 *
 * The phone resolves a name against periods p-1, p and p+1 of its own clock, so a phone clock up
 * to 15 minutes off the car's never hides the car.
 *
 * @example
 * const name = advertisingName(advertisingKey, car.now());        // what the car advertises
 * resolveAdvertisingName(name, advertisingKey, Date.now());        // true on the key holder's phone
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long the car keeps one name and address: 15 minutes. */
export const ADVERTISING_PERIOD_MS = 900_000;

const ADVERTISING_KEY_BYTES = 32;
const NAME_MAC_HEX_DIGITS = 16;

/** The rotation period a time falls in. */
export function advertisingPeriod(nowMs: number): number {
  return Math.floor(nowMs / ADVERTISING_PERIOD_MS);
}

/** The car's local name in the period of `nowMs`. */
export function advertisingName(advertisingKey: Uint8Array, nowMs: number): string {
  return nameOfPeriod(advertisingKey, advertisingPeriod(nowMs));
}

/** The car's radio address in the period of `nowMs`: a non-resolvable private address, `0x:…` hex pairs. */
export function advertisingAddress(advertisingKey: Uint8Array, nowMs: number): string {
  const bytes = periodMac(advertisingKey, 'address', advertisingPeriod(nowMs)).subarray(0, 6);
  bytes[0] = bytes[0]! & 0x3f;
  // The 46 random bits may be neither all 0 nor all 1 (a 2^-45 chance): flip the lowest bit then.
  const rest = bytes.subarray(1);
  const allZero = bytes[0] === 0 && rest.every((b) => b === 0);
  const allOne = bytes[0] === 0x3f && rest.every((b) => b === 0xff);
  if (allZero || allOne) bytes[5] = bytes[5]! ^ 1;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Whether an advertised local name is this car's, in the period of `nowMs` or the one before or
 * after (clock skew between phone and car). Compared in constant time.
 */
export function resolveAdvertisingName(name: string | undefined, advertisingKey: Uint8Array, nowMs: number): boolean {
  return matchesOneOf(name, namesAround(advertisingKey, advertisingPeriod(nowMs)));
}

/**
 * `resolveAdvertisingName` for a scan, which hears many advertisements: the three names are worked
 * out once per period of the phone's clock, not for every advertisement heard.
 */
export function advertisingNameMatcher(advertisingKey: Uint8Array, now: () => number): (name: string | undefined) => boolean {
  let period = -1;
  let names: Buffer[] = [];
  return (name) => {
    const current = advertisingPeriod(now());
    if (current !== period) [period, names] = [current, namesAround(advertisingKey, current)];
    return matchesOneOf(name, names);
  };
}

/** The names of periods p-1, p and p+1 (those that exist). */
function namesAround(advertisingKey: Uint8Array, period: number): Buffer[] {
  return [period - 1, period, period + 1].filter((q) => q >= 0).map((q) => Buffer.from(nameOfPeriod(advertisingKey, q), 'utf8'));
}

function matchesOneOf(name: string | undefined, names: Buffer[]): boolean {
  if (name === undefined) return false;
  const given = Buffer.from(name, 'utf8');
  let found = false;
  // Every candidate is compared, so the time taken does not say which period matched.
  for (const expected of names) if (given.length === expected.length && timingSafeEqual(given, expected)) found = true;
  return found;
}

function nameOfPeriod(advertisingKey: Uint8Array, period: number): string {
  return `S${Buffer.from(periodMac(advertisingKey, 'name', period)).toString('hex').slice(0, NAME_MAC_HEX_DIGITS)}D`;
}

/** HMAC-SHA256(advertisingKey, label ‖ uint32be(period)). */
function periodMac(advertisingKey: Uint8Array, label: 'name' | 'address', period: number): Uint8Array {
  if (advertisingKey.length !== ADVERTISING_KEY_BYTES) throw new RangeError(`an advertising key is ${ADVERTISING_KEY_BYTES} bytes, not ${advertisingKey.length}`);
  if (!Number.isInteger(period) || period < 0 || period > 0xffffffff) throw new RangeError(`no advertising period ${period}`);
  const p = Buffer.alloc(4);
  p.writeUInt32BE(period);
  return new Uint8Array(createHmac('sha256', advertisingKey).update(label, 'utf8').update(p).digest());
}
