/**
 * Reads and changes vehicles in the store. A change is a pure function of the current vehicle
 * document that returns the next document plus any other records to write; the repository commits
 * it atomically with the one compare-and-set loop of server/store/records.ts — so every rule
 * that touches several records of one vehicle is one atomic step, on a single Redis or a cluster.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isVin, type KeyId, type PasskeyId, type Vin } from '../../shared/ids.js';
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

/** Where a key lives: its vehicle, and the epoch it was made in when the index says (a hint: the key's own record is the truth). */
export interface KeyHome {
  vin: Vin;
  epoch?: number;
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

  /** Whether a passkey already holds a key on the vehicle in an epoch (one key per passkey per vehicle). */
  async passkeyHoldsKey(vin: Vin, epoch: number, passkeyId: PasskeyId): Promise<boolean> {
    return (await this.store.hget(storeKeys.vehiclePasskeyKeys(vin, epoch), passkeyId)) !== null;
  }

  /** The writes that add a key to its epoch, for the vehicle commit: the passkey's slot must still be empty. */
  keyWrites(key: DigitalKey): Required<Pick<StoreTransaction, 'expect' | 'hset'>> {
    const byPasskey = storeKeys.vehiclePasskeyKeys(key.vin, key.epoch);
    return {
      expect: [{ key: byPasskey, field: key.passkeyId, value: null }],
      hset: [
        { key: storeKeys.vehicleKeys(key.vin, key.epoch), field: key.keyId, value: JSON.stringify(key) },
        { key: byPasskey, field: key.passkeyId, value: key.keyId },
      ],
    };
  }

  /** The writes that take a key out of its epoch (a revocation), for the vehicle commit. */
  keyRemovalWrites(key: DigitalKey): Required<Pick<StoreTransaction, 'hdel'>> {
    return {
      hdel: [
        { key: storeKeys.vehicleKeys(key.vin, key.epoch), field: key.keyId },
        { key: storeKeys.vehiclePasskeyKeys(key.vin, key.epoch), field: key.passkeyId },
      ],
    };
  }

  /**
   * The writes that end an epoch (a wipe), for the vehicle commit. O(1): the epoch's key records
   * stay as the archive of what was wiped (R13); only its passkey index is unlinked.
   */
  epochEndWrites(vin: Vin, epoch: number): Required<Pick<StoreTransaction, 'del'>> {
    return { del: [storeKeys.vehiclePasskeyKeys(vin, epoch)] };
  }

  /**
   * Note a key about to be made in the indexes that find it later: which vehicle it belongs to (and
   * the epoch it is made in, so a refresh reads the vehicle and the key at once), and the passkey's
   * list of keys (R6). Written before the key's commit; a dangling entry (when that commit fails)
   * points at no key and is harmless.
   */
  async indexKeyToBe(opts: { vin: Vin; keyId: KeyId; passkeyId: PasskeyId; epoch: number }): Promise<void> {
    await this.noteKeyHome(opts);
    await this.store.commit({ append: [{ key: storeKeys.passkeyKeys(opts.passkeyId), value: `${opts.vin} ${opts.keyId}` }] });
  }

  /** Write where a key lives: "VIN epoch" (the epoch is a hint; entries written before it are "VIN"). */
  async noteKeyHome(opts: { vin: Vin; keyId: KeyId; epoch: number }): Promise<void> {
    await this.store.set(storeKeys.keyVehicle(opts.keyId), `${opts.vin} ${opts.epoch}`);
  }

  /** Drop the vehicle index of a key whose commit failed. */
  async unindexKey(keyId: KeyId): Promise<void> {
    await this.store.del(storeKeys.keyVehicle(keyId));
  }

  /** Which vehicle a key id belongs to, and the epoch it was made in when the index says (null if unknown). */
  async homeOfKey(keyId: KeyId): Promise<KeyHome | null> {
    const entry = await this.store.get(storeKeys.keyVehicle(keyId));
    if (entry === null) return null;
    const [vin = '', epoch, ...rest] = entry.split(' ');
    if (!isVin(vin) || rest.length > 0 || (epoch !== undefined && !/^(0|[1-9][0-9]{0,14})$/.test(epoch))) {
      throw new DigitalKeyError('CORRUPT_RECORD', 'a key\'s vehicle index is not "VIN" or "VIN epoch"');
    }
    return epoch === undefined ? { vin } : { vin, epoch: Number(epoch) };
  }

  /** Every key a passkey was ever given, on any vehicle (R6); keys since wiped or revoked included. */
  async keysGivenToPasskey(passkeyId: PasskeyId): Promise<Array<{ vin: Vin; keyId: KeyId }>> {
    const held = await this.store.range(storeKeys.passkeyKeys(passkeyId), 0, -1);
    return held.flatMap((entry) => {
      const [vin, keyId, ...rest] = entry.split(' ');
      if (vin === undefined || keyId === undefined || rest.length > 0) throw new DigitalKeyError('CORRUPT_RECORD', "an entry of a passkey's key list is not \"VIN keyId\"");
      return [{ vin, keyId }];
    });
  }
}
