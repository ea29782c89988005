/**
 * Moving a record stored before holder buckets (under a storage key of its own) into its bucket
 * (server/store/holderBuckets.ts), safely while other servers read and change it. The two places
 * are in different hash slots, so no one commit can do it; instead the record is first marked as
 * moving under its old key (compare-and-set: a change made meanwhile makes the mark fail, and one
 * read before the mark fails its own compare-and-set), then copied into its bucket if the bucket
 * has no field for it yet, then its old key is deleted if it still holds the mark. Whoever finds a
 * mark — a server that crashed mid-move, a reader — finishes the move before going on: a marked
 * record is never changed where it was, and a copy in the bucket is always the newest text.
 *
 * Only for records whose bucket field is never deleted (passkey records: a passkey is disabled, never
 * erased). A copy step finished late writes the field whenever it is empty, so it would bring back a
 * record deleted from its bucket in the meantime; the e-mail index, whose entries are released, does
 * not move (accountRepository.ts).
 *
 * @example
 * const found = await readPlaced(store, place); // finishes a move left half done
 * if (found.raw !== null && !found.inBucket) await moveToBucket(store, place, found.raw);
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isId, type PasskeyId } from '../../shared/ids.js';
import type { BucketPlace } from './records.js';
import type { KeyScanner, Store } from './store.js';
import { storeKeys } from './storeKeys.js';

/** Put before a record's text under its old key while it moves (JSON never starts with it). */
export const MOVING_MARK = '>';

/** A record's text, and whether it is in its bucket (else under its key of before); null when there is none. */
export interface Placed {
  raw: string | null;
  inBucket: boolean;
}

/** Moves finished in one read before it gives up (each one empties the old key, so the second read settles). */
const MOVE_ROUNDS = 3;

/** Read a record from its bucket, or from its key of before; a move found half done is finished first. */
export async function readPlaced(store: Pick<Store, 'get' | 'hget' | 'commit'>, place: BucketPlace): Promise<Placed> {
  for (let round = 0; round < MOVE_ROUNDS; round++) {
    const raw = await store.hget(place.key, place.field);
    if (raw !== null) return { raw, inBucket: true };
    const before = await store.get(place.before);
    if (before === null) return { raw: null, inBucket: true };
    if (!before.startsWith(MOVING_MARK)) return { raw: before, inBucket: false };
    await finishMove(store, place, before);
  }
  throw new DigitalKeyError('CONFLICT', 'a record kept moving into its bucket: try again');
}

/**
 * Move a record read under its key of before (`raw`) into its bucket: mark it, then finish the
 * move. Nothing happens when it changed since it was read (the caller reads again).
 */
export async function moveToBucket(store: Pick<Store, 'commit'>, place: BucketPlace, raw: string): Promise<void> {
  const marked = MOVING_MARK + raw;
  if (await store.commit({ expect: [{ key: place.before, value: raw }], set: [{ key: place.before, value: marked }] })) await finishMove(store, place, marked);
}

/** Copy a marked record into its bucket unless the bucket has it already, then drop the old key if it still holds the mark. */
async function finishMove(store: Pick<Store, 'commit'>, place: BucketPlace, marked: string): Promise<void> {
  await store.commit({ expect: [{ key: place.key, field: place.field, value: null }], hset: [{ key: place.key, field: place.field, value: marked.slice(MOVING_MARK.length) }] });
  await store.commit({ expect: [{ key: place.before, value: marked }], del: [place.before] });
}

/** The ids of the passkey records still under their keys of before, in batches (a keyspace scan: an id may come twice). */
export async function* passkeysStoredBefore(store: KeyScanner): AsyncIterable<PasskeyId[]> {
  for await (const keys of store.scanKeys(storeKeys.passkeyPattern())) {
    yield keys.flatMap((key) => {
      const id = /^sdk:\{p:([^}]+)\}:passkey$/.exec(key)?.[1];
      // Only keys this server names itself.
      return id !== undefined && isId(id) && storeKeys.passkey(id) === key ? [id] : [];
    });
  }
}
