/**
 * Reads and changes vehicles in the store. A change is a pure function of the current vehicle
 * document that returns the next document plus any other records to write; the repository commits
 * it atomically with the one compare-and-set loop of server/store/records.ts — so every rule
 * that touches several records of one vehicle is one atomic step, on a single Redis or a cluster.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { KeyId, Vin } from '../../shared/ids.js';
import { digitalKeySchema, vehicleRecordSchema, type DigitalKey, type VehicleRecord } from '../domain/vehicleRecord.js';
import { parseRecord, parseRecordOrNull, readRecord, updateRecord } from '../store/records.js';
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

export class VehicleRepository {
  constructor(private readonly store: Store) {}

  async find(vin: Vin): Promise<VehicleRecord | null> {
    return readRecord(this.store, storeKeys.vehicle(vin), vehicleRecordSchema, 'vehicle');
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

  /** Apply `change` atomically (compare-and-set on the vehicle document, re-run on the fresh document after a concurrent change). */
  async update<T>(vin: Vin, change: (vehicle: VehicleRecord) => VehicleChange<T> | Promise<VehicleChange<T>>): Promise<CommittedChange<T>> {
    const { record, result } = await updateRecord(
      this.store,
      storeKeys.vehicle(vin),
      vehicleRecordSchema,
      async (current) => {
        if (current === null) throw new DigitalKeyError('VEHICLE_NOT_FOUND');
        const next = await change(current);
        return { record: next.vehicle, ...(next.writes === undefined ? {} : { writes: next.writes }), result: { before: current, value: next.result } };
      },
      { what: 'vehicle' },
    );
    return { before: result.before, vehicle: record, result: result.value };
  }

  async keys(vin: Vin, epoch: number): Promise<DigitalKey[]> {
    const all = await this.store.hgetall(storeKeys.vehicleKeys(vin, epoch));
    return Object.values(all)
      .map((raw) => parseRecord(digitalKeySchema, raw, 'key'))
      .sort((a, b) => a.createdAt - b.createdAt || a.keyId.localeCompare(b.keyId));
  }

  async key(vin: Vin, epoch: number, keyId: KeyId): Promise<DigitalKey | null> {
    return parseRecordOrNull(digitalKeySchema, await this.store.hget(storeKeys.vehicleKeys(vin, epoch), keyId), 'key');
  }

  /** Which vehicle a key id belongs to (null if unknown). */
  async vinOfKey(keyId: KeyId): Promise<Vin | null> {
    return this.store.get(storeKeys.keyVehicle(keyId));
  }
}
