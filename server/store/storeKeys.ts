/**
 * Every storage key name, in one place. Identifiers are validated before they get here (shared/
 * ids.ts), and every builder checks again, so no input can change a key name or a hash slot.
 * Everything about one vehicle shares the hash tag `{VIN}`; everything about one account shares
 * `{a:<accountId>}`.
 */
import { createHash } from 'node:crypto';
import { isId, isVin } from '../../shared/ids.js';

const PREFIX = 'sdk';

function vin(v: string): string {
  if (!isVin(v)) throw new TypeError('invalid VIN in a storage key');
  return v;
}
function year(v: number): number {
  if (!Number.isInteger(v) || v < 1970 || v > 9999) throw new TypeError('invalid year in a storage key');
  return v;
}
function id(v: string): string {
  if (!isId(v)) throw new TypeError('invalid id in a storage key');
  return v;
}

/** A bucket number in hexadecimal (at most 24 bits). */
function bucketName(v: string): string {
  if (!/^(0|[1-9a-f][0-9a-f]{0,5})$/.test(v)) throw new TypeError('invalid bucket in a storage key');
  return v;
}

export const storeKeys = {
  /** The vehicle document: provisioning, main user, services, epoch, seq, revoked ids. */
  vehicle: (v: string) => `${PREFIX}:{${vin(v)}}:vehicle`,
  /** An epoch's keys (hash keyId → key). A wipe moves to a new epoch; the old hash stays as its audit archive (R13) until retention drops it. */
  vehicleKeys: (v: string, epoch: number) => `${PREFIX}:{${vin(v)}}:keys:${epoch}`,
  /** A vehicle request token id already used (replay protection). */
  vehicleTokenUse: (v: string, jti: string) => `${PREFIX}:{${vin(v)}}:jti:${id(jti)}`,
  /** The newest state manifest the car reported applying, and when it was last seen (the dealer desk's "reached the car"). */
  vehicleApplied: (v: string) => `${PREFIX}:{${vin(v)}}:applied`,
  /** Before retention by age: a vehicle's whole audit trail in one list; read as the oldest part of the trail, no longer written. */
  vehicleAudit: (v: string) => `${PREFIX}:{${vin(v)}}:audit`,
  /** A vehicle's audit trail (R13) of one calendar year (UTC), append-only; it expires once AUDIT_RETENTION_YEARS have passed after that year. */
  vehicleAuditOfYear: (v: string, y: number) => `${PREFIX}:{${vin(v)}}:audit:${year(y)}`,
  /** Before issue 11's footprint work: which key a passkey holds on a vehicle in an epoch (hash passkeyId → keyId); no longer written, unlinked with its epoch. */
  vehiclePasskeyKeys: (v: string, epoch: number) => `${PREFIX}:{${vin(v)}}:passkeys:${epoch}`,
  /** Before issue 11's second footprint step: which vehicle a key belongs to ("VIN epoch"); read and dropped by retention, no longer written (its passkey's record lists the key: `givenKeys`). */
  keyVehicle: (keyId: string) => `${PREFIX}:{k:${id(keyId)}}:vin`,
  account: (accountId: string) => `${PREFIX}:{a:${id(accountId)}}:account`,
  /** Before issue 11's holder buckets: e-mail (hashed, so no input shapes the key) → account id (a UUID as 22 characters, or 36 in entries written earlier); read and released where it is, no longer written. */
  accountByEmail: (email: string) => `${PREFIX}:{e:${createHash('sha256').update(email.trim().toLowerCase()).digest('base64url')}}:account`,
  /** Before issue 11's holder buckets: a passkey record under its own key (WebAuthn credential id → public key, counter, account); read and changed where it is, no longer written. */
  passkey: (passkeyId: string) => `${PREFIX}:{p:${id(passkeyId)}}:passkey`,
  /** The scan pattern of every `passkey` key above (operator tools: server/store/bucketMove.ts). */
  passkeyPattern: () => `${PREFIX}:{p:*}:passkey`,
  /** A bucket of passkey records (hash passkeyId → record; server/store/holderBuckets.ts picks the bucket). */
  passkeyBucket: (bucket: string) => `${PREFIX}:{pb:${bucketName(bucket)}}:passkeys`,
  /** A bucket of the e-mail index (hash: 16 bytes of the address's SHA-256, base64url → account id). */
  emailBucket: (bucket: string) => `${PREFIX}:{eb:${bucketName(bucket)}}:emails`,
  /** This store's holder buckets: how many bits pick one, and the HMAC key that picks it (written at its first use; holderBuckets.ts). */
  holderLayout: () => `${PREFIX}:{layout}:holder-buckets`,
  /** Before issue 11: every key a passkey was given (list of "VIN keyId"); read, no longer written (see passkeyKeyIndex). */
  passkeyKeys: (passkeyId: string) => `${PREFIX}:{p:${id(passkeyId)}}:keys`,
  /** Before issue 11's footprint work: the keys a passkey was given (hash "VIN keyId" → ""); read and pruned, no longer written (the passkey record lists them: `givenKeys`). */
  passkeyKeyIndex: (passkeyId: string) => `${PREFIX}:{p:${id(passkeyId)}}:key-index`,
  /** A sharing invitation, under the SHA-256 of its code. */
  invitation: (codeDigest: string) => `${PREFIX}:{i:${id(codeDigest)}}:invitation`,
  /** A dealer invitation an operator made (single use, R-dealer enrolment), under the SHA-256 of its token. */
  dealerInvitation: (tokenDigest: string) => `${PREFIX}:{d:${id(tokenDigest)}}:dealer-invitation`,
  /** A session ended by logout before its expiry (value: anything; TTL until the token expires). */
  endedSession: (sessionId: string) => `${PREFIX}:{s:${id(sessionId)}}:ended`,
  /** A single-use WebAuthn ceremony challenge or enrollment token. */
  challenge: (challengeId: string) => `${PREFIX}:{c:${id(challengeId)}}:challenge`,
  /** Outbox of an account's notifications (R12). */
  outbox: (accountId: string) => `${PREFIX}:{a:${id(accountId)}}:outbox`,
  /** The pub/sub channel that carries new manifests to vehicles. */
  manifestChannel: () => `${PREFIX}:manifests`,
  /** Before retention by age: a vehicle's whole payment ledger in one list; read as its oldest part, no longer written. */
  vehiclePayments: (v: string) => `${PREFIX}:{${vin(v)}}:payments`,
  /** A vehicle's payment ledger of one calendar year (append-only list): every charge and refund of its subscriptions (R10, R11); it expires once LEDGER_RETENTION_YEARS have passed after that year. */
  vehiclePaymentsOfYear: (v: string, y: number) => `${PREFIX}:{${vin(v)}}:payments:${year(y)}`,
  /** Before retention by age: every ledger effect already written for a vehicle (hash effectId → time); still checked, no longer written. */
  vehicleEffectsDone: (v: string) => `${PREFIX}:{${vin(v)}}:effects-done`,
  /** Ledger effects of one calendar year (the year of the effect's time) already written (hash effectId → time), so a redone effect is a no-op; it expires with that year's ledger. */
  vehicleEffectsDoneOfYear: (v: string, y: number) => `${PREFIX}:{${vin(v)}}:effects-done:${year(y)}`,
  /** The lease a scheduler instance holds while it works on a vehicle's subscription (SET NX PX). */
  vehicleLease: (v: string) => `${PREFIX}:{${vin(v)}}:lease`,
  /** An account's payment cards: tokens, brand, last four digits, and which is primary (never a number). */
  paymentCards: (accountId: string) => `${PREFIX}:{a:${id(accountId)}}:cards`,
  /** Vehicles whose subscription an account pays (hash VIN → subscriptionId): the primary-card rule checks them. */
  accountSubscriptions: (accountId: string) => `${PREFIX}:{a:${id(accountId)}}:subscriptions`,
  /** Ids of the notifications already in an account's outbox (hash id → time): delivery is idempotent by id. */
  outboxIds: (accountId: string) => `${PREFIX}:{a:${id(accountId)}}:outbox-ids`,
  /** Open invitations of a vehicle (hash invitationId → SHA-256 of the code), for the main user's list. */
  vehicleInvitations: (v: string) => `${PREFIX}:{${vin(v)}}:invitations`,
  /** Before issue 11's footprint work: vehicles an account claimed (hash VIN → claim time); read and pruned, no longer written (the account's record lists them: `claimedVins`). */
  accountVehicles: (accountId: string) => `${PREFIX}:{a:${id(accountId)}}:vehicles`,
  /** Which notifications of the outbox the account has read (hash id → time). */
  outboxRead: (accountId: string) => `${PREFIX}:{a:${id(accountId)}}:outbox-read`,
  /** Before retention by age: an account's whole recovery and closure trail in one list; read as its oldest part, no longer written. */
  accountAudit: (accountId: string) => `${PREFIX}:{a:${id(accountId)}}:audit`,
  /** An account's recovery and closure trail (R13, R15) of one calendar year, append-only; it expires once AUDIT_RETENTION_YEARS have passed after that year. */
  accountAuditOfYear: (accountId: string, y: number) => `${PREFIX}:{a:${id(accountId)}}:audit:${year(y)}`,
  /** The SHA-256 of the account's live dealer recovery code (a new code replaces it, R15). */
  accountRecoveryCode: (accountId: string) => `${PREFIX}:{a:${id(accountId)}}:recovery-code`,
  /** A dealer recovery code, under its SHA-256 (R15): the store never holds a usable code. */
  recoveryCode: (codeDigest: string) => `${PREFIX}:{r:${id(codeDigest)}}:recovery-code`,
  /** A link sent by e-mail (verification or recovery), under the SHA-256 of its token. */
  emailLink: (tokenDigest: string) => `${PREFIX}:{l:${id(tokenDigest)}}:email-link`,
  /** Wrong recovery codes and links from one client address (under its SHA-256), R15. */
  recoveryGuesses: (clientDigest: string) => `${PREFIX}:{g:${id(clientDigest)}}:recovery-guesses`,
  /** The due index of time-driven subscription work (sorted set of "VIN|dueAt" by dueAt), one slot of its own. */
  subscriptionsDue: () => `${PREFIX}:{due}:subscriptions`,
} as const;
