/**
 * Replay protection of the vehicle sync API: each request token of a vehicle (its `jti`) is good
 * for one request. The ids are kept until a little past the token's expiry, when the token is
 * refused anyway, so the set is bounded by the tokens still alive.
 */
import type { Vin } from '../../shared/ids.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

/** Mark a token used; false when it had been used already (on any instance). */
export async function useVehicleTokenOnce(store: Store, token: { vin: Vin; jti: string; exp: number; nowSeconds: number }): Promise<boolean> {
  const ttlMs = Math.max(1, token.exp - token.nowSeconds + 10) * 1000;
  return store.set(storeKeys.vehicleTokenUse(token.vin, token.jti), '1', { ttlMs, ifAbsent: true });
}
