/**
 * The due index of subscription work: one sorted set (its own hash tag) of "VIN|dueAt" members
 * scored by dueAt. The vehicle document is the truth; the index only says when to look. An entry is
 * added before any change that may make work due earlier (so a crash right after the commit loses
 * nothing) and after every change (the document's next due time); an entry found early or stale is
 * harmless: the worker looks, finds nothing due, and files the vehicle under its real time. A
 * member carries its time, so filing a vehicle anew never moves another instance's entry later.
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

  /** File a vehicle to be looked at at `atMs` (an instant in the past means now). */
  async add(vin: Vin, atMs: number): Promise<string> {
    const at = Math.max(0, Math.floor(atMs));
    const member = `${vin}|${at}`;
    await this.store.zadd(storeKeys.subscriptionsDue(), member, at);
    return member;
  }

  /** File a vehicle under its document's next due time, if it has one; returns the member filed (or null). */
  async sync(vehicle: VehicleRecord): Promise<string | null> {
    const at = nextDueAt(vehicle);
    return at === null ? null : this.add(vehicle.vin, at);
  }

  /** Entries due at `nowMs`, earliest first. */
  async due(nowMs: number, limit: number): Promise<DueEntry[]> {
    const entries = await this.store.zrangeByScore(storeKeys.subscriptionsDue(), nowMs, limit);
    const out: DueEntry[] = [];
    for (const { member, score } of entries) {
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
