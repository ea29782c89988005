/**
 * The shape a record kind takes in the store, apart from the shape the code uses (issue 11: Redis
 * bytes per key). A stored form leaves out what the record's place (its storage key) already says,
 * leaves out fields at their default, and writes field names short; reading maps every name back
 * and puts the left-out fields in again, so the record's zod schema parses the code's shape. A
 * record written before its kind had a compact form (long names, every field) reads unchanged, so
 * no migration is needed: it takes the compact form the next time it is written.
 *
 * Each record kind defines its form next to its schema (server/accounts/accountRecord.ts,
 * server/domain/vehicleRecord.ts); server/store/records.ts applies it on every read and write. The
 * small records kept by the million (a key, a passkey) go one step further and store the compact
 * object's values by position, without names (server/store/positionalForm.ts).
 *
 * @example
 * const form = compactForm({ aliases: { displayName: 'n' }, defaults: { dealer: false }, place: { accountId } });
 * form.encode({ accountId, displayName: 'An', dealer: false }); // → { n: 'An' }
 * form.decode({ n: 'An' }); // → { displayName: 'An', dealer: false, accountId }
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';

/** Maps a record (the code's shape) to the JSON value stored, and any stored value back. */
export interface StoredForm {
  encode(record: unknown): unknown;
  decode(stored: unknown): unknown;
}

export interface CompactFormOpts {
  /** Long field name → short stored name, at any depth. A short name must never be a field name of the record kind. */
  aliases: Readonly<Record<string, string>>;
  /**
   * Fields left out while they hold this value (compared as JSON), put back on read: a top-level
   * field by its name, a nested one by its dotted path of long names ("subscriptions.current.autoRenew",
   * put back only where its parent object is there).
   */
  defaults?: Readonly<Record<string, unknown>>;
  /** Top-level fields the storage key says: left out, put back on read; a stored one that disagrees is CORRUPT_RECORD. */
  place?: Readonly<Record<string, unknown>>;
  /** Fields (at any depth) whose value is free-form (names chosen by callers): stored as it is, never renamed. */
  verbatim?: readonly string[];
  /** Fields (at any depth, by long name) whose value has a shorter stored spelling. */
  values?: Readonly<Record<string, ValueForm>>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field's shorter stored spelling of its value; `decode` must also read the value as written before. */
export interface ValueForm {
  encode(value: unknown): unknown;
  decode(stored: unknown): unknown;
}

interface Walk {
  names: ReadonlyMap<string, string>;
  /** By long name. */
  values: ReadonlyMap<string, ValueForm>;
  /** By long name. */
  verbatim: ReadonlySet<string>;
}

function encoded(value: unknown, w: Walk): unknown {
  if (Array.isArray(value)) return value.map((v) => encoded(v, w));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const codec = w.values.get(k);
    const spelled = codec ? codec.encode(v) : v;
    out[w.names.get(k) ?? k] = w.verbatim.has(k) ? spelled : encoded(spelled, w);
  }
  return out;
}

function decoded(value: unknown, w: Walk): unknown {
  if (Array.isArray(value)) return value.map((v) => decoded(v, w));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const long = w.names.get(k) ?? k;
    const inner = w.verbatim.has(long) ? v : decoded(v, w);
    const codec = w.values.get(long);
    out[long] = codec ? codec.decode(inner) : inner;
  }
  return out;
}

/** The alias tables of one record kind, checked once: no short name twice, none also a long name. */
export function compactAliases(aliases: Readonly<Record<string, string>>): { toShort: ReadonlyMap<string, string>; toLong: ReadonlyMap<string, string> } {
  const toShort = new Map(Object.entries(aliases));
  const toLong = new Map([...toShort].map(([long, short]) => [short, long]));
  if (toLong.size !== toShort.size) throw new TypeError('a short field name is used twice');
  for (const short of toLong.keys()) if (toShort.has(short)) throw new TypeError(`the short field name "${short}" is also a long one`);
  return { toShort, toLong };
}

/** The object at `path` under `record` (null if a step is missing or not an object); with `copy`, each step is copied on the way (so the caller's record is never changed). */
function parentOf(record: Record<string, unknown>, path: readonly string[], copy: boolean): Record<string, unknown> | null {
  let at = record;
  for (const step of path) {
    const next = at[step];
    if (!isPlainObject(next)) return null;
    at = copy ? (at[step] = { ...next }) : next;
  }
  return at;
}

const tables = new WeakMap<object, ReturnType<typeof compactAliases>>();

/** A compact stored form (see the module header). */
export function compactForm(opts: CompactFormOpts): StoredForm {
  return compactShape(opts)(opts.place);
}

/**
 * The same, in two steps: the shape's tables are worked out once (a module constant), then each
 * record's place is only bound — what a repository does on every read.
 *
 * @example const vehicleShape = compactShape({ aliases }); const form = vehicleShape({ vin });
 */
export function compactShape(opts: Omit<CompactFormOpts, 'place'>): (place?: Readonly<Record<string, unknown>>) => StoredForm {
  let t = tables.get(opts.aliases);
  if (!t) tables.set(opts.aliases, (t = compactAliases(opts.aliases)));
  const { toShort, toLong } = t;
  const defaults = Object.entries(opts.defaults ?? {}).map(([path, v]) => {
    const parts = path.split('.');
    return { parent: parts.slice(0, -1), k: parts.at(-1) ?? path, v, json: JSON.stringify(v) };
  });
  const out: Walk = { names: toShort, values: new Map(Object.entries(opts.values ?? {})), verbatim: new Set(opts.verbatim ?? []) };
  const back: Walk = { ...out, names: toLong };
  return (placeGiven) => {
    const place = Object.entries(placeGiven ?? {});
    return {
      encode(record) {
        if (!isPlainObject(record)) return record;
        const kept = { ...record };
        for (const [k] of place) delete kept[k];
        for (const { parent, k, json } of defaults) {
          const holder = parentOf(kept, parent, true);
          if (holder && k in holder && JSON.stringify(holder[k]) === json) delete holder[k];
        }
        return encoded(kept, out);
      },
      decode(stored) {
        const record = decoded(stored, back);
        if (!isPlainObject(record)) return record;
        for (const { parent, k, v } of defaults) {
          const holder = parentOf(record, parent, false);
          if (holder && !(k in holder)) holder[k] = structuredClone(v);
        }
        for (const [k, v] of place) {
          if (!(k in record)) record[k] = v;
          else if (record[k] !== v) throw new DigitalKeyError('CORRUPT_RECORD', `a stored record names another ${k} than where it is kept`);
        }
        return record;
      },
    };
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_BYTES_BASE64URL = /^[A-Za-z0-9_-]{22}$/;

/**
 * A UUID (lower case) stored as base64url of its 16 bytes (22 characters instead of 36); any other
 * value as it is. For fields that always hold UUIDs (account, key, subscription and invitation
 * ids): a 22-character base64url string is read as a UUID.
 */
export const uuidValue: ValueForm = {
  encode: (value) => (uuidList.encode([value]) as unknown[])[0],
  decode: (stored) => (uuidList.decode([stored]) as unknown[])[0],
};

/**
 * A list of UUIDs (lower case) stored as base64url of their 16 bytes (22 characters instead of 36);
 * any other string is stored as it is. For lists whose members are always UUIDs (key ids): a
 * 22-character base64url string is read as a UUID.
 */
export const uuidList: ValueForm = {
  encode(value: unknown): unknown {
    if (!Array.isArray(value)) return value;
    return value.map((v) => (typeof v === 'string' && UUID.test(v) ? Buffer.from(v.replaceAll('-', ''), 'hex').toString('base64url') : v));
  },
  decode(stored: unknown): unknown {
    if (!Array.isArray(stored)) return stored;
    return stored.map((v) => {
      if (typeof v !== 'string' || !UUID_BYTES_BASE64URL.test(v)) return v;
      const hex = Buffer.from(v, 'base64url').toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    });
  },
};

const BASE36_TIME = /^[0-9a-z]{1,11}$/;

/**
 * An instant in milliseconds (a non-negative integer) stored as a base-36 string: 8 characters for
 * the next fifty years instead of 13 digits. A number stored before reads unchanged.
 */
export const timeValue: ValueForm = {
  encode: (value) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value.toString(36) : value),
  decode: (stored) => (typeof stored === 'string' && BASE36_TIME.test(stored) ? parseInt(stored, 36) : stored),
};
