/** The injected clock: tests move time by hand, JWT claims use whole seconds. */
import { describe, expect, it } from 'vitest';
import { ManualClock, epochSeconds } from '../../shared/clock.js';

describe('ManualClock', () => {
  it('starts at 2026-01-01 by default and moves only when told', () => {
    const clock = new ManualClock();
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1));
    clock.advance(1500);
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1) + 1500);
    clock.set(42);
    expect(clock.now()).toBe(42);
  });

  it.each([[0, 0], [999, 0], [1000, 1], [1999, 1], [Date.UTC(2026, 0, 1) + 500, Date.UTC(2026, 0, 1) / 1000]])(
    'epochSeconds at %i ms is %i (floored)',
    (ms, seconds) => {
      expect(epochSeconds(new ManualClock(ms))).toBe(seconds);
    },
  );
});
