/**
 * The memory adapter against the storage contract, on an injected clock (no sleeping for TTLs).
 */
import { ManualClock } from '../../../shared/clock.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';
import { describeStoreContract } from './storeContract.js';

describeStoreContract('memory', async () => {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  return { store, advance: (ms) => clock.advance(ms), teardown: () => store.close() };
});
