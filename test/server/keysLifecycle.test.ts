/**
 * Keys lifecycle through the HTTP API: sharing (R3), every wipe rule (R4a–d), single-key revocation,
 * the lost phone (R6), the audit trail (R13), dealers' least privilege, and races between issuance
 * and wipes.
 */
import { passkeyPointOf } from '../support/passkeyPoint.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base64UrlToBytes } from '../../shared/base64url.js';
import { MAX_CREDENTIAL_LIFETIME_SECONDS, readKeyCredential } from '../../shared/credential/keyCredential.js';
import { revokedKeyDigestHex } from '../../shared/credential/revokedKeyDigest.js';
import { readStateManifest } from '../../shared/credential/stateManifest.js';
import { grantDealer } from '../../server/operator/grantDealer.js';
import { wipeVehicleKeys } from '../../server/keys/wipeVehicleKeys.js';
import type { IssuedKey, PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { codeOf, rawCall } from '../support/httpCalls.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

// Tests here move the clock (an invitation's TTL, a revoked key's 7 days in the manifest): each gets
// a fresh server and clock, so no test sees time another one moved.
let t: TestServer;
beforeEach(async () => {
  t = await startTestServer({ env: { MAX_SHARED_KEYS: '2' } });
});
afterEach(async () => {
  await t.close();
});

let n = 0;
const email = (who: string) => `${who}-${++n}@example.com`;
const nowS = () => Math.floor(t.clock.now() / 1000);
/** Credentials and manifests come from the API as base64url of their COSE bytes. */
const credentialOf = (text: string) => readKeyCredential(base64UrlToBytes(text));
const manifestOf = (text: string) => readStateManifest(base64UrlToBytes(text));

async function invite(owner: PhoneApp, vin: string, body: Record<string, unknown> = { perms: ['unlock', 'lock'] }) {
  return owner.api.request<{ invitationId: string; code: string; expiresAt: number }>('POST', `/v1/vehicles/${vin}/invitations`, body);
}

async function sharedUser(owner: PhoneApp, vin: string, body?: Record<string, unknown>): Promise<PhoneApp> {
  const { code } = await invite(owner, vin, body);
  const phone = t.phone();
  await phone.signUp(email('shared'), 'Shared');
  const issued = await phone.api.request<IssuedKey>('POST', `/v1/invitations/${code}/accept`, { passkeyId: phone.passkeyId });
  phone.wallet.put(vin, issued);
  return phone;
}

async function dealer(): Promise<PhoneApp> {
  const phone = t.phone();
  const address = email('dealer');
  await phone.signUp(address, 'Dealer');
  await grantDealer(t.app.ctx, address);
  return phone;
}

async function vehicleWithOwner() {
  const v = await t.provision();
  const owner = await t.mainUserWithKey(v.vin, v.odometerKm, email('owner'));
  return { ...v, owner };
}

async function audit(d: PhoneApp, vin: string) {
  return (await d.api.request<{ entries: Array<{ action: string; reason: string; keyIds: string[]; epoch: number; seq: number; actor: { role: string } }> }>('GET', `/v1/dealer/vehicles/${vin}/audit`)).entries;
}

describe('sharing (R3)', () => {
  it('R3: a shared user gets a credential whose perms and window are exactly the profile', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const notBefore = nowS() + 3600;
    const notAfter = nowS() + 7200;
    const shared = await sharedUser(owner, vin, { perms: ['unlock', 'lock'], notBefore, notAfter });
    const claims = credentialOf(shared.wallet.get(vin)!.credential);
    expect(claims).toMatchObject({ role: 'shared', perms: ['unlock', 'lock'], nbf: notBefore, exp: notAfter });
    expect(Buffer.from(claims.passkeyPoint).toString('hex')).toBe(Buffer.from(passkeyPointOf(shared)).toString('hex'));
  });

  it('R8: a credential is never issued more than its lifetime ahead of its nbf (a window starting in 50 h gets one only from 26 h on)', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const notBefore = nowS() + 50 * 3600;
    const { code } = await invite(owner, vin, { perms: ['unlock'], notBefore, notAfter: notBefore + 7200 });
    const phone = t.phone();
    await phone.signUp(email('early'), 'Early');
    const accepted = await phone.api.request<{ keyId: string; credential?: string; credentialFrom?: number; state: string }>('POST', `/v1/invitations/${code}/accept`, { passkeyId: phone.passkeyId });
    expect(accepted.credential).toBeUndefined();
    expect(accepted.credentialFrom).toBe(notBefore - t.config.CREDENTIAL_TTL);
    expect(await codeOf(phone.api.request('POST', `/v1/keys/${accepted.keyId}/credential`, {}))).toBe('NOT_YET_VALID');
    t.clock.set(accepted.credentialFrom! * 1000);
    await phone.logIn();
    const issued = await phone.api.request<{ credential: string }>('POST', `/v1/keys/${accepted.keyId}/credential`, {});
    const claims = credentialOf(issued.credential);
    expect(claims.nbf - claims.iat).toBeLessThanOrEqual(t.config.CREDENTIAL_TTL);
    expect(claims).toMatchObject({ nbf: notBefore, exp: notBefore + 7200 });
  });

  it('R3: an invitation is single-use — two concurrent accepts, exactly one wins', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const { code } = await invite(owner, vin);
    const a = t.phone();
    const b = t.phone();
    await a.signUp(email('a'), 'A');
    await b.signUp(email('b'), 'B');
    const results = await Promise.allSettled([a, b].map((p) => p.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: p.passkeyId })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason.code).toBe('INVITATION_INVALID');
  });

  it('R3: an invitation expires after INVITATION_TTL', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const { code } = await invite(owner, vin);
    t.clock.advance((t.config.INVITATION_TTL + 1) * 1000);
    const late = t.phone();
    await late.signUp(email('late'), 'Late');
    expect(await codeOf(late.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: late.passkeyId }))).toBe('INVITATION_INVALID');
  });

  it('R3: an invitation for an e-mail binds to that account only', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const meant = email('meant');
    const { code } = await invite(owner, vin, { perms: ['unlock'], email: meant });
    const other = t.phone();
    await other.signUp(email('other'), 'Other');
    expect(await codeOf(other.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: other.passkeyId }))).toBe('INVITATION_INVALID');
    const right = t.phone();
    await right.signUp(meant, 'Meant');
    // The address must be verified first (a sign-up with someone else's address never is).
    expect(await codeOf(right.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: right.passkeyId }))).toBe('EMAIL_NOT_VERIFIED');
    await t.verifyEmail(meant);
    await right.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: right.passkeyId });
  });

  it('R3: shared users cannot invite, cannot see or revoke other keys, and can remove their own key', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const shared = await sharedUser(owner, vin);
    const other = await sharedUser(owner, vin);
    expect(await codeOf(invite(shared, vin))).toBe('NOT_MAIN_USER');
    const own = await shared.api.request<{ keys: Array<{ keyId: string }> }>('GET', `/v1/vehicles/${vin}/keys`);
    expect(own.keys.map((k) => k.keyId)).toEqual([shared.wallet.get(vin)!.keyId]);
    expect(await codeOf(shared.api.request('DELETE', `/v1/vehicles/${vin}/keys/${other.wallet.get(vin)!.keyId}`))).toBe('KEY_NOT_FOUND');
    expect(await codeOf(shared.api.request('DELETE', `/v1/vehicles/${vin}/keys/${owner.wallet.get(vin)!.keyId}`))).toBe('KEY_NOT_FOUND');
    await shared.api.request('DELETE', `/v1/vehicles/${vin}/keys/${shared.wallet.get(vin)!.keyId}`);
    expect(await codeOf(shared.refresh(vin))).toBe('REVOKED');
    // R13: the audit trail names the shared user as the one who revoked it.
    expect((await audit(await dealer(), vin)).at(-1)).toMatchObject({ action: 'revoke', actor: { accountId: shared.accountId, role: 'shared' }, keyIds: [shared.wallet.get(vin)!.keyId] });
    const all = await owner.api.request<{ keys: unknown[] }>('GET', `/v1/vehicles/${vin}/keys`);
    expect(all.keys).toHaveLength(2);
  });

  it('at most MAX_SHARED_KEYS shared keys per vehicle; revoking one frees a place', async () => {
    const { vin, owner } = await vehicleWithOwner();
    await sharedUser(owner, vin);
    const second = await sharedUser(owner, vin);
    expect(await codeOf(invite(owner, vin))).toBe('SHARED_KEY_LIMIT');
    await owner.api.request('DELETE', `/v1/vehicles/${vin}/keys/${second.wallet.get(vin)!.keyId}`);
    await sharedUser(owner, vin);
  });

  it('concurrent accepts of different invitations never exceed MAX_SHARED_KEYS', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const codes = [(await invite(owner, vin)).code, (await invite(owner, vin)).code, (await invite(owner, vin)).code];
    const phones = await Promise.all(codes.map(async () => {
      const p = t.phone();
      await p.signUp(email('race'), 'Race');
      return p;
    }));
    const results = await Promise.allSettled(phones.map((p, i) => p.api.request('POST', `/v1/invitations/${codes[i]}/accept`, { passkeyId: p.passkeyId })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.code).toBe('SHARED_KEY_LIMIT');
  });
});

describe('wipes (R4) and single-key revocation', () => {
  it('R4a: the main user removing the vehicle wipes every key, shared ones included', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const shared = await sharedUser(owner, vin);
    const res = await owner.api.request<{ revokedKeyIds: string[]; epoch: number; seq: number }>('DELETE', `/v1/me/vehicles/${vin}`, {});
    expect(res.revokedKeyIds.sort()).toEqual([owner.wallet.get(vin)!.keyId, shared.wallet.get(vin)!.keyId].sort());
    expect(res.epoch).toBe(1);
    expect(await codeOf(owner.refresh(vin))).toBe('REVOKED');
    expect(await codeOf(shared.refresh(vin))).toBe('REVOKED');
    expect(await codeOf(owner.activateStandardServices(vin))).toBe('NOT_MAIN_USER');
    const d = await dealer();
    expect((await audit(d, vin)).at(-1)).toMatchObject({ action: 'wipe', reason: 'vehicle-removed', epoch: 1, actor: { role: 'main' } });
  });

  it('R5: selling the vehicle — the seller removes every key before the handover, and the buyer claims a vehicle with no key left', async () => {
    const v = await t.provision();
    const seller = await t.mainUserWithKey(v.vin, v.odometerKm, email('seller'));
    const family = await sharedUser(seller, v.vin);
    await seller.api.request('DELETE', `/v1/me/vehicles/${v.vin}`, {});
    const buyer = t.phone();
    await buyer.signUp(email('buyer'), 'Buyer');
    // Nothing is left to wipe: the seller already did it (R4a covers R5).
    expect(await buyer.claim(v.vin, { method: 'qr', qrToken: v.qrToken })).toMatchObject({ role: 'main', wiped: false });
    await buyer.activateStandardServices(v.vin);
    await buyer.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'trial' });
    await buyer.requestKey(v.vin);
    const keys = await buyer.api.request<{ keys: Array<{ accountId: string }>; epoch: number }>('GET', `/v1/vehicles/${v.vin}/keys`);
    expect(keys.keys.map((k) => k.accountId)).toEqual([buyer.accountId]);
    expect(keys.epoch).toBe(1);
    expect(await codeOf(seller.refresh(v.vin))).toBe('REVOKED');
    expect(await codeOf(family.refresh(v.vin))).toBe('REVOKED');
  });

  it('R4c: relinquishing the usage rights wipes every key', async () => {
    const { vin, owner } = await vehicleWithOwner();
    await sharedUser(owner, vin);
    await owner.api.request('DELETE', `/v1/me/vehicles/${vin}`, { reason: 'relinquish' });
    const d = await dealer();
    expect((await audit(d, vin)).at(-1)).toMatchObject({ reason: 'usage-relinquished', epoch: 1 });
    expect(await codeOf(owner.refresh(vin))).toBe('REVOKED');
  });

  it('R4b: the subscription ending wipes every key (the domain function the subscriptions work calls)', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const shared = await sharedUser(owner, vin);
    const out = await wipeVehicleKeys(t.app.ctx, { vin, reason: 'subscription-ended', actor: { accountId: null, role: 'system' } });
    expect(await out.listWipedKeyIds()).toHaveLength(2);
    expect(manifestOf(out.manifest)).toMatchObject({ ep: 1, seq: out.vehicle.seq });
    expect(await codeOf(shared.refresh(vin))).toBe('REVOKED');
    const d = await dealer();
    expect((await audit(d, vin)).at(-1)).toMatchObject({ reason: 'subscription-ended', actor: { role: 'system' } });
  });

  it('R4d: a shared user claiming the vehicle wipes every key, their own included', async () => {
    const v = await vehicleWithOwner();
    const shared = await sharedUser(v.owner, v.vin);
    expect(await shared.claim(v.vin, { method: 'qr', qrToken: v.qrToken })).toMatchObject({ wiped: true });
    expect(await codeOf(shared.refresh(v.vin))).toBe('REVOKED');
    expect(await codeOf(v.owner.refresh(v.vin))).toBe('REVOKED');
    await shared.activateStandardServices(v.vin);
    await shared.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'trial' });
    const fresh = await shared.requestKey(v.vin);
    expect(credentialOf(fresh.credential)).toMatchObject({ role: 'main', ep: 1 });
  });

  it('R4: an invitation made before a wipe dies with it', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const { code } = await invite(owner, vin);
    await wipeVehicleKeys(t.app.ctx, { vin, reason: 'subscription-ended', actor: { accountId: null, role: 'system' } });
    const p = t.phone();
    await p.signUp(email('after'), 'After');
    expect(await codeOf(p.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: p.passkeyId }))).toBe('INVITATION_INVALID');
  });

  it('a revoked key stays in the manifest until its last credential could have expired, then drops out', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const shared = await sharedUser(owner, vin);
    const keyId = shared.wallet.get(vin)!.keyId;
    await owner.api.request('DELETE', `/v1/vehicles/${vin}/keys/${keyId}`);
    const state = (await owner.refresh(vin)).state!;
    expect(manifestOf(state).revoked).toEqual([revokedKeyDigestHex(keyId)]);
    // Listed for the longest any credential may live (the verifiers' cap), not just today's TTL.
    t.clock.advance((t.config.CREDENTIAL_TTL + 61) * 1000);
    await owner.logIn();
    expect(manifestOf((await owner.refresh(vin)).state!).revoked).toEqual([revokedKeyDigestHex(keyId)]);
    t.clock.advance((MAX_CREDENTIAL_LIFETIME_SECONDS - t.config.CREDENTIAL_TTL) * 1000);
    await owner.logIn();
    expect(manifestOf((await owner.refresh(vin)).state!).revoked).toEqual([]);
  });

  it('an issuance racing a wipe either fails or carries the old epoch (the car then refuses it)', async () => {
    for (let round = 0; round < 5; round++) {
      const { vin, owner } = await vehicleWithOwner();
      const [refresh, wipe] = await Promise.allSettled([
        owner.api.request<{ credential: string }>('POST', `/v1/keys/${owner.wallet.get(vin)!.keyId}/credential`, {}),
        wipeVehicleKeys(t.app.ctx, { vin, reason: 'subscription-ended', actor: { accountId: null, role: 'system' } }),
      ]);
      expect(wipe.status).toBe('fulfilled');
      if (refresh.status === 'fulfilled') expect(credentialOf(refresh.value.credential).ep).toBeLessThan((wipe as PromiseFulfilledResult<{ vehicle: { epoch: number } }>).value.vehicle.epoch);
      else expect(['REVOKED', 'EPOCH_STALE']).toContain((refresh.reason as { code: string }).code);
    }
  });
});

describe('dealers (R6, R13)', () => {
  it('R6: a dealer revokes a lost phone: its keys go at once, on every vehicle, and its passkey no longer logs in', async () => {
    const a = await vehicleWithOwner();
    const b = await t.provision();
    // The same phone is also main user of a second vehicle.
    await a.owner.claim(b.vin, { method: 'odometer', odometerKm: b.odometerKm });
    await a.owner.activateStandardServices(b.vin);
    await a.owner.api.request('POST', `/v1/vehicles/${b.vin}/subscriptions`, { plan: 'trial' });
    await a.owner.requestKey(b.vin);
    // The owner's second phone keeps working.
    const second = t.phone();
    second.api.token = a.owner.api.token;
    const { challengeId, options } = await second.api.request<{ challengeId: string; options: never }>('POST', '/v1/me/passkeys/options', {});
    await second.api.request('POST', '/v1/me/passkeys', { challengeId, response: second.authenticator.createCredential(options, 'http://localhost:8080') });

    const d = await dealer();
    const res = await d.api.request<{ revokedKeyIds: string[]; epoch: number; seq: number }>('POST', `/v1/dealer/vehicles/${a.vin}/revocations`, { scope: 'passkey', passkeyId: a.owner.passkeyId, reason: 'phone stolen, police report 42' });
    expect(res.revokedKeyIds.sort()).toEqual([a.owner.wallet.get(a.vin)!.keyId, a.owner.wallet.get(b.vin)!.keyId].sort());
    expect(await codeOf(a.owner.api.request('GET', '/v1/me'))).toBe('PASSKEY_DISABLED');
    expect(await codeOf(a.owner.logIn())).toBe('PASSKEY_DISABLED');
    second.api.token = null;
    await second.logIn();
    const keys = await second.api.request<{ keys: unknown[] }>('GET', `/v1/vehicles/${a.vin}/keys`);
    expect(keys.keys).toEqual([]);
    const entries = await audit(d, a.vin);
    expect(entries.at(-1)).toMatchObject({ action: 'revoke', actor: { role: 'dealer' }, keyIds: [a.owner.wallet.get(a.vin)!.keyId] });
    expect(entries.at(-1)!.reason).toContain('phone stolen');
  });

  it('R6: a dealer wipes every key of a vehicle with a reason; R13: the audit trail says who, when, why, which keys, epoch and seq', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const shared = await sharedUser(owner, vin);
    const d = await dealer();
    const listed = await d.api.request<{ keys: Array<{ keyId: string }> }>('GET', `/v1/dealer/vehicles/${vin}/keys`);
    expect(listed.keys).toHaveLength(2);
    const res = await d.api.request<{ revokedKeyIds: string[]; epoch: number; seq: number }>('POST', `/v1/dealer/vehicles/${vin}/revocations`, { scope: 'all', reason: 'customer request at the desk' });
    expect(res.revokedKeyIds.sort()).toEqual([owner.wallet.get(vin)!.keyId, shared.wallet.get(vin)!.keyId].sort());
    const last = (await audit(d, vin)).at(-1)!;
    expect(last).toMatchObject({ action: 'wipe', reason: 'dealer-revoked-all', epoch: res.epoch, seq: res.seq, actor: { role: 'dealer', accountId: d.accountId } });
    expect(typeof (last as unknown as { at: number }).at).toBe('number');
  });

  it('a dealer can never issue or share a key; a non-dealer can never use the dealer API', async () => {
    const { vin, owner } = await vehicleWithOwner();
    const d = await dealer();
    expect(await codeOf(d.api.request('POST', `/v1/vehicles/${vin}/keys`, { passkeyId: d.passkeyId }))).toBe('FORBIDDEN');
    expect(await codeOf(d.api.request('POST', `/v1/vehicles/${vin}/invitations`, { perms: ['unlock'] }))).toBe('FORBIDDEN');
    expect(await codeOf(d.api.request('POST', `/v1/vehicles/${vin}/claims`, { method: 'odometer', odometerKm: 1, acceptTerms: true }))).toBe('FORBIDDEN');
    expect(await codeOf(owner.api.request('GET', `/v1/dealer/vehicles/${vin}/keys`))).toBe('FORBIDDEN');
    expect(await codeOf(owner.api.request('POST', `/v1/dealer/vehicles/${vin}/revocations`, { scope: 'all', reason: 'nope' }))).toBe('FORBIDDEN');
  });

  it('malformed dealer requests get 400 with a code', async () => {
    const { vin } = await vehicleWithOwner();
    const d = await dealer();
    for (const body of [{}, { scope: 'all' }, { scope: 'passkey', reason: 'lost' }, { scope: 'everything', reason: 'x x x' }]) {
      const res = await rawCall(t.baseUrl, 'POST', `/v1/dealer/vehicles/${vin}/revocations`, { body, token: d.api.token! });
      expect(res.status).toBe(400);
      expect(res.json?.error?.code).toBe('VALIDATION_FAILED');
    }
  });
});
