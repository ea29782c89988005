/**
 * Whether Redis keeps holder buckets compact (server/store/holderBuckets.ts). A hash stays a
 * `listpack` — a few bytes per entry — only while it has at most `hash-max-listpack-entries`
 * entries and none of its values is longer than `hash-max-listpack-value`; past either it becomes a
 * hash table, at about 60 B more per entry. A bucket holds a few hundred holders at the fleet size
 * its INDEX_BUCKET_BITS is chosen for, and a passkey record grows by some 43 B with each vehicle
 * its phone holds a key for (about 140 characters with one): one long record turns its whole bucket into a
 * hash table. Nothing breaks either way; only memory is at stake, so these are warnings.
 */
import type { RedisSettings } from './redisStore.js';

/** The listpack limits a deployment should give Redis (docs/operations.md, "Holder buckets"). */
export const RECOMMENDED_LISTPACK = {
  /** Room for a bucket at about twice the density INDEX_BUCKET_BITS is chosen for. */
  entries: 512,
  /** A passkey record with keys on up to 8 vehicles (about 100 characters and 43 a key), a key record, an e-mail index entry. */
  value: 512,
} as const;

/** The warnings the settings of every node call for (empty: holder buckets stay listpacks). */
export function footprintWarnings(nodes: ReadonlyArray<Pick<RedisSettings, 'node' | 'hashMaxListpackEntries' | 'hashMaxListpackValue'>>): string[] {
  const warnings: string[] = [];
  for (const n of nodes) {
    if (n.hashMaxListpackEntries === null || n.hashMaxListpackValue === null) {
      warnings.push(`Redis ${n.node} refused CONFIG GET: cannot check that holder buckets stay compact — make sure hash-max-listpack-entries and hash-max-listpack-value are at least ${RECOMMENDED_LISTPACK.entries} and ${RECOMMENDED_LISTPACK.value}`);
      continue;
    }
    const low = [
      ...(n.hashMaxListpackEntries < RECOMMENDED_LISTPACK.entries ? [`hash-max-listpack-entries ${n.hashMaxListpackEntries}`] : []),
      ...(n.hashMaxListpackValue < RECOMMENDED_LISTPACK.value ? [`hash-max-listpack-value ${n.hashMaxListpackValue}`] : []),
    ];
    if (low.length > 0) {
      warnings.push(
        `Redis ${n.node} has ${low.join(' and ')}: holder buckets and the keys of each epoch become hash tables, which take more memory (the footprint bench: 1,095 B per key instead of 960 with hash-max-listpack-value 64) — set hash-max-listpack-entries ${RECOMMENDED_LISTPACK.entries} and hash-max-listpack-value ${RECOMMENDED_LISTPACK.value}`,
      );
    }
  }
  return warnings;
}
