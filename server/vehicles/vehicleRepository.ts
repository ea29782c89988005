/**
 * Reads and changes vehicles in the store. A change is a pure function of the current vehicle
 * document that returns the next document plus any other records to write; the repository commits
 * it atomically with the one compare-and-set loop of server/store/records.ts — so every rule
 * that touches several records of one vehicle is one atomic step, on a single Redis or a cluster.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { parseGivenKey, type PasskeyRecord } from '../accounts/accountRecord.js';
import type { AccountRepository } from '../accounts/accountRepository.js';
import { isVin, type KeyId, type PasskeyId, type Vin } from '../../shared/ids.js';
import { keyAt, keyField, keyFields, keyIdOfField, storedKey, storedKeySchema, vehicleRecordSchema, vehicleStoredForm, type DigitalKey, type VehicleRecord } from '../domain/vehicleRecord.js';
import { parseRecord, readRecord, recordText, updateRecord } from '../store/records.js';
import type { Store, StoreTransaction } from '../store/store.js';
import type { StoredForm } from '../store/storedForm.js';
import { storeKeys } from '../store/storeKeys.js';
import { trailAppend, type YearlyTrail } from '../store/yearlyTrail.js';
import { auditEntryText, type AuditEntry } from './auditTrail.js';

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

/** The bounds a vehicle's records keep (configuration, docs/operations.md "Bounds and retention"). */
export interface VehicleBounds {
  /** VEHICLE_AUDIT_ENTRIES_KEPT: the newest audit entries of one calendar year kept (R13). */
  auditEntriesKept: number;
  /** AUDIT_RETENTION_YEARS: full calendar years an audit entry is kept after its year. */
  auditYears: number;
}

export class VehicleRepository {
  /** `passkeys`: the passkey records, whose `givenKeys` index a passkey's keys (AccountRepository keeps them). */
  constructor(
    private readonly store: Store,
    private readonly bounds: VehicleBounds,
    private readonly passkeys: Pick<AccountRepository, 'findPasskey' | 'updatePasskey'>,
  ) {}

  /** The vehicle's audit trail (R13): one list per calendar year, each kept AUDIT_RETENTION_YEARS after it. */
  auditTrail(vin: Vin): YearlyTrail {
    return {
      keyOf: (year) => storeKeys.vehicleAuditOfYear(vin, year),
      legacyKey: storeKeys.vehicleAudit(vin),
      years: this.bounds.auditYears,
      keepLast: this.bounds.auditEntriesKept,
    };
  }

  /** The audit entry's append (R13), bounded and with its year's expiry, for the vehicle commit of the change it records. */
  auditWrite(entry: AuditEntry): Required<Pick<StoreTransaction, 'append' | 'expire'>> {
    return trailAppend(this.auditTrail(entry.vin), entry.at, auditEntryText(entry));
  }

  async find(vin: Vin): Promise<VehicleRecord | null> {
    return readRecord(this.store, storeKeys.vehicle(vin), vehicleRecordSchema, 'vehicle', vehicleStoredForm(vin));
  }

  async get(vin: Vin): Promise<VehicleRecord> {
    const vehicle = await this.find(vin);
    if (!vehicle) throw new DigitalKeyError('VEHICLE_NOT_FOUND');
    return vehicle;
  }

  /** Create a vehicle; VEHICLE_EXISTS if its VIN is already provisioned. */
  async create(vehicle: VehicleRecord): Promise<void> {
    const created = await this.store.set(storeKeys.vehicle(vehicle.vin), recordText(vehicle, vehicleStoredForm(vehicle.vin)), { ifAbsent: true });
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
      { what: 'vehicle', form: vehicleStoredForm(vin) },
    );
    return { before: result.before, vehicle: record, result: result.value };
  }

  async keys(vin: Vin, epoch: number): Promise<DigitalKey[]> {
    const all = await this.store.hgetall(storeKeys.vehicleKeys(vin, epoch));
    return Object.entries(all)
      .map(([field, raw]) => parseKey(raw, { keyId: keyIdOfField(field), vin, epoch }))
      .sort((a, b) => a.createdAt - b.createdAt || a.keyId.localeCompare(b.keyId));
  }

  /** One key of an epoch. The whole hash in one read (at most a main key and MAX_SHARED_KEYS shared): a key written before is under its 36-character id. */
  async key(vin: Vin, epoch: number, keyId: KeyId): Promise<DigitalKey | null> {
    const all = await this.store.hgetall(storeKeys.vehicleKeys(vin, epoch));
    const raw = all[keyField(keyId)] ?? all[keyId];
    return raw === undefined ? null : parseKey(raw, { keyId, vin, epoch });
  }

  /**
   * Whether a passkey already holds a key on the vehicle in an epoch (one key per passkey per
   * vehicle), from the epoch's keys (at most one main and MAX_SHARED_KEYS shared). Called inside a
   * vehicle change: every key change rewrites the vehicle document, so the commit's compare-and-set
   * on it refuses an answer a concurrent key change made stale.
   */
  async passkeyHoldsKey(vin: Vin, epoch: number, passkeyId: PasskeyId): Promise<boolean> {
    return (await this.keys(vin, epoch)).some((k) => k.passkeyId === passkeyId);
  }

  /** The writes that add a key to its epoch, for the vehicle commit. */
  keyWrites(key: DigitalKey): Required<Pick<StoreTransaction, 'hset'>> {
    return { hset: [{ key: storeKeys.vehicleKeys(key.vin, key.epoch), field: keyField(key.keyId), value: JSON.stringify(storedKey(key)) }] };
  }

  /** The writes that take a key out of its epoch (a revocation), for the vehicle commit; the passkey index of before issue 11's footprint work goes too. */
  keyRemovalWrites(key: DigitalKey): Required<Pick<StoreTransaction, 'hdel'>> {
    return {
      hdel: [
        { key: storeKeys.vehicleKeys(key.vin, key.epoch), field: keyField(key.keyId) },
        // A key written before is kept under its 36-character id.
        { key: storeKeys.vehicleKeys(key.vin, key.epoch), field: key.keyId },
        { key: storeKeys.vehiclePasskeyKeys(key.vin, key.epoch), field: key.passkeyId },
      ],
    };
  }

  /**
   * The writes that end an epoch (a wipe), for the vehicle commit. O(1): the epoch's key records
   * stay as the archive of what was wiped (R13); a passkey index written before (no longer
   * written: `passkeyHoldsKey` reads the keys) is unlinked.
   */
  epochEndWrites(vin: Vin, epoch: number): Required<Pick<StoreTransaction, 'del'>> {
    return { del: [storeKeys.vehiclePasskeyKeys(vin, epoch)] };
  }

  /** The writes that drop an ended epoch's archive (retention), for the vehicle commit. */
  archiveRemovalWrites(vin: Vin, epoch: number): Required<Pick<StoreTransaction, 'del'>> {
    return { del: [storeKeys.vehicleKeys(vin, epoch), storeKeys.vehiclePasskeyKeys(vin, epoch)] };
  }

  /**
   * Note a key about to be made in its passkey's record (`givenKeys`, "VIN keyId"): that entry is
   * how a refresh finds the key's vehicle (the caller's passkey, read by authentication anyway) and
   * how R6 finds a lost phone's keys. Written before the key's commit; a dangling entry (when that
   * commit fails) points at no key and is harmless. A passkey without a record gets no entry
   * (nothing could revoke by it, nor refresh with it).
   */
  async indexKeyToBe(opts: KeyIndexEntry): Promise<void> {
    const entry = `${opts.vin} ${opts.keyId}`;
    await this.#changeGivenKeys(opts.passkeyId, (given) => (given.includes(entry) ? given : [...given, entry]));
  }

  /**
   * Drop the index entries of keys that are dead for good (a commit that failed, or keys whose last
   * credential expired): each is in its own hash slot, so one small step each; idempotent. The
   * indexes of before lose the entry too: the key's VIN index and the passkey's key index hash.
   */
  async unindexKeys(entries: Array<Pick<KeyIndexEntry, 'vin' | 'keyId'> & { passkeyId?: PasskeyId | undefined }>): Promise<void> {
    for (const { vin, keyId, passkeyId } of entries) {
      await this.store.del(storeKeys.keyVehicle(keyId));
      if (passkeyId === undefined) continue;
      const entry = `${vin} ${keyId}`;
      await this.#changeGivenKeys(passkeyId, (given) => given.filter((e) => e !== entry));
      await this.store.commit({ hdel: [{ key: storeKeys.passkeyKeyIndex(passkeyId), field: entry }] });
    }
  }

  /** Change the keys listed in a passkey's record (compare-and-set); nothing when there is no such passkey. */
  async #changeGivenKeys(passkeyId: PasskeyId, change: (given: string[]) => string[]): Promise<void> {
    await this.passkeys
      .updatePasskey(passkeyId, (passkey) => {
        const { givenKeys: _given, ...rest } = passkey;
        const given = change(passkey.givenKeys ?? []);
        return given.length > 0 ? { ...rest, givenKeys: given } : rest;
      })
      .catch((err: unknown) => {
        if (!(err instanceof DigitalKeyError && err.code === 'PASSKEY_NOT_FOUND')) throw err;
      });
  }

  /**
   * Which vehicle a key made before issue 11's second footprint step belongs to, and the epoch it
   * was made in when its VIN index says (null if unknown). Keys made since have no VIN index: their
   * passkey's record lists them (`homeListedBy`).
   */
  async homeOfKey(keyId: KeyId): Promise<KeyHome | null> {
    const entry = await this.store.get(storeKeys.keyVehicle(keyId));
    if (entry === null) return null;
    const [vin = '', epoch, ...rest] = entry.split(' ');
    if (!isVin(vin) || rest.length > 0 || (epoch !== undefined && !/^(0|[1-9][0-9]{0,14})$/.test(epoch))) {
      throw new DigitalKeyError('CORRUPT_RECORD', 'a key\'s vehicle index is not "VIN" or "VIN epoch"');
    }
    return epoch === undefined ? { vin } : { vin, epoch: Number(epoch) };
  }

  /**
   * Every key a passkey was given that may still live, on any vehicle (R6); keys wiped or revoked
   * since are included until retention drops them. The passkey's record lists them; the index hash
   * and the list kept before are read too.
   */
  async keysGivenToPasskey(passkeyId: PasskeyId): Promise<Array<{ vin: Vin; keyId: KeyId }>> {
    const [passkey, legacy, index] = await Promise.all([
      this.passkeys.findPasskey(passkeyId),
      this.store.range(storeKeys.passkeyKeys(passkeyId), 0, -1),
      this.store.hgetall(storeKeys.passkeyKeyIndex(passkeyId)),
    ]);
    const entries = [...new Set([...(passkey?.givenKeys ?? []), ...legacy, ...Object.keys(index)])];
    return entries.map((entry) => {
      const given = parseGivenKey(entry);
      if (!given) throw new DigitalKeyError('CORRUPT_RECORD', "an entry of a passkey's key index is not \"VIN keyId\"");
      return given;
    });
  }
}

/** Where a key lives when this passkey's record lists it (`givenKeys`, "VIN keyId"), else null; the epoch is the vehicle's to say. */
export function homeListedBy(passkey: Pick<PasskeyRecord, 'givenKeys'>, keyId: KeyId): KeyHome | null {
  for (const entry of passkey.givenKeys ?? []) {
    const given = parseGivenKey(entry);
    if (given?.keyId === keyId && isVin(given.vin)) return { vin: given.vin };
  }
  return null;
}

/** A key record read from its epoch's hash (either stored form, see storedKeySchema). */
function parseKey(raw: string, place: Pick<DigitalKey, 'keyId' | 'vin' | 'epoch'>): DigitalKey {
  const key = keyAt(parseRecord(storedKeySchema, raw, 'key', keyStoredFields), place);
  if (!key) throw new DigitalKeyError('CORRUPT_RECORD', 'a stored key names another key, vehicle or epoch than where it is kept');
  return key;
}

/** Keys are read through keyFields (by position, or an object with short or long names); their place is checked by keyAt. */
const keyStoredFields: StoredForm = { encode: (key) => key, decode: keyFields };

/** A key as its indexes name it. */
export interface KeyIndexEntry {
  vin: Vin;
  keyId: KeyId;
  passkeyId: PasskeyId;
}
