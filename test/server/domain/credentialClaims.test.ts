/**
 * A credential's validity as a table (R8, R3): CREDENTIAL_TTL from now, clipped to a shared key's
 * window (nbf no earlier than notBefore, exp no later than notAfter); a key past its window, stale
 * in epoch or revoked gets no credential, nor does a main key whose holder is no longer the main user (R4).
 */
import { describe, expect, it } from 'vitest';
import { credentialClaims } from '../../../server/domain/credentialClaims.js';
import type { DigitalKey } from '../../../server/domain/vehicleRecord.js';
import { COMMANDS } from '../../../shared/commands.js';
import type { ErrorCode } from '../../../shared/errors/errorCode.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';
import { vehicleFixture } from './vehicleFixture.js';

const NOW = 1_780_000_000;
const TTL = 24 * 3600;
const HOUR = 3600;
const vehicle = vehicleFixture({ epoch: 3, revoked: [{ keyId: 'revoked-key', until: NOW + TTL }], mainUser: { accountId: 'a', since: NOW - HOUR, method: 'odometer', termsAcceptedAt: NOW - HOUR } });

function key(overrides: Partial<DigitalKey> = {}): DigitalKey {
  return { keyId: 'key-1', vin: vehicle.vin, accountId: 'a', passkeyId: 'p', role: 'shared', perms: ['unlock', 'lock'], epoch: 3, createdAt: 0, ...overrides };
}

const claimsOf = (k: DigitalKey) =>
  credentialClaims({ issuer: 'https://issuer.test', vehicle, key: k, passkey: { publicKey: 'pk' }, nowSeconds: NOW, ttlSeconds: TTL });

describe('credentialClaims: the validity window', () => {
  it.each([
    { name: 'no window: now … now + TTL', window: {}, nbf: NOW, exp: NOW + TTL },
    { name: 'a window that started earlier and ends later: now … now + TTL', window: { notBefore: NOW - HOUR, notAfter: NOW + 2 * TTL }, nbf: NOW, exp: NOW + TTL },
    { name: 'a window ending within the TTL: exp clipped to notAfter', window: { notAfter: NOW + HOUR }, nbf: NOW, exp: NOW + HOUR },
    { name: 'a window starting later: nbf is notBefore, exp a TTL after it', window: { notBefore: NOW + HOUR }, nbf: NOW + HOUR, exp: NOW + HOUR + TTL },
    { name: 'a later window shorter than the TTL: exactly the window', window: { notBefore: NOW + HOUR, notAfter: NOW + 3 * HOUR }, nbf: NOW + HOUR, exp: NOW + 3 * HOUR },
    { name: 'a window ending one second from now: one second', window: { notAfter: NOW + 1 }, nbf: NOW, exp: NOW + 1 },
  ])('$name', ({ window, nbf, exp }) => {
    expect(claimsOf(key(window))).toMatchObject({ iat: NOW, nbf, exp, sub: 'key-1', aud: vehicle.vin, ep: 3, perms: ['unlock', 'lock'], role: 'shared' });
  });

  it.each<{ name: string; key: Partial<DigitalKey>; code: ErrorCode }>([
    { name: 'a window that ends now', key: { notAfter: NOW }, code: 'EXPIRED' },
    { name: 'a window that ended an hour ago', key: { notBefore: NOW - 2 * HOUR, notAfter: NOW - HOUR }, code: 'EXPIRED' },
    { name: 'a key of an earlier epoch (wiped)', key: { epoch: 2 }, code: 'EPOCH_STALE' },
    { name: 'a revoked key', key: { keyId: 'revoked-key' }, code: 'REVOKED' },
    { name: "R4: a main key whose holder is no longer the vehicle's main user", key: { role: 'main', accountId: 'former-main-user' }, code: 'REVOKED' },
  ])('no credential for $name ($code)', ({ key: overrides, code }) => {
    expectThrowsWithCode(() => claimsOf(key(overrides)), code);
  });

  it('a main key carries every command, whatever its stored perms', () => {
    expect(claimsOf(key({ role: 'main', perms: ['unlock'] })).perms).toEqual([...COMMANDS]);
  });
});
