/**
 * A trail kept by calendar year: an append-only list per year (UTC), which expires once `years` full
 * calendar years have passed after it — counted the way record-keeping law counts, from 1 January of
 * the year after. That is retention by age with no sweep to run or to crash: the commit that appends
 * an entry gives its year's list that fixed expiry, and Redis (or the memory store, on its clock)
 * drops the list then. The vehicles' and accounts' audit trails (R13) and the payment ledger use it.
 *
 * A trail written before (one list, `legacyKey`) is read as the oldest part. The first append after
 * the upgrade gives it the expiry of that append's year, once: it holds nothing newer, so nothing
 * in it goes before its time.
 */
import type { Store, StoreTransaction } from './store.js';

export interface YearlyTrail {
  /** The list of one calendar year. */
  keyOf(year: number): string;
  /** The single list the trail was kept in before (read, never appended to). */
  legacyKey: string;
  /** Full calendar years an entry is kept after the year it was written. */
  years: number;
  /** A bound on one year's list: its newest that many entries stay. */
  keepLast: number;
}

/** The calendar year (UTC) of a time in epoch ms. */
export function utcYear(atMs: number): number {
  return new Date(atMs).getUTCFullYear();
}

/** When the list of `year` expires: 1 January (UTC) after `years` full years have followed it. */
export function yearExpiresAt(year: number, years: number): number {
  return Date.UTC(year + years + 1, 0, 1);
}

/** The writes that append `value`, written at `atMs`, to its year's list: for the commit of the change it records. */
export function trailAppend(trail: YearlyTrail, atMs: number, value: string): Required<Pick<StoreTransaction, 'append' | 'expire'>> {
  const year = utcYear(atMs);
  const key = trail.keyOf(year);
  const atMsExpiry = yearExpiresAt(year, trail.years);
  return {
    append: [{ key, value, keepLast: trail.keepLast }],
    expire: [
      { key, atMs: atMsExpiry },
      { key: trail.legacyKey, atMs: atMsExpiry, ifNone: true },
    ],
  };
}

/**
 * The newest `limit` entries of the trail, oldest first: the lists of every year that can still
 * hold entries at `nowMs` (and the next, for a clock a little behind the writer's), read at once.
 */
export async function readTrail(store: Store, trail: YearlyTrail, nowMs: number, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const thisYear = utcYear(nowMs);
  const keys = [trail.legacyKey];
  for (let year = thisYear - trail.years; year <= thisYear + 1; year++) keys.push(trail.keyOf(year));
  const lists = await Promise.all(keys.map((key) => store.range(key, -limit, -1)));
  return lists.flat().slice(-limit);
}
