/** The store monitor: one line when the store goes away (naming it), none while it stays away, one when it is back. */
import { describe, expect, it } from 'vitest';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { StoreMonitor } from '../../../server/store/storeMonitor.js';

function fakeStore() {
  const store = {
    kind: 'redis',
    location: 'redis 10.0.0.5:6379',
    up: false,
    pings: 0,
    async ping() {
      store.pings++;
      if (!store.up) throw new DigitalKeyError('STORE_UNAVAILABLE');
    },
  };
  return store;
}

function recordingLogger() {
  const lines: Array<{ level: string; msg: string; data: Record<string, unknown> }> = [];
  const at = (level: string) => (data: Record<string, unknown>, msg: string) => void lines.push({ level, msg, data });
  return { lines, logger: { info: at('info'), error: at('error') } as never };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('StoreMonitor', () => {
  it('retries with backoff while the store is away, logs it once with host and port, and logs its return once', async () => {
    const store = fakeStore();
    const { lines, logger } = recordingLogger();
    let reachable = 0;
    const monitor = new StoreMonitor({ store, logger, minDelayMs: 1, maxDelayMs: 4, intervalMs: 1, reminderMs: 3_600_000, onReachable: () => reachable++ });
    await monitor.start();
    expect(monitor.reachable).toBe(false);
    await until(() => store.pings >= 10);
    expect(lines).toEqual([{ level: 'error', msg: expect.stringContaining('store unreachable: redis 10.0.0.5:6379'), data: expect.objectContaining({ store: 'redis 10.0.0.5:6379' }) }]);

    store.up = true;
    await until(() => monitor.reachable);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining('store unreachable'), 'store reachable again: redis 10.0.0.5:6379']);
    expect(reachable).toBe(1);

    store.up = false;
    await until(() => !monitor.reachable);
    store.up = true;
    await until(() => monitor.reachable);
    monitor.stop();
    expect(lines.map((l) => l.level)).toEqual(['error', 'info', 'error', 'info']);
    expect(reachable).toBe(2);
  });
});
