/** Owner-journey helpers for HTTP tests: a second phone on an account, invitations accepted. */
import type { IssuedKey, PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import type { TestServer } from './testServer.js';
import { TEST_ORIGIN } from './testServer.js';

/** Register a second phone's passkey on `owner`'s account (with a label) and log that phone in. */
export async function addPhone(t: TestServer, owner: PhoneApp, label?: string): Promise<PhoneApp> {
  const second = t.phone();
  second.api.token = owner.api.token;
  const { challengeId, options } = await second.api.request<{ challengeId: string; options: never }>('POST', '/v1/me/passkeys/options', {});
  const response = second.authenticator.createCredential(options, TEST_ORIGIN);
  await second.api.request('POST', '/v1/me/passkeys', { challengeId, response, ...(label !== undefined ? { label } : {}) });
  second.api.token = null;
  await second.logIn();
  return second;
}

/** `owner` invites, `guest` accepts with its passkey: returns the shared key id. */
export async function shareKey(owner: PhoneApp, guest: PhoneApp, vin: string, body: Record<string, unknown> = { perms: ['unlock', 'lock'] }): Promise<string> {
  const { code } = await owner.api.request<{ code: string }>('POST', `/v1/vehicles/${vin}/invitations`, body);
  const issued = await guest.api.request<IssuedKey>('POST', `/v1/invitations/${code}/accept`, { passkeyId: guest.passkeyId });
  guest.wallet.put(vin, issued);
  return issued.keyId;
}

/** A provisioned vehicle, its main user holding a key, and a second signed-up account (`who`-VIN@example.com). */
export async function ownerAndAnother(t: TestServer, who: string) {
  const v = await t.provision();
  const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
  const other = t.phone();
  await other.signUp(`${who}-${v.vin}@example.com`, who);
  return { v, owner, other };
}
