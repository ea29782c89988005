/**
 * The typed record layer over the storage port: repositories read and change records here, never
 * with raw `get` + `JSON.parse` + `commit`. A record is JSON validated by its zod schema on every
 * read, so a corrupt or foreign value is a CORRUPT_RECORD error, never a silently mistyped object.
 * `updateRecord` is the one compare-and-set loop of the server: read, run the change on the fresh
 * record, commit expecting the value read (plus the change's own writes, atomically), and on a lost
 * race back off (jittered) and run the change again — at most RECORD_UPDATE_ATTEMPTS times, then
 * CONFLICT (retryable: the caller may send the same request again).
 *
 * @example
 * const { record } = await updateRecord(store, storeKeys.account(id), accountRecordSchema, (a) => {
 *   if (a === null) throw new DigitalKeyError('NOT_FOUND');
 *   return { record: { ...a, displayName } };
 * });
 */
import type { z } from 'zod';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { Store, StoreTransaction } from './store.js';
import type { StoredForm } from './storedForm.js';
import { moveToBucket, readPlaced } from './bucketMove.js';

/** Commit attempts of one `updateRecord` before it gives up with CONFLICT. */
export const RECORD_UPDATE_ATTEMPTS = 12;
/** The backoff after lost attempt n is uniform in [0, min(cap, base · 2ⁿ)) ms ("full jitter"). */
const BACKOFF_BASE_MS = 1;
const BACKOFF_CAP_MS = 50;

/**
 * Parse one stored value with its schema (after its stored form's decoding, when the kind has one,
 * see server/store/storedForm.ts); CORRUPT_RECORD (no value in the message) if it does not fit.
 */
export function parseRecord<S extends z.ZodType>(schema: S, raw: string, what: string, form?: StoredForm): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new DigitalKeyError('CORRUPT_RECORD', `a stored ${what} is not JSON`, { cause: err });
  }
  const parsed = schema.safeParse(form ? form.decode(json) : json);
  if (!parsed.success) throw new DigitalKeyError('CORRUPT_RECORD', `a stored ${what} does not match its schema`, { cause: parsed.error });
  return parsed.data;
}

/** Parse a value that may be absent (null stays null). */
export function parseRecordOrNull<S extends z.ZodType>(schema: S, raw: string | null, what: string, form?: StoredForm): z.output<S> | null {
  return raw === null ? null : parseRecord(schema, raw, what, form);
}

/** The stored text of a record: its stored form's encoding when the kind has one, as JSON. */
export function recordText(record: unknown, form?: StoredForm): string {
  return JSON.stringify(form ? form.encode(record) : record);
}

/**
 * A record kept as one field of a bucket hash (server/store/holderBuckets.ts). `before` is the
 * storage key such a record had before buckets: read when the field is absent; the first change of
 * a record found there moves it into its bucket (server/store/bucketMove.ts), then changes it there.
 */
export interface BucketPlace {
  key: string;
  field: string;
  before: string;
}

/** Where a record lives: a storage key of its own, or a field of a bucket. */
export type RecordPlace = string | BucketPlace;

/** A record's stored text (null: none) and whether it is where it belongs: its key, or its bucket (else under its key of before). */
interface Found {
  raw: string | null;
  settled: boolean;
}

/** Look a record up: its key; or its bucket's field, then the key it had before buckets (a move found half done is finished first). */
async function find(store: Pick<Store, 'get' | 'hget' | 'commit'>, place: RecordPlace): Promise<Found> {
  if (typeof place === 'string') return { raw: await store.get(place), settled: true };
  const { raw, inBucket } = await readPlaced(store, place);
  return { raw, settled: inBucket };
}

/** Read one record, validated; null when absent. */
export async function readRecord<S extends z.ZodType>(store: Pick<Store, 'get' | 'hget' | 'commit'>, place: RecordPlace, schema: S, what: string, form?: StoredForm): Promise<z.output<S> | null> {
  return parseRecordOrNull(schema, (await find(store, place)).raw, what, form);
}

/** What a change returns: the next record, other writes of the same commit, and a result for the caller. */
export interface RecordChange<T, R> {
  record: T;
  /** More expectations and writes committed atomically with the record (same hash tag). */
  writes?: StoreTransaction;
  result: R;
  /** Store TTL of the record as changed, when it depends on the record (else the option's). */
  ttlMs?: number;
}

/** What `updateRecord` returns: the record it changed (null if it was absent), the record written, and the change's result. */
export interface RecordUpdate<T, R> {
  before: T | null;
  record: T;
  result: R;
}

export interface UpdateRecordOptions {
  /** Names the record in errors ("vehicle", "passkey"). */
  what: string;
  /** Store TTL of the record (garbage collection only). */
  ttlMs?: number;
  /** The record kind's stored form (server/store/storedForm.ts); absent: the record as it is. */
  form?: StoredForm;
}

/**
 * Change one record with compare-and-set. `change` gets the fresh record (null if absent) and may
 * throw to refuse; it runs again on every lost race, so it must be a function of what it reads.
 */
export async function updateRecord<S extends z.ZodType, R>(
  store: Pick<Store, 'get' | 'hget' | 'commit'>,
  place: RecordPlace,
  schema: S,
  change: (current: z.output<S> | null) => RecordChange<z.output<S>, R> | Promise<RecordChange<z.output<S>, R>>,
  opts: UpdateRecordOptions,
): Promise<RecordUpdate<z.output<S>, R>> {
  for (let attempt = 0; attempt < RECORD_UPDATE_ATTEMPTS; attempt++) {
    const { raw, settled } = await find(store, place);
    if (!settled && raw !== null && typeof place !== 'string') {
      // Stored before buckets: into the bucket first, then changed there (a move lost to a change made meanwhile reads again).
      await moveToBucket(store, place, raw);
      continue;
    }
    const [key, field] = typeof place === 'string' ? [place, undefined] : [place.key, place.field];
    const before = parseRecordOrNull(schema, raw, opts.what, opts.form);
    const next = await change(before);
    const nextRaw = recordText(next.record, opts.form);
    const writes = next.writes ?? {};
    const ttlMs = next.ttlMs ?? opts.ttlMs;
    if (field !== undefined && ttlMs !== undefined) throw new TypeError(`a ${opts.what} kept in a bucket cannot have a TTL`);
    const changed = nextRaw !== raw;
    const committed = await store.commit({
      ...writes,
      expect: [{ key, ...(field === undefined ? {} : { field }), value: raw }, ...(writes.expect ?? [])],
      set: [...(changed && field === undefined ? [{ key, value: nextRaw, ...(ttlMs === undefined ? {} : { ttlMs }) }] : []), ...(writes.set ?? [])],
      ...(changed && field !== undefined ? { hset: [{ key, field, value: nextRaw }, ...(writes.hset ?? [])] } : {}),
    });
    if (committed) return { before, record: next.record, result: next.result };
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)));
  }
  throw new DigitalKeyError('CONFLICT', `the ${opts.what} kept changing concurrently: try again`);
}
