/**
 * Move every passkey record still stored before holder buckets (under `sdk:{p:<id>}:passkey`) into
 * its bucket — those whose phones have not signed in since the upgrade; the others moved at their
 * login. Each move is the protocol of server/store/bucketMove.ts (mark, copy, drop), safe while
 * servers run; a move left half done is finished. Running it again moves what is left: nothing,
 * once every record has moved.
 */
import { moveToBucket, passkeysStoredBefore, readPlaced } from '../store/bucketMove.js';
import type { HolderBuckets } from '../store/holderBuckets.js';
import type { BucketPlace } from '../store/records.js';
import type { KeyScanner, Store } from '../store/store.js';

/** What a run did: records found under their keys of before, and how many of them are in their buckets now. */
export interface PasskeyMoves {
  found: number;
  moved: number;
}

export async function movePasskeys(deps: { store: Pick<Store, 'get' | 'hget' | 'commit'> & KeyScanner; buckets: HolderBuckets }, onProgress?: (moves: PasskeyMoves) => void): Promise<PasskeyMoves> {
  const { store, buckets } = deps;
  await buckets.checked();
  const moves: PasskeyMoves = { found: 0, moved: 0 };
  for await (const ids of passkeysStoredBefore(store)) {
    for (const id of ids) {
      const place = buckets.passkey(id);
      const found = await readPlaced(store, place);
      // Gone or moved meanwhile (a scan may also return a key twice), or a move left half done that the read just finished.
      if (found.raw === null || found.inBucket) continue;
      moves.found++;
      if (await moved(store, place, found.raw)) moves.moved++;
    }
    onProgress?.(moves);
  }
  return moves;
}

/**
 * Move one record read under its key of before; whether it is in its bucket after. A change made
 * meanwhile makes the move read again: it is tried once more with the new text, then left for the next run.
 */
async function moved(store: Pick<Store, 'get' | 'hget' | 'commit'>, place: BucketPlace, raw: string): Promise<boolean> {
  let text = raw;
  for (let attempt = 0; attempt < 2; attempt++) {
    await moveToBucket(store, place, text);
    const now = await readPlaced(store, place);
    if (now.raw === null || now.inBucket) return now.raw !== null;
    text = now.raw;
  }
  return false;
}
