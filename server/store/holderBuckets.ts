/**
 * Where a holder's small records live (issue 11, footprint): every passkey record, and the e-mail
 * index, as fields of 2^bits hash buckets each instead of one storage key per record. A storage key
 * costs about 70 B of Redis before its value; a field of a bucket small enough to stay a `listpack`
 * costs a few bytes, so at fleet scale (a few hundred holders per bucket) an e-mail index entry
 * costs 52 B instead of 136 (docs/operations.md, "Holder buckets and the Redis settings they need").
 *
 * A bucket is chosen by the first bits of the SHA-256 of what finds the record (the passkey id, the
 * normalized address), so no input picks a key name or a hash slot, and the field is the first 16
 * bytes of that digest (22 characters): no address is stored in the index, and a passkey's entry is
 * as long whatever its id's length (WebAuthn allows up to 1,023 bytes; 32 are usual).
 * Records stored before buckets keep their own storage key and are read (and changed) there when
 * their bucket has no field for them: `before`. Nothing is migrated; new records go to buckets.
 *
 * The number of buckets is fixed for the life of a store: the first server to use a store writes its
 * `INDEX_BUCKET_BITS` there (SET NX), and every bucket access of a server whose setting differs is
 * refused (STORE_UNAVAILABLE with a sentence that says what to set; `/readyz` answers it) — a
 * server that looked in other buckets would find no passkey and no address, and store new ones
 * where the others never look.
 */
import { createHash } from 'node:crypto';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { PasskeyId } from '../../shared/ids.js';
import type { BucketPlace } from './records.js';
import type { Store } from './store.js';
import { storeKeys } from './storeKeys.js';

/** The largest INDEX_BUCKET_BITS (16.7 M buckets of each kind). */
export const MAX_INDEX_BUCKET_BITS = 24;

/** An address as the index knows it: trimmed, lower case. */
export function normalizedEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The store was set up with another bucket count than this server's (a STORE_UNAVAILABLE: nothing this server does there would be right). */
export class BucketCountMismatch extends DigitalKeyError {
  constructor(message: string) {
    super('STORE_UNAVAILABLE', message);
  }
}

/**
 * A bucket field: the first 16 bytes of a digest, base64url (22 characters). Two ids or addresses
 * share one only by a 128-bit collision of SHA-256, which no one can make happen on purpose.
 */
function fieldOf(digest: Buffer): string {
  return digest.subarray(0, 16).toString('base64url');
}

export class HolderBuckets {
  readonly #store: Pick<Store, 'get' | 'set'>;
  readonly #bits: number;
  #checked: Promise<void> | null = null;
  #matches = false;

  constructor(store: Pick<Store, 'get' | 'set'>, bits: number) {
    if (!Number.isInteger(bits) || bits < 0 || bits > MAX_INDEX_BUCKET_BITS) throw new RangeError(`index bucket bits must be an integer from 0 to ${MAX_INDEX_BUCKET_BITS}`);
    this.#store = store;
    this.#bits = bits;
  }

  get bits(): number {
    return this.#bits;
  }

  /**
   * Where a passkey's record lives: a field of its bucket named by its id's digest (22 characters
   * whatever the id's length; the record is only ever looked up by its id), or (stored before) its own key.
   */
  passkey(passkeyId: PasskeyId): BucketPlace {
    const digest = createHash('sha256').update(passkeyId).digest();
    return { key: storeKeys.passkeyBucket(this.#bucketOf(digest)), field: fieldOf(digest), before: storeKeys.passkey(passkeyId) };
  }

  /** Where the e-mail index says whose an address is: a field of its bucket named by its digest, or (stored before) its own key. */
  email(email: string): BucketPlace {
    const digest = createHash('sha256').update(normalizedEmail(email)).digest();
    return { key: storeKeys.emailBucket(this.#bucketOf(digest)), field: fieldOf(digest), before: storeKeys.accountByEmail(email) };
  }

  /**
   * Resolves once the store's bucket count is known to be this server's, writing it at the store's
   * first use; STORE_UNAVAILABLE (saying what to set) when it differs. A store that did not answer
   * is asked again next time.
   */
  checked(): Promise<void> {
    this.#checked ??= this.#check().then(
      () => {
        this.#matches = true;
      },
      (err: unknown) => {
        this.#checked = null;
        throw err;
      },
    );
    return this.#checked;
  }

  /**
   * Run a bucket access once the bucket count is checked: at once when it is (no extra turn of the
   * event loop, so the access goes out with the requests it was issued beside), else after the check.
   */
  whenChecked<T>(access: () => Promise<T>): Promise<T> {
    return this.#matches ? access() : this.checked().then(access);
  }

  async #check(): Promise<void> {
    const key = storeKeys.indexBucketBits();
    await this.#store.set(key, String(this.#bits), { ifAbsent: true });
    const pinned = await this.#store.get(key);
    if (pinned === String(this.#bits)) return;
    throw new BucketCountMismatch(
      pinned !== null && /^(0|[1-9][0-9]?)$/.test(pinned)
        ? `This server has INDEX_BUCKET_BITS=${this.#bits}, but its store was set up with ${pinned}: set INDEX_BUCKET_BITS=${pinned} (the number of buckets cannot change once records are in them)`
        : `The store's record of its bucket count is unreadable (${key}): it was not written by this server`,
    );
  }

  /** The bucket of a digest: its first `bits` bits, in hexadecimal. */
  #bucketOf(digest: Buffer): string {
    const bucket = this.#bits === 0 ? 0 : digest.readUInt32BE(0) >>> (32 - this.#bits);
    return bucket.toString(16);
  }
}
