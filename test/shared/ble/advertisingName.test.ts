/**
 * The car's private advertising: its name and address per 15-minute period, derived from the
 * advertising key. The vectors were computed independently (Python hmac, hashlib, struct) for the
 * advertising key of link secret 00 01 … 1f (linkKeys.test.ts) at 2026-01-01T00:00:00Z.
 */
import { describe, expect, it } from 'vitest';
import { ADVERTISING_PERIOD_MS, advertisingAddress, advertisingName, advertisingNameMatcher, advertisingPeriod, resolveAdvertisingName } from '../../../shared/ble/advertisingName.js';
import { deriveAdvertisingKey } from '../../../shared/ble/linkKeys.js';

const KEY = deriveAdvertisingKey(Uint8Array.from({ length: 32 }, (_, i) => i));
const OTHER_KEY = deriveAdvertisingKey(new Uint8Array(32).fill(0xee));
/** 2026-01-01T00:00:00Z: the first millisecond of period 1963584. */
const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

describe('advertising name and address', () => {
  it('a period is 15 minutes', () => {
    expect(ADVERTISING_PERIOD_MS).toBe(15 * MINUTE);
    expect([advertisingPeriod(T0 - 1), advertisingPeriod(T0), advertisingPeriod(T0 + ADVERTISING_PERIOD_MS - 1), advertisingPeriod(T0 + ADVERTISING_PERIOD_MS)]).toEqual([1963583, 1963584, 1963584, 1963585]);
  });

  it.each([
    ['period 1963584, its first ms', T0, 'S945e3145c78a44afD', '21:4d:fe:3c:52:ee'],
    ['period 1963584, its last ms', T0 + ADVERTISING_PERIOD_MS - 1, 'S945e3145c78a44afD', '21:4d:fe:3c:52:ee'],
    ['period 1963585', T0 + ADVERTISING_PERIOD_MS, 'S2a6c7bcf99a47e65D', '1d:71:b1:ae:81:f9'],
  ])('vector, %s: "S" + hex(HMAC(key, "name" ‖ uint32be(p)))[0..16] + "D", address from HMAC(key, "address" ‖ uint32be(p))', (_name, nowMs, name, address) => {
    expect(advertisingName(KEY, nowMs)).toBe(name);
    expect(advertisingAddress(KEY, nowMs)).toBe(address);
  });

  it('the address is a non-resolvable private address: top two bits 00, six bytes', () => {
    for (let i = 0; i < 200; i++) {
      const address = advertisingAddress(KEY, T0 + i * ADVERTISING_PERIOD_MS);
      expect(address).toMatch(/^[0-3][0-9a-f](:[0-9a-f]{2}){5}$/);
      expect(address).not.toMatch(/^00(:00){5}$|^3f(:ff){5}$/);
    }
  });

  it('another key gives another name and address in the same period', () => {
    expect(advertisingName(OTHER_KEY, T0)).not.toBe(advertisingName(KEY, T0));
    expect(advertisingAddress(OTHER_KEY, T0)).not.toBe(advertisingAddress(KEY, T0));
  });

  it.each([
    ['the same period', 0, true],
    ['a phone 14 minutes behind, in the period before', -14 * MINUTE, true],
    ['a phone 14 minutes ahead, in the period after', 14 * MINUTE, true],
    ['a phone 21 minutes behind, two periods before', -21 * MINUTE, false],
    ['a phone 25 minutes ahead, two periods after', 25 * MINUTE, false],
  ])('resolves a name seen by %s: %s', (_name, phoneOffsetMs, resolves) => {
    // The car is 5 minutes into period 1963584.
    const carNowMs = T0 + 5 * MINUTE;
    expect(resolveAdvertisingName(advertisingName(KEY, carNowMs), KEY, carNowMs + phoneOffsetMs)).toBe(resolves);
  });

  it("a scan's matcher answers as resolveAdvertisingName does, following the phone's clock from period to period", () => {
    let phoneNow = T0 + 5 * MINUTE;
    const matches = advertisingNameMatcher(KEY, () => phoneNow);
    const heard = [-2, -1, 0, 1, 2].map((p) => advertisingName(KEY, T0 + p * ADVERTISING_PERIOD_MS));
    for (const step of [0, 1, 1, 2, 0]) {
      phoneNow += step * ADVERTISING_PERIOD_MS;
      for (const name of [...heard, advertisingName(OTHER_KEY, phoneNow), undefined, '']) expect(matches(name)).toBe(resolveAdvertisingName(name, KEY, phoneNow));
    }
    expect(matches(heard[0])).toBe(false);
    phoneNow = T0 - ADVERTISING_PERIOD_MS;
    expect(matches(heard[0])).toBe(true);
  });

  it('does not resolve another car\'s name, a name cut short or no name', () => {
    expect(resolveAdvertisingName(advertisingName(OTHER_KEY, T0), KEY, T0)).toBe(false);
    expect(resolveAdvertisingName(advertisingName(KEY, T0).slice(0, 17), KEY, T0)).toBe(false);
    expect(resolveAdvertisingName(undefined, KEY, T0)).toBe(false);
    expect(resolveAdvertisingName('', KEY, T0)).toBe(false);
  });

  it('refuses an advertising key of the wrong length', () => {
    expect(() => advertisingName(new Uint8Array(16), T0)).toThrow(RangeError);
  });
});
