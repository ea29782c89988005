/**
 * The rules that involve the car, end to end: server-issued credentials over noble to a simulated
 * car; the car verifying offline (R7); shared keys limited to their profile (R3); every wipe and
 * revocation reaching the car — through the sync channel or through any honest phone's manifest —
 * and refusing the old keys over BLE (R4, R6), while the new owner's new key works.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { base64UrlToBytes } from '../../shared/base64url.js';
import { readKeyCredential } from '../../shared/credential/keyCredential.js';
import { revokedKeyDigestHex } from '../../shared/credential/revokedKeyDigest.js';
import type { IssuedKey, PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { grantDealer } from '../../server/operator/grantDealer.js';
import { startFullStack, type FullStack } from '../support/fullStack.js';
import { POLL } from '../support/poll.js';

let stack: FullStack | undefined;
afterEach(async () => {
  await stack?.cleanup();
  stack = undefined;
});

let n = 0;
const email = (who: string) => `${who}-e2e-${++n}@example.com`;

/** A trial where the vehicle still has one, else a paid monthly plan on a test card (R9, R10). */
async function subscribe(phone: PhoneApp, vin: string): Promise<void> {
  try {
    await phone.api.request('POST', `/v1/vehicles/${vin}/subscriptions`, { plan: 'trial' });
  } catch (err) {
    if ((err as { code?: string }).code !== 'TRIAL_UNAVAILABLE') throw err;
    await phone.api.request('POST', '/v1/me/cards', { number: '4242424242424242', expMonth: 12, expYear: 2030 });
    await phone.api.request('POST', `/v1/vehicles/${vin}/subscriptions`, { plan: 'monthly' });
  }
}

async function owner(s: FullStack, vin: string, proof: { method: 'odometer'; odometerKm: number } | { method: 'qr'; qrToken: string }): Promise<PhoneApp> {
  const phone = s.t.phone();
  await phone.signUp(email('owner'), 'Owner');
  await phone.claim(vin, proof);
  await phone.activateStandardServices(vin);
  await subscribe(phone, vin);
  await phone.requestKey(vin);
  return phone;
}

async function shared(s: FullStack, main: PhoneApp, vin: string, profile: Record<string, unknown>): Promise<PhoneApp> {
  const { code } = await main.api.request<{ code: string }>('POST', `/v1/vehicles/${vin}/invitations`, profile);
  const phone = s.t.phone();
  await phone.signUp(email('shared'), 'Shared');
  const accepted = await phone.api.request<Partial<IssuedKey> & { keyId: string; state: string }>('POST', `/v1/invitations/${code}/accept`, { passkeyId: phone.passkeyId });
  // A window starting more than a credential lifetime ahead has no credential yet (credentialFrom).
  // A credential comes with its expiry and keys.
  if (accepted.credential !== undefined) phone.wallet.put(vin, accepted as IssuedKey);
  else phone.wallet.put(vin, { keyId: accepted.keyId, credential: '', expiresAt: 0, state: accepted.state, responseKey: '', advertisingKey: '' });
  return phone;
}

describe('server-issued keys over BLE', () => {
  it('R14, R7: unlock, lock and start with a server-issued credential; with the server stopped the car still verifies offline', async () => {
    stack = await startFullStack();
    const v = await stack.provisionCar();
    const phone = stack.phone(await owner(stack, v.vin, { method: 'odometer', odometerKm: v.odometerKm }));
    for (const cmd of ['unlock', 'lock', 'start'] as const) expect((await phone.send(v.vin, cmd)).response).toMatchObject({ ok: true, code: 'OK', cmd });
    await stack.t.close();
    expect((await phone.send(v.vin, 'unlock')).response).toMatchObject({ ok: true, vehicle: { locked: false, engine: true } });
  });

  it('R8: once the credential has expired the car refuses it (EXPIRED) until the phone refreshes it online', async () => {
    stack = await startFullStack();
    const v = await stack.provisionCar();
    const phone = stack.phone(await owner(stack, v.vin, { method: 'odometer', odometerKm: v.odometerKm }));
    stack.t.clock.advance((stack.t.config.CREDENTIAL_TTL + 120) * 1000);
    expect((await phone.send(v.vin, 'unlock')).response.code).toBe('EXPIRED');
    await phone.app.logIn();
    await phone.app.refresh(v.vin);
    expect((await phone.send(v.vin, 'unlock')).response.ok).toBe(true);
  });

  it('R3: a shared key works only within its profile: other commands PERMISSION_DENIED, before its window NOT_YET_VALID, after it EXPIRED', async () => {
    stack = await startFullStack();
    const v = await stack.provisionCar();
    const main = await owner(stack, v.vin, { method: 'odometer', odometerKm: v.odometerKm });
    const now = Math.floor(stack.t.clock.now() / 1000);
    const guest = stack.phone(await shared(stack, main, v.vin, { perms: ['unlock', 'lock'], notBefore: now + 3600, notAfter: now + 7200 }));
    expect((await guest.send(v.vin, 'unlock')).response.code).toBe('NOT_YET_VALID');
    stack.t.clock.advance(3700 * 1000);
    expect((await guest.send(v.vin, 'unlock')).response).toMatchObject({ ok: true, code: 'OK' });
    expect((await guest.send(v.vin, 'start')).response.code).toBe('PERMISSION_DENIED');
    expect((await guest.send(v.vin, 'trunk')).response.code).toBe('PERMISSION_DENIED');
    stack.t.clock.advance(3600 * 1000);
    expect((await guest.send(v.vin, 'lock')).response.code).toBe('EXPIRED');
  });
});

describe('revocation reaches the car', () => {
  it('R4d: after a shared user claims the vehicle, the old owner\'s and shared users\' phones are refused with EPOCH_STALE while the new owner\'s new key works', async () => {
    stack = await startFullStack();
    const v = await stack.provisionCar();
    const main = stack.phone(await owner(stack, v.vin, { method: 'odometer', odometerKm: v.odometerKm }));
    const guestApp = await shared(stack, main.app, v.vin, { perms: ['unlock', 'lock'] });
    const otherGuest = stack.phone(await shared(stack, main.app, v.vin, { perms: ['unlock'] }));
    expect((await otherGuest.send(v.vin, 'unlock')).response.ok).toBe(true);

    // The first shared user claims the vehicle with the QR code in the car (R4d): every key is wiped.
    await guestApp.claim(v.vin, { method: 'qr', qrToken: v.qrToken });
    await guestApp.activateStandardServices(v.vin);
    await subscribe(guestApp, v.vin);
    await guestApp.requestKey(v.vin);
    const newOwner = stack.phone(guestApp);
    // The car is offline from the server: it learns the new epoch from the new owner's phone.
    expect((await newOwner.send(v.vin, 'unlock')).response).toMatchObject({ ok: true, code: 'OK' });
    expect(v.car.state.ep).toBe(1);
    expect((await main.send(v.vin, 'unlock', { withState: false })).response.code).toBe('EPOCH_STALE');
    expect((await otherGuest.send(v.vin, 'unlock', { withState: false })).response.code).toBe('EPOCH_STALE');
    expect((await newOwner.send(v.vin, 'start')).response.ok).toBe(true);
  });

  it('R4a: removing the vehicle reaches a car on the sync channel; the old keys are refused', async () => {
    stack = await startFullStack();
    const v = await stack.provisionCar();
    const main = stack.phone(await owner(stack, v.vin, { method: 'odometer', odometerKm: v.odometerKm }));
    const sync = stack.sync(v.vin, v.vehiclePrivateJwk);
    await expect.poll(() => sync.lastSeq, POLL).toBe(0); // sync connected
    await main.app.api.request('DELETE', `/v1/me/vehicles/${v.vin}`, {});
    await expect.poll(() => v.car.state.ep, POLL).toBe(1); // the car applied the wipe
    expect((await main.send(v.vin, 'unlock', { withState: false })).response.code).toBe('EPOCH_STALE');
  });

  it('single-key revocation: the shared user\'s key is refused with REVOKED once the car has the manifest; the main key keeps working', async () => {
    stack = await startFullStack();
    const v = await stack.provisionCar();
    const main = stack.phone(await owner(stack, v.vin, { method: 'odometer', odometerKm: v.odometerKm }));
    const guest = stack.phone(await shared(stack, main.app, v.vin, { perms: ['unlock'] }));
    expect((await guest.send(v.vin, 'unlock')).response.ok).toBe(true);
    await main.app.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${guest.app.wallet.get(v.vin)!.keyId}`);
    // The car is offline; the main user's phone refreshes and carries the new manifest to it.
    await main.app.refresh(v.vin);
    expect((await main.send(v.vin, 'lock')).response.ok).toBe(true);
    expect((await guest.send(v.vin, 'unlock', { withState: false })).response.code).toBe('REVOKED');
    // A restart from the state file keeps the revocation.
    await v.car.stop();
    await v.car.start();
    expect((await guest.send(v.vin, 'unlock', { withState: false })).response.code).toBe('REVOKED');
  });

  it('a shared key with a future window, revoked before its window opens, stays refused when it opens (REVOKED), even after later manifests', async () => {
    stack = await startFullStack();
    const v = await stack.provisionCar();
    const main = stack.phone(await owner(stack, v.vin, { method: 'odometer', odometerKm: v.odometerKm }));
    const DAY = 86_400;
    const now = Math.floor(stack.t.clock.now() / 1000);
    const revokedGuest = stack.phone(await shared(stack, main.app, v.vin, { perms: ['unlock'], notBefore: now + 5 * DAY, notAfter: now + 10 * DAY }));
    const otherGuest = await shared(stack, main.app, v.vin, { perms: ['unlock'] });
    // Day 4: the guest may now get its credential (never more than one lifetime ahead of its nbf)…
    stack.t.clock.advance(4 * DAY * 1000 + 60_000);
    await revokedGuest.app.logIn();
    await revokedGuest.app.refresh(v.vin);
    expect(readKeyCredential(base64UrlToBytes(revokedGuest.app.wallet.get(v.vin)!.credential)).nbf).toBe(now + 5 * DAY);
    // …and is revoked before its window opens.
    await main.app.logIn();
    await main.app.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${revokedGuest.app.wallet.get(v.vin)!.keyId}`);
    await main.app.refresh(v.vin);
    expect((await main.send(v.vin, 'lock')).response.ok).toBe(true);
    // Hours later another key is revoked: a newer manifest replaces the one the car has.
    stack.t.clock.advance(DAY * 1000 / 2);
    await main.app.logIn();
    await main.app.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${otherGuest.wallet.get(v.vin)!.keyId}`);
    await main.app.refresh(v.vin);
    expect((await main.send(v.vin, 'lock')).response.ok).toBe(true);
    // Day 5: the revoked guest's credential becomes valid — and must still be refused.
    stack.t.clock.advance(DAY * 1000 / 2);
    expect((await revokedGuest.send(v.vin, 'unlock', { withState: false })).response.code).toBe('REVOKED');
  });

  it('R6: a dealer revokes a lost phone; the car on the sync channel refuses it with REVOKED; the phone cannot log in for a new credential', async () => {
    stack = await startFullStack();
    const v = await stack.provisionCar();
    const lost = stack.phone(await owner(stack, v.vin, { method: 'odometer', odometerKm: v.odometerKm }));
    const sync = stack.sync(v.vin, v.vehiclePrivateJwk);
    await expect.poll(() => sync.lastSeq, POLL).toBe(0); // sync connected
    const dealer = stack.t.phone();
    const dealerEmail = email('dealer');
    await dealer.signUp(dealerEmail, 'Dealer');
    await grantDealer(stack.t.app.ctx, dealerEmail);
    await dealer.api.request('POST', `/v1/dealer/vehicles/${v.vin}/revocations`, { scope: 'passkey', passkeyId: lost.app.passkeyId, reason: 'stolen phone' });
    await expect.poll(() => v.car.state.revoked, POLL).toEqual([revokedKeyDigestHex(lost.app.wallet.get(v.vin)!.keyId)]); // the car applied the revocation (it keeps digests)
    expect((await lost.send(v.vin, 'unlock', { withState: false })).response.code).toBe('REVOKED');
    await expect(lost.app.logIn()).rejects.toMatchObject({ code: 'PASSKEY_DISABLED' });
  });
});
