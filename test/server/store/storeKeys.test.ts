/**
 * DESIGN.md §2/§6: no user input can change a storage key name or a Redis Cluster hash slot. Every
 * key builder refuses an identifier that is not a VIN or an id, and every key of one vehicle shares
 * that vehicle's hash tag.
 */
import { describe, expect, it } from 'vitest';
import { hashTagOf } from '../../../server/store/store.js';
import { storeKeys } from '../../../server/store/storeKeys.js';

const VIN = '1HGCM82633A004352';
const HOSTILE = ['', '}{x', '{other}', 'a:b', 'sdk:{X}:vehicle', '1HGCM82633A00435}', 'AAAAAAAAAAAAAAAA AAAA', 'AAAAAAAAAAAAAAA\n', '../../etc/passwd'];

describe('storage key names', () => {
  it.each(HOSTILE)('refuses %j as a VIN or an id in any key', (value) => {
    expect(() => storeKeys.vehicle(value)).toThrow(TypeError);
    expect(() => storeKeys.vehicleKeys(value, 0)).toThrow(TypeError);
    expect(() => storeKeys.keyVehicle(value)).toThrow(TypeError);
    expect(() => storeKeys.account(value)).toThrow(TypeError);
    expect(() => storeKeys.passkey(value)).toThrow(TypeError);
    expect(() => storeKeys.challenge(value)).toThrow(TypeError);
    expect(() => storeKeys.invitation(value)).toThrow(TypeError);
    expect(() => storeKeys.vehicleTokenUse(VIN, value)).toThrow(TypeError);
  });

  it('puts every record of one vehicle under that vehicle\'s hash tag', () => {
    const keys = [storeKeys.vehicle(VIN), storeKeys.vehicleKeys(VIN, 3), storeKeys.vehiclePasskeyKeys(VIN, 3), storeKeys.vehicleAudit(VIN), storeKeys.vehicleTokenUse(VIN, '3b241101-e2bb-4255-8caf-4136c566a962')];
    expect(new Set(keys.map(hashTagOf))).toEqual(new Set([VIN]));
  });

  it('hashes e-mail addresses, so no address shapes a key', () => {
    const key = storeKeys.accountByEmail('{evil}:x@example.com');
    expect(key).toMatch(/^sdk:\{e:[A-Za-z0-9_-]{43}\}:account$/);
    expect(storeKeys.accountByEmail(' Eva@Example.com ')).toBe(storeKeys.accountByEmail('eva@example.com'));
  });
});
