/** Link profiles stay inside the Bluetooth spec's bounds (DESIGN.md §3: MTU 23…517, interval 7.5…4000 ms). */
import { describe, expect, it } from 'vitest';
import { LINK_PROFILES, validateLinkProfile, type LinkProfile } from '../../../ble-sim/air/linkProfile.js';

describe('validateLinkProfile', () => {
  it.each(Object.entries(LINK_PROFILES))('accepts the named profile %s', (_name, profile) => {
    expect(validateLinkProfile(profile)).toBe(profile);
  });

  it('names the default MTU 185 / 30 ms / 4 per event, the minimum MTU 23 / 7.5 ms / 1 and MTU 247 / 15 ms / 6', () => {
    expect(LINK_PROFILES.default).toEqual({ mtu: 185, intervalMs: 30, packetsPerEvent: 4 });
    expect(LINK_PROFILES.minMtu).toEqual({ mtu: 23, intervalMs: 7.5, packetsPerEvent: 1 });
    expect(LINK_PROFILES.dle).toEqual({ mtu: 247, intervalMs: 15, packetsPerEvent: 6 });
  });

  it.each<[string, LinkProfile]>([
    ['MTU below 23', { mtu: 22, intervalMs: 30 }],
    ['MTU above 517', { mtu: 518, intervalMs: 30 }],
    ['fractional MTU', { mtu: 100.5, intervalMs: 30 }],
    ['interval below 7.5 ms', { mtu: 185, intervalMs: 6.25 }],
    ['interval above 4 s', { mtu: 185, intervalMs: 4001.25 }],
    ['interval not a multiple of 1.25 ms', { mtu: 185, intervalMs: 31 }],
    ['NaN interval', { mtu: 185, intervalMs: Number.NaN }],
    ['loss rate of 1 (nothing ever arrives)', { mtu: 185, intervalMs: 30, lossRate: 1 }],
    ['negative loss rate', { mtu: 185, intervalMs: 30, lossRate: -0.1 }],
    ['RSSI above 20 dBm', { mtu: 185, intervalMs: 30, rssi: 30 }],
    ['no packet per event', { mtu: 185, intervalMs: 30, packetsPerEvent: 0 }],
    ['17 packets per event', { mtu: 185, intervalMs: 30, packetsPerEvent: 17 }],
    ['a fractional packet count', { mtu: 185, intervalMs: 30, packetsPerEvent: 1.5 }],
  ])('rejects %s', (_name, profile) => {
    expect(() => validateLinkProfile(profile)).toThrow(RangeError);
  });

  it.each<[string, LinkProfile]>([
    ['the bounds', { mtu: 23, intervalMs: 4000 }],
    ['MTU 517 at 7.5 ms', { mtu: 517, intervalMs: 7.5 }],
    ['90 % loss', { mtu: 23, intervalMs: 1.25 * 100, lossRate: 0.9 }],
  ])('accepts %s', (_name, profile) => {
    expect(validateLinkProfile(profile)).toBe(profile);
  });
});
