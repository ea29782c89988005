/** Challenge nonces: 16 bytes, single-use, bound to one connection, 30 s of vehicle time (DESIGN.md §3). */
import { describe, expect, it } from 'vitest';
import { NONCE_TTL_MS, NonceStore } from '../../../ble-sim/vehicle/nonceStore.js';

describe('NonceStore', () => {
  it('issues 16 random bytes and lets the connection consume them exactly once', () => {
    const store = new NonceStore();
    const nonce = store.issue(1, 0);
    expect(nonce).toHaveLength(16);
    expect(store.take(1, 0)).toEqual(nonce);
    expect(store.take(1, 0)).toBeNull();
  });

  it('binds a nonce to its connection', () => {
    const store = new NonceStore();
    const nonce = store.issue(1, 0);
    expect(store.take(2, 0)).toBeNull();
    expect(store.take(1, 0)).toEqual(nonce);
  });

  it('replaces the nonce when the connection reads a new challenge', () => {
    const store = new NonceStore();
    const first = store.issue(1, 0);
    const second = store.issue(1, 0);
    expect(second).not.toEqual(first);
    expect(store.take(1, 0)).toEqual(second);
  });

  it.each([
    [0, true],
    [NONCE_TTL_MS - 1, true],
    [NONCE_TTL_MS, true],
    [NONCE_TTL_MS + 1, false],
    [3_600_000, false],
  ])('a nonce taken %i ms after issue is valid: %s (and consumed either way)', (age, valid) => {
    const store = new NonceStore();
    store.issue(7, 1000);
    expect(store.take(7, 1000 + age) !== null).toBe(valid);
    expect(store.take(7, 1000)).toBeNull();
  });

  it('forgets the nonce of a closed connection, and uses the injected randomness', () => {
    const store = new NonceStore({ random: (n) => new Uint8Array(n).fill(9) });
    expect(store.issue(3, 0)).toEqual(new Uint8Array(16).fill(9));
    store.drop(3);
    expect(store.take(3, 0)).toBeNull();
  });

  it.each([
    ['vehicle clock', 31_000, 0, false],
    ['link time (a slow link)', 0, 31_000, false],
    ['neither', 29_000, 29_000, true],
  ])('expires after 30 s on either timeline: %s', (_name, clockAge, linkAge, valid) => {
    const store = new NonceStore();
    store.issue(1, 1000, 500);
    expect(store.take(1, 1000 + clockAge, 500 + linkAge) !== null).toBe(valid);
  });
});
