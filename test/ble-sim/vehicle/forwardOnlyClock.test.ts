/** The vehicle's clock only moves forward (DESIGN.md §3): rolling it back never revives an expired credential. */
import { describe, expect, it } from 'vitest';
import { ForwardOnlyClock } from '../../../ble-sim/vehicle/forwardOnlyClock.js';
import { ManualClock } from '../../../shared/clock.js';

describe('ForwardOnlyClock', () => {
  it.each([
    // [source ms, persisted highest ms, expected now]
    [1000, 0, 1000],
    [1000, 5000, 5000],
    [5000, 5000, 5000],
  ])('source %i with highest %i reads %i', (source, highest, expected) => {
    expect(new ForwardOnlyClock(new ManualClock(source), highest).now()).toBe(expected);
  });

  it('keeps the highest time it has read when the source is rolled back', () => {
    const source = new ManualClock(10_000);
    const clock = new ForwardOnlyClock(source);
    source.advance(50_000);
    expect(clock.now()).toBe(60_000);
    source.set(0);
    expect(clock.now()).toBe(60_000);
    expect(clock.highestMs).toBe(60_000);
    source.set(70_000);
    expect(clock.now()).toBe(70_000);
  });

  it('moves forward to a trusted time it observes (a manifest iat), never backward', () => {
    const clock = new ForwardOnlyClock(new ManualClock(1000));
    clock.observe(9000);
    expect(clock.now()).toBe(9000);
    clock.observe(2000);
    expect(clock.now()).toBe(9000);
  });
});
