/**
 * Where a holder's small records live (issue 11, footprint): every passkey record, and the e-mail
 * index, as fields of 2^bits hash buckets each instead of one storage key per record. A storage key
 * costs about 70 B of Redis before its value; a field of a bucket small enough to stay a `listpack`
 * costs a few bytes, so at fleet scale (a few hundred holders per bucket) an e-mail index entry
 * costs 52 B instead of 136 (docs/operations.md, "Holder buckets and the Redis settings they need").
 *
 * A bucket and its field come from an HMAC-SHA-256 of what finds the record (the passkey id, the
 * normalized address) under the store's own random key: no input picks a key name, and no client
 * can aim its ids or addresses at one bucket (a bucket out of listpack, one cluster slot loaded) —
 * as a hash table keys its hash against flooding. The field is 16 bytes of the HMAC (22
 * characters): no address is stored in the index, and a passkey's entry is as long whatever its
 * id's length (WebAuthn allows up to 1,023 bytes; 32 are usual). Records stored before buckets keep
 * their own storage key and are read (and changed) there when their bucket has no field for them:
 * `before`. Nothing is migrated; new records go to buckets.
 *
 * The layout — the number of buckets and the HMAC key — is fixed for the life of a store: the first
 * server to use a store writes its `INDEX_BUCKET_BITS` and a new key there (once replicas have it),
 * and every bucket access of a server whose setting differs is refused (STORE_UNAVAILABLE with a
 * sentence that says what to set): a server that looked in other buckets would find no passkey and
 * no address, and store new ones where the others never look. `/readyz` reads the layout again each
 * time (`verify`): a layout the store lost is written back as this server knew it, and one that
 * changed under it is refused until the server restarts.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
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

/** The store's layout as stored: the bucket bits and the HMAC key (32 random bytes, base64url). */
const layoutSchema = z.strictObject({
  bits: z.number().int().min(0).max(MAX_INDEX_BUCKET_BITS),
  key: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

/** The store's holder layout is not this server's, or cannot be read (a STORE_UNAVAILABLE: nothing this server does there would be right). */
export class HolderLayoutMismatch extends DigitalKeyError {
  constructor(message: string) {
    super('STORE_UNAVAILABLE', message);
  }
}

/** What a server brings: its INDEX_BUCKET_BITS (written at a store's first use, else checked); or, for a tool, the store's layout whatever it is (never written). */
export type HolderBucketsSetting = { bits: number } | { adopt: true };

interface Layout {
  bits: number;
  key: Buffer;
}

export class HolderBuckets {
  readonly #store: Pick<Store, 'get' | 'commit'>;
  readonly #setting: HolderBucketsSetting;
  #checked: Promise<Layout> | null = null;
  /** The layout, once read and found to be this server's; buckets are only named after that. */
  #layout: Layout | null = null;
  /** The HMAC key of the first layout this server read: a store whose key changes later is refused until restart. */
  #firstKey: Buffer | null = null;

  constructor(store: Pick<Store, 'get' | 'commit'>, setting: HolderBucketsSetting) {
    if ('bits' in setting && (!Number.isInteger(setting.bits) || setting.bits < 0 || setting.bits > MAX_INDEX_BUCKET_BITS)) {
      throw new RangeError(`index bucket bits must be an integer from 0 to ${MAX_INDEX_BUCKET_BITS}`);
    }
    this.#store = store;
    this.#setting = setting;
  }

  /** Where a passkey's record lives: a field of its bucket named by its id's HMAC (the record is only ever looked up by its id), or (stored before) its own key. */
  passkey(passkeyId: PasskeyId): BucketPlace {
    const digest = this.#digest('passkey', passkeyId);
    return { key: storeKeys.passkeyBucket(bucketOf(digest, this.#known().bits)), field: fieldOf(digest), before: storeKeys.passkey(passkeyId) };
  }

  /** Where the e-mail index says whose an address is: a field of its bucket named by its HMAC, or (stored before) its own key. */
  email(email: string): BucketPlace {
    const digest = this.#digest('email', normalizedEmail(email));
    return { key: storeKeys.emailBucket(bucketOf(digest, this.#known().bits)), field: fieldOf(digest), before: storeKeys.accountByEmail(email) };
  }

  /**
   * Resolves once the store's layout is known to be this server's, writing it at the store's first
   * use; STORE_UNAVAILABLE (saying what to set) when it differs. A store that did not answer is
   * asked again next time.
   */
  checked(): Promise<void> {
    this.#checked ??= this.#check().catch((err: unknown) => {
      this.#checked = null;
      throw err;
    });
    return this.#checked.then(() => undefined);
  }

  /**
   * Run a bucket access once the layout is checked: at once when it is (no extra turn of the event
   * loop, so the access goes out with the requests it was issued beside), else after the check.
   */
  whenChecked<T>(access: () => Promise<T>): Promise<T> {
    return this.#layout ? access() : this.checked().then(access);
  }

  /**
   * Read the store's layout again (readiness): write it again if the store lost it, and refuse
   * every bucket access from now on if it is no longer this server's.
   */
  async verify(): Promise<void> {
    const fresh = this.#check();
    this.#checked = fresh;
    fresh.catch(() => {
      if (this.#checked === fresh) this.#checked = null;
    });
    await fresh;
  }

  async #check(): Promise<Layout> {
    const storeKey = storeKeys.holderLayout();
    let raw = await this.#store.get(storeKey);
    if (raw === null && 'bits' in this.#setting) {
      // A layout this server knew and the store lost is written back as it was: what is in the buckets stays findable.
      const written = JSON.stringify({ bits: this.#setting.bits, key: (this.#firstKey ?? randomBytes(32)).toString('base64url') });
      // Acknowledged once the replicas have it: a layout lost at failover would let the next server write another.
      await this.#store.commit({ expect: [{ key: storeKey, value: null }], set: [{ key: storeKey, value: written }], replicated: true });
      raw = await this.#store.get(storeKey);
    }
    const layout = this.#parse(raw, storeKey);
    this.#firstKey ??= layout.key;
    if (!this.#firstKey.equals(layout.key)) {
      this.#layout = null;
      throw new HolderLayoutMismatch(`The store's holder layout (${storeKey}) changed while this server ran (was the store emptied?): restart the server`);
    }
    if ('bits' in this.#setting && layout.bits !== this.#setting.bits) {
      this.#layout = null;
      throw new HolderLayoutMismatch(
        `This server has INDEX_BUCKET_BITS=${this.#setting.bits}, but its store was set up with ${layout.bits}: set INDEX_BUCKET_BITS=${layout.bits} (the number of buckets cannot change once records are in them)`,
      );
    }
    this.#layout = layout;
    return layout;
  }

  #parse(raw: string | null, storeKey: string): Layout {
    if (raw === null) throw new HolderLayoutMismatch(`The store has no holder layout yet (${storeKey}): start the server on it once first`);
    let parsed: z.output<typeof layoutSchema>;
    try {
      parsed = layoutSchema.parse(JSON.parse(raw));
    } catch {
      throw new HolderLayoutMismatch(`The store's holder layout (${storeKey}) is unreadable: it was not written by this server`);
    }
    return { bits: parsed.bits, key: Buffer.from(parsed.key, 'base64url') };
  }

  #known(): Layout {
    if (!this.#layout) throw new Error('a holder bucket was named before the store’s layout was checked');
    return this.#layout;
  }

  /** HMAC-SHA-256 under the store's key, of the kind and the value (a passkey id and an address never share a digest). */
  #digest(kind: 'passkey' | 'email', value: string): Buffer {
    return createHmac('sha256', this.#known().key).update(`${kind}\0${value}`).digest();
  }
}

/** The bucket of a digest: its first `bits` bits, in hexadecimal. */
function bucketOf(digest: Buffer, bits: number): string {
  return (bits === 0 ? 0 : digest.readUInt32BE(0) >>> (32 - bits)).toString(16);
}

/**
 * A bucket field: the first 16 bytes of a digest, base64url (22 characters). Two ids or addresses
 * share one only by a 128-bit collision of HMAC-SHA-256, which no one can make happen on purpose.
 */
function fieldOf(digest: Buffer): string {
  return digest.subarray(0, 16).toString('base64url');
}
