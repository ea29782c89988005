/** The vehicle state file: atomic writes, and no start from a file that cannot be trusted. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialVehicleState } from '../../../ble-sim/vehicle/vehicleState.js';
import { loadVehicleState, saveVehicleState } from '../../../ble-sim/vehicle/vehicleStateFile.js';
import { OTHER_VIN, START_MS, VIN } from '../../support/bleFixtures.js';
import { revokedKeyDigestHex } from '../../../shared/credential/revokedKeyDigest.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdk-state-'));
  file = join(dir, 'state.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('vehicle state file', () => {
  it('has no state before the first save', async () => {
    expect(await loadVehicleState(file, VIN)).toBeNull();
  });

  it('round-trips the state and leaves no temporary file behind', async () => {
    const state = { ...initialVehicleState(VIN, START_MS), seq: 3, ep: 1, revoked: [revokedKeyDigestHex('aaaaaaaaaaaaaaaaaaaa')], counters: { abc: 7 } };
    await saveVehicleState(file, state);
    await saveVehicleState(file, { ...state, seq: 4 });
    expect(await loadVehicleState(file, VIN)).toEqual({ ...state, seq: 4 });
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('a state file from before manifests named keys by digest keeps its revocations: key ids are read as their digests', async () => {
    const old = { ...initialVehicleState(VIN, START_MS), seq: 3, revoked: ['aaaaaaaaaaaaaaaaaaaa', '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41'] };
    await writeFile(file, JSON.stringify(old));
    expect((await loadVehicleState(file, VIN))?.revoked).toEqual([revokedKeyDigestHex('aaaaaaaaaaaaaaaaaaaa'), revokedKeyDigestHex('3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41')]);
  });

  it('concurrent saves leave one whole state, never a torn file', async () => {
    const states = Array.from({ length: 20 }, (_, i) => ({ ...initialVehicleState(VIN, START_MS), seq: i }));
    await Promise.all(states.map((s) => saveVehicleState(file, s)));
    const loaded = await loadVehicleState(file, VIN);
    expect(states).toContainEqual(loaded);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it.each([
    ['not JSON', '{"seq": 3,'],
    ['JSON of the wrong shape', '{"seq": "3"}'],
    ['a negative epoch', JSON.stringify({ ...initialVehicleState(VIN, START_MS), ep: -1 })],
  ])('refuses to start from a file that is %s (a blank state would forget revocations)', async (_name, content) => {
    await writeFile(file, content);
    await expect(loadVehicleState(file, VIN)).rejects.toThrow(/refusing to start/);
  });

  it("refuses another vehicle's file", async () => {
    await saveVehicleState(file, initialVehicleState(OTHER_VIN, START_MS));
    await expect(loadVehicleState(file, VIN)).rejects.toThrow(/belongs to/);
    expect(JSON.parse(await readFile(file, 'utf8')).vin).toBe(OTHER_VIN);
  });
});
