/**
 * Sign a fresh credential for a key its holder asks for (issuance and refresh, R8). A credential is
 * only signed while the key is alive in the vehicle's current epoch, not revoked, its passkey not
 * disabled, and Standard Services active (R1); after signing, the vehicle is read again so a wipe or
 * revocation that committed meanwhile ends this issuance too (the credential would be refused by
 * its epoch anyway, once the car learns of the wipe). The epoch and revocation of the key itself
 * are checked by credentialClaims on the document read first.
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
import type { AccountId, Base64Url, KeyId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { credentialClaims } from '../domain/credentialClaims.js';
import type { DigitalKey, VehicleRecord } from '../domain/vehicleRecord.js';
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

function assertStillValid(vehicle: VehicleRecord, key: DigitalKey): void {
  if (vehicle.epoch !== key.epoch) throw new DigitalKeyError('EPOCH_STALE');
  if (vehicle.revoked.some((r) => r.keyId === key.keyId)) throw new DigitalKeyError('REVOKED');
}

/** `gate.assertKeysAllowed`: R1 (Standard Services) and the subscription (R4b), on the vehicle document. */
export type CredentialForKeyDeps = Pick<AppContext, 'vehicles' | 'accounts' | 'manifests' | 'issuerKey' | 'config' | 'clock'> & {
  gate: Pick<SubscriptionGate, 'assertKeysAllowed'>;
};

export interface CredentialForKeyOpts {
  keyId: KeyId;
  /** The caller: only the key's holder gets its credential. */
  accountId: AccountId;
}

export async function credentialForKey(ctx: CredentialForKeyDeps, opts: CredentialForKeyOpts): Promise<IssuedCredential> {
  const vin = await ctx.vehicles.vinOfKey(opts.keyId);
  if (!vin) throw new DigitalKeyError('KEY_NOT_FOUND');
  const vehicle = await ctx.vehicles.get(vin);
  const key = await ctx.vehicles.key(vin, vehicle.epoch, opts.keyId);
  if (!key) {
    // The key existed (its VIN index is there) but is not in the current epoch: wiped or revoked.
    throw new DigitalKeyError('REVOKED');
  }
  if (key.accountId !== opts.accountId) throw new DigitalKeyError('KEY_NOT_FOUND');
  if (key.role === 'main' && vehicle.mainUser?.accountId !== key.accountId) throw new DigitalKeyError('REVOKED');
  ctx.gate.assertKeysAllowed(vehicle);
  // R15: after an e-mail recovery, no main-user credential until presence at a car is proven.
  if (key.role === 'main') assertPresenceProven(await ctx.accounts.find(key.accountId));
  const passkey = await ctx.accounts.activePasskeyOf(key.accountId, key.passkeyId);

  const claims = credentialClaims({
    issuer: ctx.config.ISSUER,
    vehicle,
    key,
    passkey: { publicKey: passkey.publicKey },
    nowSeconds: epochSeconds(ctx.clock),
    ttlSeconds: ctx.config.CREDENTIAL_TTL,
  });
  const credential = bytesToBase64Url(await issueKeyCredential({ key: ctx.issuerKey, claims }));

  const after = await ctx.vehicles.get(vin);
  assertStillValid(after, key);
  const linkSecret = linkSecretBytes(vehicle.linkSecret);
  return {
    keyId: key.keyId,
    credential,
    state: await ctx.manifests.sign(after),
    expiresAt: claims.exp,
    responseKey: Buffer.from(deriveResponseKey(linkSecret, credentialDigest(credential))).toString('base64url'),
    advertisingKey: Buffer.from(deriveAdvertisingKey(linkSecret)).toString('base64url'),
  };
}
