/**
 * A trail kept by calendar year (server/store/yearlyTrail.ts): one list per UTC year, dropped when
 * the configured number of full years has followed it; a trail written before in one list is read
 * as its oldest part and dropped no earlier than the first year written after the upgrade.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';
import { readTrail, trailAppend, utcYear, yearExpiresAt, type YearlyTrail } from '../../../server/store/yearlyTrail.js';

const trail: YearlyTrail = { keyOf: (year) => `sdk:{t}:trail:${year}`, legacyKey: 'sdk:{t}:trail', years: 2, keepLast: 3 };

function storeAt(iso: string) {
  const clock = new ManualClock(Date.parse(iso));
  return { clock, store: new MemoryStore({ clock }) };
}

describe('a trail kept by calendar year', () => {
  it('keeps an entry the full years after the year it was written, counted from 1 January (UTC) after', () => {
    expect(utcYear(Date.parse('2026-12-31T23:59:59.999Z'))).toBe(2026);
    expect(utcYear(Date.parse('2027-01-01T00:00:00Z'))).toBe(2027);
    expect(yearExpiresAt(2026, 2)).toBe(Date.parse('2029-01-01T00:00:00Z'));
    expect(trailAppend(trail, Date.parse('2026-03-01T10:00:00Z'), 'e')).toEqual({
      append: [{ key: 'sdk:{t}:trail:2026', value: 'e', keepLast: 3 }],
      expire: [
        { key: 'sdk:{t}:trail:2026', atMs: Date.parse('2029-01-01T00:00:00Z') },
        { key: 'sdk:{t}:trail', atMs: Date.parse('2029-01-01T00:00:00Z'), ifNone: true },
      ],
    });
  });

  it('reads the newest entries across years, the old single list first, and drops a year when its time has come', async () => {
    const { clock, store } = storeAt('2026-06-01T00:00:00Z');
    await store.commit({ append: [{ key: trail.legacyKey, value: 'before the upgrade' }] });
    await store.commit(trailAppend(trail, clock.now(), '2026 a'));
    clock.set(Date.parse('2027-02-01T00:00:00Z'));
    await store.commit(trailAppend(trail, clock.now(), '2027 a'));
    await store.commit(trailAppend(trail, clock.now(), '2027 b'));
    expect(await readTrail(store, trail, clock.now(), 10)).toEqual(['before the upgrade', '2026 a', '2027 a', '2027 b']);
    expect(await readTrail(store, trail, clock.now(), 2)).toEqual(['2027 a', '2027 b']);
    expect(await readTrail(store, trail, clock.now(), 0)).toEqual([]);

    // The last moment of 2028: 2026's entries have had their two full years.
    clock.set(Date.parse('2029-01-01T00:00:00Z') - 1);
    expect(await readTrail(store, trail, clock.now(), 10)).toEqual(['before the upgrade', '2026 a', '2027 a', '2027 b']);
    clock.set(Date.parse('2029-01-01T00:00:00Z'));
    expect(await readTrail(store, trail, clock.now(), 10)).toEqual(['2027 a', '2027 b']);
    expect(await store.range(trail.keyOf(2026), 0, -1)).toEqual([]);
    expect(await store.range(trail.legacyKey, 0, -1)).toEqual([]);
    clock.set(Date.parse('2030-01-01T00:00:00Z'));
    expect(await readTrail(store, trail, clock.now(), 10)).toEqual([]);
  });

  it('bounds each year by count, the newest staying', async () => {
    const { clock, store } = storeAt('2026-06-01T00:00:00Z');
    for (const value of ['1', '2', '3', '4']) await store.commit(trailAppend(trail, clock.now(), value));
    expect(await readTrail(store, trail, clock.now(), 10)).toEqual(['2', '3', '4']);
  });

  it('an entry written by a clock a little ahead (next year already) is read', async () => {
    const { clock, store } = storeAt('2026-12-31T23:59:59Z');
    await store.commit(trailAppend(trail, Date.parse('2027-01-01T00:00:01Z'), 'ahead'));
    expect(await readTrail(store, trail, clock.now(), 10)).toEqual(['ahead']);
  });
});
