/** Applying state manifests: seq only grows, the epoch never goes down, iat moves trusted time forward. */
import { describe, expect, it } from 'vitest';
import { initialVehicleState, withManifest } from '../../../ble-sim/vehicle/vehicleState.js';
import type { StateManifestClaims } from '../../../shared/credential/stateManifest.js';
import { START_MS, VIN } from '../../support/bleFixtures.js';

const manifest = (m: Partial<StateManifestClaims>): StateManifestClaims => ({ iss: 'i', aud: VIN, iat: START_MS / 1000, seq: 1, ep: 0, revoked: [], ...m });

describe('withManifest', () => {
  const base = { ...initialVehicleState(VIN, START_MS), seq: 5, ep: 2, revoked: ['aaaaaaaaaaaaaaaaaaaa'] };

  it.each([
    ['a lower seq', manifest({ seq: 4, ep: 9, revoked: [] })],
    ['the same seq', manifest({ seq: 5, ep: 9, revoked: [] })],
  ])('ignores a manifest with %s', (_name, m) => {
    expect(withManifest(base, m)).toBe(base);
  });

  it('applies a newer one: seq, revoked list and trusted time from it', () => {
    const next = withManifest(base, manifest({ seq: 6, ep: 3, revoked: ['bbbbbbbbbbbbbbbbbbbb', 'bbbbbbbbbbbbbbbbbbbb'], iat: START_MS / 1000 + 600 }));
    expect(next).toMatchObject({ seq: 6, ep: 3, revoked: ['bbbbbbbbbbbbbbbbbbbb'], highestTrustedMs: START_MS + 600_000 });
    expect(base.seq).toBe(5);
  });

  it('never lowers the epoch, even for a newer seq', () => {
    expect(withManifest(base, manifest({ seq: 6, ep: 1 })).ep).toBe(2);
  });

  it('starts locked, engine off, with no manifest', () => {
    expect(initialVehicleState(VIN, START_MS)).toMatchObject({ seq: 0, ep: 0, revoked: [], counters: {}, actuators: { locked: true, engine: false } });
  });
});
