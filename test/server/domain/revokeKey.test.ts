/**
 * How long a revoked key stays in the manifest, as a table: until its last credential could have
 * expired — at most MAX_CREDENTIAL_LIFETIME_SECONDS after the latest moment one could start (now, or
 * a shared key's future notBefore), never past the key's notAfter — plus the verifiers' skew.
 */
import { describe, expect, it } from 'vitest';
import { lastCredentialExpiry, revokeKey } from '../../../server/domain/revokeKey.js';
import type { DigitalKey } from '../../../server/domain/vehicleRecord.js';
import { MAX_CREDENTIAL_LIFETIME_SECONDS as MAX } from '../../../shared/credential/keyCredential.js';
import { vehicleFixture } from './vehicleFixture.js';

const NOW = 1_780_000_000;
const DAY = 86_400;

function key(window: { notBefore?: number; notAfter?: number } = {}, role: DigitalKey['role'] = 'shared'): DigitalKey {
  return { keyId: 'key-1', vin: 'WVWZZZ1JZXW000001', accountId: 'a', passkeyId: 'p', role, perms: ['unlock'], epoch: 3, createdAt: 0, ...window };
}

describe('lastCredentialExpiry', () => {
  it.each([
    { name: 'no window: now + the longest lifetime', window: {}, expected: NOW + MAX },
    { name: 'a window that started in the past: now + the longest lifetime', window: { notBefore: NOW - DAY }, expected: NOW + MAX },
    { name: 'a window starting in the future: from its start', window: { notBefore: NOW + 2 * DAY }, expected: NOW + 2 * DAY + MAX },
    { name: 'a window ending before the lifetime runs out: its end', window: { notAfter: NOW + DAY }, expected: NOW + DAY },
    { name: 'a window ending after the lifetime runs out: the lifetime', window: { notAfter: NOW + MAX + DAY }, expected: NOW + MAX },
    { name: 'a future window shorter than the lifetime: its end', window: { notBefore: NOW + DAY, notAfter: NOW + 3 * DAY }, expected: NOW + 3 * DAY },
    { name: 'a future window longer than the lifetime: start + lifetime', window: { notBefore: NOW + DAY, notAfter: NOW + DAY + MAX + 1 }, expected: NOW + DAY + MAX },
    { name: 'a window already over: its end (in the past)', window: { notBefore: NOW - 3 * DAY, notAfter: NOW - DAY }, expected: NOW - DAY },
  ])('$name', ({ window, expected }) => {
    expect(lastCredentialExpiry(key(window), NOW)).toBe(expected);
  });
});

describe('revokeKey', () => {
  it.each([
    { name: 'a shared key leaves the shared-key count', role: 'shared' as const, sharedKeysAfter: 1 },
    { name: 'a main key does not count as shared', role: 'main' as const, sharedKeysAfter: 2 },
  ])('$name; the seq grows and the key is listed until its last credential expires plus skew', ({ role, sharedKeysAfter }) => {
    const before = vehicleFixture({ sharedKeys: 2 });
    const after = revokeKey(before, key({ notAfter: NOW + DAY }, role), { nowSeconds: NOW, skewSeconds: 60 });
    expect(after).toMatchObject({ seq: before.seq + 1, epoch: before.epoch, sharedKeys: sharedKeysAfter, revoked: [{ keyId: 'key-1', until: NOW + DAY + 60 }] });
  });

  it('leaves entries whose credentials have all expired to retention (which drops their indexes with them), and lists a key once', () => {
    const before = vehicleFixture({
      sharedKeys: 1,
      revoked: [
        { keyId: 'expired', until: NOW },
        { keyId: 'live', until: NOW + 1 },
        { keyId: 'key-1', until: NOW + 5 },
      ],
    });
    const after = revokeKey(before, key(), { nowSeconds: NOW, skewSeconds: 60 });
    expect(after.revoked).toEqual([
      { keyId: 'expired', until: NOW },
      { keyId: 'live', until: NOW + 1 },
      { keyId: 'key-1', until: NOW + MAX + 60, holder: 'a', passkey: 'p' },
    ]);
  });
});
