/**
 * Reads and changes vehicles in the store. A change is a pure function of the current vehicle
 * document that returns the next document plus any other records to write; the repository commits
 * it atomically, expecting the document it read, and retries on a concurrent change — so every rule
 * that touches several records of one vehicle is one atomic step, on a single Redis or a cluster.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { KeyId, Vin } from '../../shared/ids.js';
import type { DigitalKey, VehicleRecord } from '../domain/vehicleRecord.js';
import type { Store, StoreTransaction } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

/** What a change returns: the next vehicle document, other writes of the same commit, and a result. */
export interface VehicleChange<T> {
  vehicle: VehicleRecord;
  writes?: StoreTransaction;
  result: T;
}

export interface CommittedChange<T> {
  before: VehicleRecord;
  vehicle: VehicleRecord;
  result: T;
}

const MAX_ATTEMPTS = 12;

export class VehicleRepository {
  constructor(private readonly store: Store) {}

  async find(vin: Vin): Promise<VehicleRecord | null> {
    const raw = await this.store.get(storeKeys.vehicle(vin));
    return raw === null ? null : (JSON.parse(raw) as VehicleRecord);
  }

  async get(vin: Vin): Promise<VehicleRecord> {
    const vehicle = await this.find(vin);
    if (!vehicle) throw new DigitalKeyError('VEHICLE_NOT_FOUND');
    return vehicle;
  }

  /** Create a vehicle; VEHICLE_EXISTS if its VIN is already provisioned. */
  async create(vehicle: VehicleRecord): Promise<void> {
    const created = await this.store.set(storeKeys.vehicle(vehicle.vin), JSON.stringify(vehicle), { ifAbsent: true });
    if (!created) throw new DigitalKeyError('VEHICLE_EXISTS');
  }

  /** Apply `change` atomically (optimistic concurrency on the vehicle document, retried on conflict). */
  async update<T>(vin: Vin, change: (vehicle: VehicleRecord) => VehicleChange<T> | Promise<VehicleChange<T>>): Promise<CommittedChange<T>> {
    const key = storeKeys.vehicle(vin);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const raw = await this.store.get(key);
      if (raw === null) throw new DigitalKeyError('VEHICLE_NOT_FOUND');
      const before = JSON.parse(raw) as VehicleRecord;
      const next = await change(before);
      const nextRaw = JSON.stringify(next.vehicle);
      const writes = next.writes ?? {};
      const committed = await this.store.commit({
        ...writes,
        expect: [{ key, value: raw }, ...(writes.expect ?? [])],
        set: nextRaw === raw ? writes.set : [{ key, value: nextRaw }, ...(writes.set ?? [])],
      });
      if (committed) return { before, vehicle: next.vehicle, result: next.result };
      // Lost a race: back off a little (jittered) and re-run the rule on the fresh document.
      await new Promise((r) => setTimeout(r, Math.random() * 2 * (attempt + 1)));
    }
    throw new DigitalKeyError('CONFLICT');
  }

  async keys(vin: Vin, epoch: number): Promise<DigitalKey[]> {
    const all = await this.store.hgetall(storeKeys.vehicleKeys(vin, epoch));
    return Object.values(all)
      .map((raw) => JSON.parse(raw) as DigitalKey)
      .sort((a, b) => a.createdAt - b.createdAt || a.keyId.localeCompare(b.keyId));
  }

  async key(vin: Vin, epoch: number, keyId: KeyId): Promise<DigitalKey | null> {
    const raw = await this.store.hget(storeKeys.vehicleKeys(vin, epoch), keyId);
    return raw === null ? null : (JSON.parse(raw) as DigitalKey);
  }

  /** Which vehicle a key id belongs to (null if unknown). */
  async vinOfKey(keyId: KeyId): Promise<Vin | null> {
    return this.store.get(storeKeys.keyVehicle(keyId));
  }
}
