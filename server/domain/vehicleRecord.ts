/**
 * The stored state of one vehicle and of one digital key. Everything about a vehicle lives under
 * its hash tag (`sdk:{VIN}:…`); the vehicle document is the record every multi-record rule
 * expects and rewrites in one commit, so no two rules can interleave on one vehicle. The zod
 * schemas are the definitions: every read parses with them (server/store/records.ts), and the
 * types are inferred from them.
 */
import { z } from 'zod';
import { permsSchema, type Command } from '../../shared/commands.js';
import { linkSecretSchema } from '../../shared/ble/linkKeys.js';
import { vinSchema } from '../../shared/ids.js';
import { positionalForm } from '../store/positionalForm.js';
import { compactForm, compactShape, timeValue, uuidValue, type StoredForm, type ValueForm } from '../store/storedForm.js';
import { vehicleSubscriptionsSchema } from './subscriptionRecord.js';

export const claimMethodSchema = z.enum(['odometer', 'qr']);
export type ClaimMethod = z.infer<typeof claimMethodSchema>;

export const mainUserSchema = z.object({
  accountId: z.string(),
  /** When the claim was made (ms). */
  since: z.number(),
  method: claimMethodSchema,
  /** When the terms of use were accepted (ms) — R2. */
  termsAcceptedAt: z.number(),
});
export type MainUser = z.infer<typeof mainUserSchema>;

export const revokedKeySchema = z.object({
  keyId: z.string(),
  /** Seconds: after this no credential of the key can still be valid, so it leaves the manifest. */
  until: z.number(),
  /** Whose key it was: a repeated revocation by its holder is answered as done (absent on older entries). */
  holder: z.string().exactOptional(),
  /** The passkey the key was bound to: retention drops the key from that passkey's record (`givenKeys`; absent on older entries). */
  passkey: z.string().exactOptional(),
});
export type RevokedKey = z.infer<typeof revokedKeySchema>;

/** A wiped epoch whose archive is still kept (see `VehicleRecord.endedEpochs`). */
export const endedEpochSchema = z.object({
  epoch: z.number().int().nonnegative(),
  /** When the wipe committed (ms). */
  endedAt: z.number(),
  /** Seconds: the archive is dropped after this; absent until retention first looked at it. */
  until: z.number().exactOptional(),
  /** Keys revoked one by one before the wipe (no longer in the archive): their indexes go with it. */
  revoked: z.array(revokedKeySchema).exactOptional(),
});
export type EndedEpoch = z.infer<typeof endedEpochSchema>;

/** The vehicle's own public key (P-256): it signs its requests to the vehicle API. */
export const vehiclePublicJwkSchema = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string() });

export const vehicleRecordSchema = z.object({
  vin: vinSchema,
  /** The vehicle's first registration date (YYYY-MM-DD); the trial runs a year from it (R9). */
  firstRegistration: z.string(),
  /** Odometer reading last reported by telematics, for claims by odometer (R2). */
  odometerKm: z.number(),
  /** SHA-256 (base64url) of the QR token printed in the car; the token itself is never stored. */
  qrTokenHash: z.string(),
  vehiclePublicJwk: vehiclePublicJwkSchema,
  /**
   * The car's link secret (32 bytes, base64url), the same the car holds: each credential's response
   * key and the vehicle's advertising key derive from it (shared/ble/linkKeys.ts). Key material, not
   * a digest: the server must derive from it. Never in an API answer or a log.
   */
  linkSecret: linkSecretSchema,
  provisionedAt: z.number(),
  mainUser: mainUserSchema.nullable(),
  standardServices: z.object({ active: z.boolean(), changedAt: z.number() }),
  /** Key epoch: wiping every key is one increment (R4); credentials carry it as `ep`. */
  epoch: z.number().int().nonnegative(),
  /** State-manifest sequence number: grows with every change the car must learn of. */
  seq: z.number().int().nonnegative(),
  /** Individually revoked keys whose credentials may still be unexpired (retention drops the others, server/vehicles/applyRetention.ts). */
  revoked: z.array(revokedKeySchema),
  /**
   * Epochs a wipe ended whose key records are still kept (the archive the wipe's audit entry names):
   * when it ended (ms) and, once retention has looked, until when (seconds) a credential of one of
   * its keys could still verify plus WIPED_EPOCH_RETENTION. Then the archive goes (absent: none).
   */
  endedEpochs: z.array(endedEpochSchema).exactOptional(),
  /** Shared keys in the current epoch (kept here so the limit is checked in the same commit). */
  sharedKeys: z.number().int().nonnegative(),
  /** Wrong odometer readings in the current window (claims by odometer are limited, R2). */
  odometerClaimFailures: z.object({ count: z.number().int(), since: z.number() }).optional(),
  /** Keys ever made for this vehicle: every key change rewrites the document, so it serialises them with wipes. */
  keysIssued: z.number().int().nonnegative(),
  /** The Smart Digital Key subscription, the trial's use and pending billing work (R9–R11); absent until the first one. */
  subscriptions: vehicleSubscriptionsSchema.optional(),
});
export type VehicleRecord = z.infer<typeof vehicleRecordSchema>;

/**
 * Short stored names of the vehicle document's fields, at any depth (issue 11). Never change one:
 * stored records use them. Names not listed (rare subscription fields, the JWK's) are stored as they are.
 */
export const VEHICLE_ALIASES = {
  firstRegistration: 'fr',
  odometerKm: 'od',
  qrTokenHash: 'qr',
  vehiclePublicJwk: 'pk',
  linkSecret: 'ls',
  provisionedAt: 'pa',
  mainUser: 'mu',
  accountId: 'a',
  since: 'sn',
  method: 'me',
  termsAcceptedAt: 'ta',
  standardServices: 'ss',
  active: 'ac',
  changedAt: 'ca',
  epoch: 'ep',
  seq: 'sq',
  revoked: 'rv',
  keyId: 'ki',
  until: 'un',
  holder: 'ho',
  passkey: 'pp',
  endedEpochs: 'ee',
  endedAt: 'ea',
  sharedKeys: 'sk',
  odometerClaimFailures: 'of',
  count: 'cn',
  keysIssued: 'kn',
  subscriptions: 'su',
  current: 'cu',
  subscriptionId: 'si',
  plan: 'pl',
  createdAt: 'c',
  anchor: 'an',
  periodStart: 'ps',
  periodEnd: 'pe',
  periodsPaid: 'pn',
  autoRenew: 'ar',
  failedAttempts: 'fa',
  refundedCents: 'rc',
  status: 'st',
  trialUsed: 'tu',
  effects: 'ef',
} as const;

/** The car's P-256 public key as stored: [x, y] (the key type and curve are the only ones allowed); an object written before reads unchanged. */
const p256JwkValue: ValueForm = {
  encode(jwk) {
    const j = jwk as Record<string, unknown>;
    return typeof jwk === 'object' && jwk !== null && Object.keys(jwk).length === 4 && j.kty === 'EC' && j.crv === 'P-256' ? [j.x, j.y] : jwk;
  },
  decode: (stored) => (Array.isArray(stored) && stored.length === 2 ? { kty: 'EC', crv: 'P-256', x: stored[0], y: stored[1] } : stored),
};

/** Ids that are always UUIDs, stored as 22 characters (server/store/storedForm.ts `uuidValue`). */
const VEHICLE_UUID_FIELDS = { accountId: uuidValue, subscriptionId: uuidValue, holder: uuidValue, keyId: uuidValue };

/** Instants in ms, wherever they are in the document (never a field of another type by the same name), stored in base 36. */
const VEHICLE_TIME_FIELDS = Object.fromEntries(
  ['provisionedAt', 'since', 'termsAcceptedAt', 'changedAt', 'endedAt', 'createdAt', 'anchor', 'periodStart', 'periodEnd', 'withdrawalUntil', 'cancelAt', 'cancelledAt', 'retryAt', 'requestedAt', 'startedAt', 'resumeAt'].map((name) => [name, timeValue]),
);

/** How the main user claimed, as one letter ("o", "q"); the word written before reads unchanged. */
const claimMethodValue = lettersFor({ odometer: 'o', qr: 'q' }).one;

/** Fields left out at their usual value (a fresh vehicle, a running subscription that nothing went wrong with), put back on read. */
const VEHICLE_DEFAULTS = {
  revoked: [],
  epoch: 0,
  seq: 0,
  sharedKeys: 0,
  'subscriptions.trialUsed': false,
  'subscriptions.effects': [],
  'subscriptions.current.status': 'active',
  'subscriptions.current.periodsPaid': 0,
  'subscriptions.current.autoRenew': true,
  'subscriptions.current.failedAttempts': 0,
  'subscriptions.current.refundedCents': 0,
};

/** The subscription's payer is left out while it is the main user (nearly always), and put back from it on read. */
function payerLeftOut(record: unknown): unknown {
  if (typeof record !== 'object' || record === null) return record;
  const r = record as { mainUser?: { accountId?: unknown } | null; subscriptions?: { current?: { accountId?: unknown } | null } };
  const current = r.subscriptions?.current;
  if (!current || current.accountId === undefined || current.accountId !== r.mainUser?.accountId) return record;
  const { accountId: _payer, ...rest } = current;
  return { ...r, subscriptions: { ...r.subscriptions, current: rest } };
}

function payerPutBack(record: unknown): unknown {
  if (typeof record !== 'object' || record === null) return record;
  const r = record as { mainUser?: { accountId?: unknown } | null; subscriptions?: { current?: Record<string, unknown> | null } };
  const current = r.subscriptions?.current;
  if (current && typeof current === 'object' && !('accountId' in current) && r.mainUser?.accountId !== undefined) current.accountId = r.mainUser.accountId;
  return record;
}

/** The vehicle document's stored shape, worked out once; each read binds its VIN. */
const vehicleShape = compactShape({
  aliases: VEHICLE_ALIASES,
  defaults: VEHICLE_DEFAULTS,
  values: { ...VEHICLE_UUID_FIELDS, ...VEHICLE_TIME_FIELDS, method: claimMethodValue, vehiclePublicJwk: p256JwkValue },
});

/**
 * A vehicle document as stored under its VIN: without the VIN, fields at their usual value left out
 * (VEHICLE_DEFAULTS), the subscription's payer left out while it is the main user, UUIDs, instants,
 * the claim method and the car's key compact, short names (server/store/storedForm.ts). Every
 * shape written before reads unchanged.
 */
export function vehicleStoredForm(vin: string): StoredForm {
  const form = vehicleShape({ vin });
  return { encode: (record) => form.encode(payerLeftOut(record)), decode: (stored) => payerPutBack(form.decode(stored)) };
}

export const keyRoleSchema = z.enum(['main', 'shared']);
export type KeyRole = z.infer<typeof keyRoleSchema>;

export const digitalKeySchema = z.object({
  keyId: z.string(),
  vin: vinSchema,
  accountId: z.string(),
  /** The one passkey (phone) this key is bound to. */
  passkeyId: z.string(),
  role: keyRoleSchema,
  perms: permsSchema,
  /** Optional validity window of a shared key, in seconds. */
  notBefore: z.number().optional(),
  notAfter: z.number().optional(),
  /** The epoch the key was made in; a key outlives no wipe. */
  epoch: z.number().int().nonnegative(),
  createdAt: z.number(),
  /** Who granted it (the main user, for shared keys). */
  grantedBy: z.string().optional(),
  /** The invitation it was made from (a retried accept finds its key by it). */
  invitationId: z.string().exactOptional(),
});
export type DigitalKey = z.infer<typeof digitalKeySchema>;

/**
 * A key as stored in its epoch's hash (issue 11): the fields its place already says — its id (the
 * hash field, see keyField), VIN and epoch (the hash's name) — are left out; its role and commands
 * are letters, its creation time base 36, and its values are stored by position (KEY_ORDER), without
 * names. Records written before (objects with short or long names, the oldest with every field)
 * still parse; where present the place's fields must agree with the place.
 */
export const storedKeySchema = digitalKeySchema.partial({ keyId: true, vin: true, epoch: true });
export type StoredKey = z.infer<typeof storedKeySchema>;

/** Short stored names of a key's fields (issue 11). Never change one: stored records use them. */
export const KEY_ALIASES = {
  accountId: 'a',
  passkeyId: 'p',
  role: 'r',
  perms: 'm',
  notBefore: 'nb',
  notAfter: 'na',
  createdAt: 'c',
  grantedBy: 'g',
  invitationId: 'i',
} as const satisfies Partial<Record<keyof DigitalKey, string>>;

/**
 * One letter per value, for fields whose values come from a short fixed list. Never change a letter:
 * stored records use them. A value not in the list is stored as it is, and a value stored before
 * (spelled out) reads unchanged.
 */
function lettersFor<V extends string>(letters: Readonly<Record<V, string>>): { one: ValueForm; list: ValueForm } {
  const toLetter = new Map<unknown, string>(Object.entries(letters));
  const toValue = new Map([...toLetter].map(([value, letter]) => [letter, value]));
  const allLetters = (v: unknown): v is string => typeof v === 'string' && [...v].every((c) => toValue.has(c));
  return {
    one: { encode: (v) => toLetter.get(v) ?? v, decode: (v) => (typeof v === 'string' && v.length === 1 ? (toValue.get(v) ?? v) : v) },
    list: {
      encode: (v) => (Array.isArray(v) && v.length > 0 && v.every((x) => toLetter.has(x)) ? v.map((x) => toLetter.get(x)).join('') : v),
      decode: (v) => (allLetters(v) && v.length > 0 ? [...v].map((c) => toValue.get(c)) : v),
    },
  };
}

/** A key's role as one letter (issue 11: a key record in fewer bytes). */
const roleLetters = lettersFor<KeyRole>({ main: 'm', shared: 's' });
/** A key's commands as one letter each, in their order: ["unlock","lock"] is stored "ul". */
const commandLetters = lettersFor<Command>({ unlock: 'u', lock: 'l', start: 's', trunk: 't' });

/**
 * The order a key's values are stored in (issue 11: by position, without names). Every key has the
 * first five; a shared key adds its granter and invitation, and only some have a validity window.
 * Never reorder or remove one: stored records use the positions; a new field goes at the end.
 */
export const KEY_ORDER = ['a', 'p', 'r', 'm', 'c', 'g', 'i', 'nb', 'na'] as const;

const keyForm = positionalForm(
  compactForm({
    aliases: KEY_ALIASES,
    values: { accountId: uuidValue, grantedBy: uuidValue, invitationId: uuidValue, role: roleLetters.one, perms: commandLetters.list, createdAt: timeValue },
  }),
  { aliases: KEY_ALIASES, order: KEY_ORDER },
);

/**
 * The field a key is kept under in its epoch's hash: its id as 22 characters (uuidValue). Keys
 * written before are kept under the 36-character id; {@link keyIdOfField} reads both.
 */
export function keyField(keyId: string): string {
  return String(uuidValue.encode(keyId));
}

/** The key id a field of an epoch's hash names (either form of {@link keyField}). */
export function keyIdOfField(field: string): string {
  return String(uuidValue.decode(field));
}

/** The stored form of a key (see storedKeySchema): its values by position (KEY_ORDER), compact. */
export function storedKey(key: DigitalKey): unknown {
  const { keyId: _keyId, vin: _vin, epoch: _epoch, ...stored } = key;
  return keyForm.encode(stored);
}

/** A stored key's fields under their long names (any stored form: by position, short names, long names), for storedKeySchema. */
export function keyFields(stored: unknown): unknown {
  return keyForm.decode(stored);
}

/** A key read from its place; null when a field it carries contradicts the place (a corrupt record). */
export function keyAt(stored: StoredKey, place: Pick<DigitalKey, 'keyId' | 'vin' | 'epoch'>): DigitalKey | null {
  if ((stored.keyId ?? place.keyId) !== place.keyId || (stored.vin ?? place.vin) !== place.vin || (stored.epoch ?? place.epoch) !== place.epoch) return null;
  return { ...stored, ...place };
}
