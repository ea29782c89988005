/**
 * Stored accounts and passkeys. A passkey is one phone's WebAuthn credential (UV required). The
 * schemas are the records' definitions: every read from the store is parsed with them
 * (server/store/records.ts), and the types are inferred from them.
 */
import { ECDH } from 'node:crypto';
import { z } from 'zod';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { positionalShape } from '../store/positionalForm.js';
import { compactShape, timeValue, uuidList, uuidValue, type StoredForm, type ValueForm } from '../store/storedForm.js';

export const LANGUAGES = ['nl', 'fr', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const accountRecordSchema = z.object({
  accountId: z.string(),
  email: z.string(),
  displayName: z.string(),
  createdAt: z.number(),
  passkeyIds: z.array(z.string()),
  /** Granted by an operator command only: may revoke and look up, never issue or share (DESIGN §4). */
  dealer: z.boolean(),
  /** The owner of `email` proved it by a link sent there (absent: not verified). */
  emailVerified: z.boolean().optional(),
  /** An address the user asked to change to; it replaces `email` once its link is used. */
  pendingEmail: z.string().optional(),
  language: z.enum(LANGUAGES).optional(),
  /** An IANA time zone name, for showing dates. */
  timeZone: z.string().optional(),
  /** Session tokens carry the generation they were issued in; raising it ends every session (R15). */
  sessionGeneration: z.number().int().nonnegative().optional(),
  /** R15: set by e-mail recovery; no main-user key until presence at a car or a dealer code. */
  presenceRequired: z.boolean().optional(),
  /**
   * Passkeys the user removed (or is removing). Written in one compare-and-set on the account before
   * the passkey is disabled, so two removals at once cannot both find the other passkey still
   * working and leave the account with none.
   */
  removedPasskeyIds: z.array(z.string()).optional(),
  /** Set when the account was closed: the personal fields are erased, the id stays for audit trails. */
  closedAt: z.number().optional(),
  /**
   * Vehicles the account claimed (a hint written before each claim commits, checked against the
   * vehicle when read: server/vehicles/accountVehicles.ts). Issue 11: kept here rather than in a
   * hash of its own, which cost a storage key per main user; that hash, written before, is still read.
   */
  claimedVins: z.array(z.string()).exactOptional(),
});
export type AccountRecord = z.infer<typeof accountRecordSchema>;

/** Short stored names of the account's fields (issue 11). Never change one: stored records use them. */
export const ACCOUNT_ALIASES = {
  email: 'e',
  displayName: 'n',
  createdAt: 'c',
  passkeyIds: 'k',
  dealer: 'd',
  emailVerified: 'v',
  pendingEmail: 'pe',
  language: 'l',
  timeZone: 'tz',
  sessionGeneration: 'sg',
  presenceRequired: 'pr',
  removedPasskeyIds: 'rk',
  closedAt: 'cl',
  claimedVins: 'cv',
} as const satisfies Partial<Record<keyof AccountRecord, string>>;

/** An account as stored under its id: without the id, `dealer` only when true, short names (server/store/storedForm.ts). */
const accountShape = compactShape({ aliases: ACCOUNT_ALIASES, defaults: { dealer: false } });
export function accountStoredForm(accountId: string): StoredForm {
  return accountShape({ accountId });
}

export const passkeyRecordSchema = z.object({
  passkeyId: z.string(),
  accountId: z.string(),
  /** COSE public key, base64url; the credential's `cnf.wa.pk`. */
  publicKey: z.string(),
  counter: z.number().int().nonnegative(),
  transports: z.array(z.string()),
  backedUp: z.boolean(),
  createdAt: z.number(),
  /** Set when a dealer revoked the phone (R6): the passkey stops working for the account too. */
  disabled: z.object({ at: z.number(), by: z.string().nullable(), reason: z.string() }).nullable(),
  /** A name the user gave the phone. */
  label: z.string().optional(),
  /** The last login with this passkey. */
  lastUsedAt: z.number().optional(),
  /**
   * The keys this passkey was given that may still live, as "VIN keyId", so a lost phone's keys are
   * found everywhere (R6); written before each key's commit, dropped by retention with the key
   * (issue 11: kept here rather than in an index of its own, which cost a storage key per holder).
   */
  givenKeys: z.array(z.string()).exactOptional(),
});
export type PasskeyRecord = z.infer<typeof passkeyRecordSchema>;

/** Short stored names of the passkey's fields (issue 11). Never change one: stored records use them. */
export const PASSKEY_ALIASES = {
  accountId: 'a',
  publicKey: 'k',
  counter: 'n',
  transports: 't',
  backedUp: 'b',
  createdAt: 'c',
  disabled: 'd',
  label: 'l',
  lastUsedAt: 'u',
  givenKeys: 'g',
} as const satisfies Partial<Record<keyof PasskeyRecord, string>>;

/** "VIN keyId" entries with the key id (a UUID) as 22 characters; others, and entries written before, as they are. */
const givenKeysValue = {
  encode: (entries: unknown): unknown => (Array.isArray(entries) ? entries.map((e) => mapKeyIdOf(e, uuidList.encode)) : entries),
  decode: (entries: unknown): unknown => (Array.isArray(entries) ? entries.map((e) => mapKeyIdOf(e, uuidList.decode)) : entries),
};
function mapKeyIdOf(entry: unknown, map: (ids: unknown) => unknown): unknown {
  const given = typeof entry === 'string' ? parseGivenKey(entry) : null;
  return given ? `${given.vin} ${(map([given.keyId]) as [string])[0]}` : entry;
}

/** An entry of a passkey's key lists ("VIN keyId": `givenKeys`, and the lists kept before it), or null when it is not that shape. */
export function parseGivenKey(entry: string): { vin: string; keyId: string } | null {
  const [vin, keyId, ...rest] = entry.split(' ');
  return vin === undefined || keyId === undefined || rest.length > 0 ? null : { vin, keyId };
}

/** How every P-256 ES256 COSE key of a passkey is laid out: a map of 5 entries (kty EC2, alg ES256, crv P-256, x, y). */
const P256_COSE_HEAD = Buffer.from('a5010203262001215820', 'hex');
const P256_COSE_MID = Buffer.from('225820', 'hex');
const P256_COSE_LENGTH = P256_COSE_HEAD.length + 32 + P256_COSE_MID.length + 32;

/**
 * A passkey's COSE public key laid out as above, stored as its compressed point: ":" and base64url
 * of the parity of y and x (45 characters instead of 103; ":" and "." are no base64url characters,
 * so no other key reads as one); any other key as it is. Reading rebuilds the very same bytes, which
 * the credential carries (`cnf`): OpenSSL recovers y from x and its parity (about 25 µs); a stored
 * value that is not a point of the curve is CORRUPT_RECORD. A key whose point is not on the curve (no signature verifies
 * with it), and every key written before, is "." and base64url of x ‖ y (87 characters).
 */
const p256CoseValue: ValueForm = {
  encode(value) {
    if (typeof value !== 'string') return value;
    const bytes = Buffer.from(value, 'base64url');
    const laidOut = bytes.length === P256_COSE_LENGTH && bytes.subarray(0, 10).equals(P256_COSE_HEAD) && bytes.subarray(42, 45).equals(P256_COSE_MID);
    if (!laidOut || bytes.toString('base64url') !== value) return value;
    const x = bytes.subarray(10, 42);
    const y = bytes.subarray(45);
    const compressed = Buffer.concat([Buffer.of(2 + (y[31]! & 1)), x]);
    // Only a point that decompresses to this very y is stored compressed; one off the curve keeps its y.
    return coseOfPoint(compressed)?.equals(bytes) ? `:${compressed.toString('base64url')}` : `.${Buffer.concat([x, y]).toString('base64url')}`;
  },
  decode(stored) {
    if (typeof stored !== 'string') return stored;
    if (stored.startsWith(':')) {
      const compressed = Buffer.from(stored.slice(1), 'base64url');
      const cose = compressed.length === 33 && compressed.toString('base64url') === stored.slice(1) ? coseOfPoint(compressed) : null;
      if (!cose) throw new DigitalKeyError('CORRUPT_RECORD', "a stored passkey's compressed public key is not a point of P-256");
      return cose.toString('base64url');
    }
    if (!stored.startsWith('.')) return stored;
    const xy = Buffer.from(stored.slice(1), 'base64url');
    if (xy.length !== 64 || xy.toString('base64url') !== stored.slice(1)) return stored;
    return Buffer.concat([P256_COSE_HEAD, xy.subarray(0, 32), P256_COSE_MID, xy.subarray(32)]).toString('base64url');
  },
};

/** The COSE key (laid out as above) of a compressed P-256 point, or null when it is not a point of the curve. */
function coseOfPoint(compressed: Buffer): Buffer | null {
  if (compressed[0] !== 2 && compressed[0] !== 3) return null;
  let point: Buffer;
  try {
    point = ECDH.convertKey(compressed, 'prime256v1', undefined, undefined, 'uncompressed') as Buffer;
  } catch {
    return null;
  }
  return Buffer.concat([P256_COSE_HEAD, point.subarray(1, 33), P256_COSE_MID, point.subarray(33)]);
}

/** The transports a phone's platform passkey reports most (left out when stored). */
const USUAL_TRANSPORTS = ['internal', 'hybrid'];

/** `disabled` is left out while null (its default): the positional form below stores no null field. */
const passkeyShape = compactShape({
  aliases: PASSKEY_ALIASES,
  defaults: { counter: 0, disabled: null, transports: USUAL_TRANSPORTS, backedUp: true },
  values: { givenKeys: givenKeysValue, accountId: uuidValue, publicKey: p256CoseValue, createdAt: timeValue, lastUsedAt: timeValue },
});

/**
 * The order a passkey's values are stored in (issue 11: by position, without names). Account, key
 * and creation are always there; a phone that signed in and holds keys has its last use and key
 * list; a counter only when its authenticator counts (synced passkeys stay at 0, left out); the rest
 * rarely differs from its default. Never reorder or remove one: stored records use the positions; a
 * new field goes at the end.
 */
export const PASSKEY_ORDER = ['a', 'k', 'c', 'u', 'g', 'n', 'l', 'b', 't', 'd'] as const;
const passkeyPositions = positionalShape({ aliases: PASSKEY_ALIASES, order: PASSKEY_ORDER });

/**
 * A passkey as stored under its id: without the id, `counter`, `disabled`, `backedUp` and the usual
 * transports only when otherwise, the account id as 22 characters, a P-256 public key as x ‖ y,
 * instants in base 36 (server/store/storedForm.ts), its values by position (PASSKEY_ORDER,
 * server/store/positionalForm.ts). Objects written before (short or long names) read unchanged.
 */
export function passkeyStoredForm(passkeyId: string): StoredForm {
  return passkeyPositions(passkeyShape({ passkeyId }));
}

/** A passkey of this account that is not disabled (R6), or PASSKEY_NOT_FOUND / PASSKEY_DISABLED. */
export function assertActivePasskey(passkey: PasskeyRecord | null, accountId: string): asserts passkey is PasskeyRecord {
  if (!passkey || passkey.accountId !== accountId) throw new DigitalKeyError('PASSKEY_NOT_FOUND');
  if (passkey.disabled) throw new DigitalKeyError('PASSKEY_DISABLED');
}
