/**
 * The due index of subscription work: one sorted set (its own hash tag), one member per vehicle (its
 * VIN) scored by when to look at it. The vehicle document is the truth; the index only says when to
 * look. A vehicle is filed before any change that may make work due earlier (so a crash right after
 * the commit loses nothing) and after every change (the document's next due time); filing only ever
 * moves a vehicle earlier (Store.zlower), and an entry found early is harmless: the worker looks,
 * finds nothing due, and moves the vehicle to its real time — by compare-and-set on the score it
 * read (Store.zswap), so a filing made meanwhile (which always moves the score) is never undone.
 * Members written before as "VIN|dueAt", one per filing, still read; the worker replaces them.
 */
import type { Vin } from '../../shared/ids.js';
import { isVin } from '../../shared/ids.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';
import { nextDueAt } from './dueAction.js';

export interface DueEntry {
  member: string;
  vin: Vin;
  at: number;
}

export class DueIndex {
  constructor(private readonly store: Store) {}

  /** File a vehicle to be looked at no later than `atMs` (an instant in the past means now). */
  async add(vin: Vin, atMs: number): Promise<void> {
    await this.store.zlower(storeKeys.subscriptionsDue(), vin, Math.max(0, Math.floor(atMs)));
  }

  /** File a vehicle no later than its document's next due time, if it has one. */
  async sync(vehicle: VehicleRecord): Promise<void> {
    const at = nextDueAt(vehicle);
    if (at !== null) await this.add(vehicle.vin, at);
  }

  /**
   * The worker is done with `entry`: the vehicle moves to its document's next due time (`vehicle`
   * read after the work), or leaves the index if it has none — unless it was filed again since the
   * entry was read (then it stays where that filing put it, and is looked at again). An entry of
   * the old shape is replaced: the vehicle is filed first, then the old entry goes.
   */
  async settle(entry: DueEntry, vehicle: VehicleRecord | null): Promise<void> {
    const next = vehicle ? nextDueAt(vehicle) : null;
    if (entry.member === entry.vin) {
      if (next !== entry.at) await this.store.zswap(storeKeys.subscriptionsDue(), entry.vin, entry.at, next === null ? null : Math.max(0, Math.floor(next)));
      return;
    }
    if (next !== null) await this.add(entry.vin, next);
    await this.remove(entry.member);
  }

  /** Entries due at `nowMs`, earliest first. */
  async due(nowMs: number, limit: number): Promise<DueEntry[]> {
    const entries = await this.store.zrangeByScore(storeKeys.subscriptionsDue(), nowMs, limit);
    const out: DueEntry[] = [];
    for (const { member, score } of entries) {
      // A VIN, or "VIN|dueAt" as written before.
      const [vin] = member.split('|');
      if (isVin(vin)) out.push({ member, vin, at: score });
      else await this.remove(member);
    }
    return out;
  }

  async remove(member: string): Promise<void> {
    await this.store.zrem(storeKeys.subscriptionsDue(), member);
  }
}
