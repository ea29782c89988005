/**
 * Sign a fresh credential for a key its holder asks for (issuance and refresh, R8). A credential is
 * only signed while the key is alive in the vehicle's current epoch, not revoked, its passkey not
 * disabled, and Standard Services active (R1).
 *
 * Three store round trips at most, each a batch of reads: the session's checks (which read the
 * caller's passkey, whose record lists the keys it was given and so names the key's vehicle; beside
 * them the route starts reading the VIN index of a key made before that list existed), then the
 * vehicle (its epoch says where the key is), then the key — or, for an old key whose index names
 * its epoch, the key then the vehicle. The key's passkey and the holder's account (R15, main keys)
 * are read too unless the request's authentication read them already (the usual case: a phone
 * refreshing its own key). Every rule is judged on the vehicle read, and the credential and the
 * manifest are signed for it: a wipe or revocation that commits later is the car's to enforce, by
 * epoch and revocation list, as it is for every credential signed before it.
 *
 * With each credential go the keys its holder needs at the car, derived from the vehicle's link
 * secret (shared/ble/linkKeys.ts): the response key of this credential (the car authenticates its
 * answers with it) and the vehicle's advertising key (to find the car's rotating advertisement).
 */
import { assertPresenceProven } from '../accounts/presence.js';
import { credentialDigest, deriveAdvertisingKey, deriveResponseKey, linkSecretBytes } from '../../shared/ble/linkKeys.js';
import { epochSeconds } from '../../shared/clock.js';
import { bytesToBase64Url } from '../../shared/base64url.js';
import { issueKeyCredential } from '../../shared/credential/keyCredential.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isVin, type AccountId, type Base64Url, type KeyId } from '../../shared/ids.js';
import { assertActivePasskey, type AccountRecord, type PasskeyRecord } from '../accounts/accountRecord.js';
import type { AppContext } from '../appContext.js';
import { assertKeyAlive, credentialClaims } from '../domain/credentialClaims.js';
import type { DigitalKey, VehicleRecord } from '../domain/vehicleRecord.js';
import { homeListedBy, type KeyHome } from '../vehicles/vehicleRepository.js';
import type { SubscriptionGate } from '../subscriptions/subscriptionGate.js';

export interface IssuedCredential {
  keyId: KeyId;
  /** The key credential: base64url of its COSE bytes. */
  credential: string;
  /** The vehicle's current state manifest, for the phone to carry to the car. */
  state: string;
  expiresAt: number;
  /** This credential's response key: HMAC-SHA256(linkSecret, label ‖ SHA-256(credential)), base64url. */
  responseKey: Base64Url;
  /** The vehicle's advertising key (the same for every credential of the vehicle), base64url. */
  advertisingKey: Base64Url;
}

/** `gate.assertKeysAllowed`: R1 (Standard Services) and the subscription (R4b), on the vehicle document. */
export type CredentialForKeyDeps = Pick<AppContext, 'vehicles' | 'accounts' | 'manifests' | 'issuerKey' | 'config' | 'clock'> & {
  gate: Pick<SubscriptionGate, 'assertKeysAllowed'>;
};

export interface CredentialForKeyOpts {
  keyId: KeyId;
  /** The caller: only the key's holder gets its credential. */
  accountId: AccountId;
  /** Where the key lives, when the caller knows (a key just made) or has started reading its old VIN index (`vehicles.homeOfKey`). */
  home?: Promise<KeyHome | null>;
  /** The caller's account and session passkey as this request read them already (authentication): not read again. */
  known?: { account: AccountRecord; passkey: PasskeyRecord };
}

/**
 * Where the key lives: the caller's session passkey lists the keys it was given (the usual case:
 * authentication read it already), else the VIN index of keys made before issue 11's second
 * footprint step (`home`, which the route starts at once), else another passkey of the caller's.
 */
async function homeOf(ctx: CredentialForKeyDeps, opts: CredentialForKeyOpts): Promise<KeyHome | null> {
  const listed = opts.known ? homeListedBy(opts.known.passkey, opts.keyId) : null;
  if (listed) return listed;
  const indexed = await (opts.home ?? ctx.vehicles.homeOfKey(opts.keyId));
  if (indexed) return indexed;
  const account = opts.known?.account ?? (await ctx.accounts.find(opts.accountId));
  const others = (account?.passkeyIds ?? []).filter((id) => id !== opts.known?.passkey.passkeyId);
  // Every list a passkey has (its record's, and those kept before it), as retention and R6 read them.
  const given = (await Promise.all(others.map((id) => ctx.vehicles.keysGivenToPasskey(id)))).flat();
  const found = given.find((g) => g.keyId === opts.keyId && isVin(g.vin));
  return found ? { vin: found.vin } : null;
}

/**
 * The key as stored in its vehicle's current epoch (null when it is not there: wiped or revoked),
 * and the vehicle document when it had to be read first to find that epoch.
 */
async function currentKey(ctx: CredentialForKeyDeps, home: KeyHome, keyId: KeyId): Promise<{ key: DigitalKey | null; vehicle?: VehicleRecord }> {
  if (home.epoch !== undefined) {
    const key = await ctx.vehicles.key(home.vin, home.epoch, keyId);
    if (key !== null) return { key };
  }
  // The epoch is the vehicle's to say (a passkey's list names none; an old VIN index written before
  // it had one names none, a stale one the wrong one): read the key where the current epoch keeps it.
  const vehicle = await ctx.vehicles.get(home.vin);
  return { key: vehicle.epoch === home.epoch ? null : await ctx.vehicles.key(home.vin, vehicle.epoch, keyId), vehicle };
}

export async function credentialForKey(ctx: CredentialForKeyDeps, opts: CredentialForKeyOpts): Promise<IssuedCredential> {
  const home = await homeOf(ctx, opts);
  if (!home) throw new DigitalKeyError('KEY_NOT_FOUND');
  const found = await currentKey(ctx, home, opts.keyId);
  const key = found.key;
  // The key existed (something names it) but is not in the current epoch: wiped or revoked.
  if (!key) throw new DigitalKeyError('REVOKED');
  if (key.accountId !== opts.accountId) throw new DigitalKeyError('KEY_NOT_FOUND');

  const known = opts.known;
  const [vehicle, passkey, holder] = await Promise.all([
    found.vehicle ?? ctx.vehicles.get(home.vin),
    known?.passkey.passkeyId === key.passkeyId ? known.passkey : ctx.accounts.findPasskey(key.passkeyId),
    key.role !== 'main' ? null : known?.account.accountId === key.accountId ? known.account : ctx.accounts.find(key.accountId),
  ]);
  // A key of an epoch a wipe ended is gone, and answers as a key no longer there does.
  if (key.epoch !== vehicle.epoch) throw new DigitalKeyError('REVOKED');
  assertKeyAlive(vehicle, key);
  ctx.gate.assertKeysAllowed(vehicle);
  // R15: after an e-mail recovery, no main-user credential until presence at a car is proven.
  if (key.role === 'main') assertPresenceProven(holder);
  assertActivePasskey(passkey, key.accountId);

  const claims = credentialClaims({
    issuer: ctx.config.ISSUER,
    vehicle,
    key,
    passkey: { publicKey: passkey.publicKey },
    nowSeconds: epochSeconds(ctx.clock),
    ttlSeconds: ctx.config.CREDENTIAL_TTL,
  });
  const credential = bytesToBase64Url(await issueKeyCredential({ key: ctx.issuerKey, claims }));
  const linkSecret = linkSecretBytes(vehicle.linkSecret);
  return {
    keyId: key.keyId,
    credential,
    state: await ctx.manifests.sign(vehicle),
    expiresAt: claims.exp,
    responseKey: Buffer.from(deriveResponseKey(linkSecret, credentialDigest(credential))).toString('base64url'),
    advertisingKey: Buffer.from(deriveAdvertisingKey(linkSecret)).toString('base64url'),
  };
}
