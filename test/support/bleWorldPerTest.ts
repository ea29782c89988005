/**
 * One BLE world per test (see bleFixtures.ts), cleaned up after each test. Call it once at the top of
 * a test file: it registers the afterEach hook and returns the function that makes the world.
 */
import { afterEach } from 'vitest';
import { createBleWorld, type BleWorld } from './bleFixtures.js';

export function bleWorldPerTest(): (opts?: Parameters<typeof createBleWorld>[0]) => Promise<BleWorld> {
  let world: BleWorld | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
  });
  return async (opts) => {
    await world?.cleanup();
    world = await createBleWorld(opts);
    return world;
  };
}
