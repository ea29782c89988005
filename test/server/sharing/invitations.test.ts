/**
 * Invitations for the portal (issue 8, R3): the main user's open invitations (list, revoke), the
 * preview an acceptance page shows, and invitations bound to an e-mail needing that address verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, rawCall } from '../../support/httpCalls.js';
import { shareKey } from '../../support/ownerFixtures.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

type Invitation = { invitationId: string; vin: string; perms: string[]; notBefore?: number; notAfter?: number; email?: string; createdAt: number; expiresAt: number };

describe('open invitations', () => {
  it('R3: the main user lists open invitations and revokes one (its code stops working); accepted, expired and wiped ones are not listed', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const now = Math.floor(t.clock.now() / 1000);
    const a = await owner.api.request<{ invitationId: string; code: string }>('POST', `/v1/vehicles/${v.vin}/invitations`, { perms: ['unlock'], notBefore: now, notAfter: now + 3600, email: 'friend@example.com' });
    const b = await owner.api.request<{ invitationId: string; code: string }>('POST', `/v1/vehicles/${v.vin}/invitations`, { perms: ['lock'] });
    const listed = await owner.api.request<{ invitations: Invitation[] }>('GET', `/v1/vehicles/${v.vin}/invitations`);
    expect(listed.invitations.map((i) => i.invitationId).sort()).toEqual([a.invitationId, b.invitationId].sort());
    expect(listed.invitations.find((i) => i.invitationId === a.invitationId)).toMatchObject({ perms: ['unlock'], notBefore: now, notAfter: now + 3600, email: 'friend@example.com' });

    expect(await rawCall(t.baseUrl, 'DELETE', `/v1/vehicles/${v.vin}/invitations/${a.invitationId}`, { token: owner.api.token! })).toMatchObject({ status: 204 });
    expect(await codeOf(owner.api.request('DELETE', `/v1/vehicles/${v.vin}/invitations/${a.invitationId}`))).toBe('NOT_FOUND');
    const guest = t.phone();
    await guest.signUp(`inv-guest-${v.vin}@example.com`, 'Guest');
    expect(await codeOf(guest.api.request('POST', `/v1/invitations/${a.code}/accept`, { passkeyId: guest.passkeyId }))).toBe('INVITATION_INVALID');
    // Accepted: no longer open.
    await guest.api.request('POST', `/v1/invitations/${b.code}/accept`, { passkeyId: guest.passkeyId });
    expect((await owner.api.request<{ invitations: Invitation[] }>('GET', `/v1/vehicles/${v.vin}/invitations`)).invitations).toEqual([]);
    // Expired: not listed.
    await owner.api.request('POST', `/v1/vehicles/${v.vin}/invitations`, { perms: ['lock'] });
    t.clock.advance((t.config.INVITATION_TTL + 1) * 1000);
    await owner.logIn();
    expect((await owner.api.request<{ invitations: Invitation[] }>('GET', `/v1/vehicles/${v.vin}/invitations`)).invitations).toEqual([]);
  });

  it('R3: only the main user lists or revokes invitations (NOT_MAIN_USER); malformed ids are 400', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const guest = t.phone();
    await guest.signUp(`inv-shared-${v.vin}@example.com`, 'Shared');
    await shareKey(owner, guest, v.vin);
    const { invitationId } = await owner.api.request<{ invitationId: string }>('POST', `/v1/vehicles/${v.vin}/invitations`, { perms: ['lock'] });
    expect(await codeOf(guest.api.request('GET', `/v1/vehicles/${v.vin}/invitations`))).toBe('NOT_MAIN_USER');
    expect(await codeOf(guest.api.request('DELETE', `/v1/vehicles/${v.vin}/invitations/${invitationId}`))).toBe('NOT_MAIN_USER');
    const bad = await rawCall(t.baseUrl, 'DELETE', `/v1/vehicles/${v.vin}/invitations/not-a-uuid`, { token: owner.api.token! });
    expect([bad.status, bad.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});

describe('invitation preview', () => {
  it('says who invites, for which car, which commands and which window, without using the code up or showing the bound address', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    await owner.api.request('PATCH', '/v1/me', { displayName: 'Anna Peeters' });
    const now = Math.floor(t.clock.now() / 1000);
    const { code, invitationId } = await owner.api.request<{ code: string; invitationId: string }>('POST', `/v1/vehicles/${v.vin}/invitations`, { perms: ['unlock', 'lock'], notBefore: now, notAfter: now + 7200, email: 'bound@example.com' });
    const preview = await rawCall(t.baseUrl, 'GET', `/v1/invitations/${code}`);
    expect(preview.status).toBe(200);
    expect(preview.json).toEqual({ invitationId, vin: v.vin, invitedBy: { displayName: 'Anna Peeters' }, perms: ['unlock', 'lock'], notBefore: now, notAfter: now + 7200, expiresAt: expect.any(Number), emailBound: true });
    expect(JSON.stringify(preview.json)).not.toContain('bound@example.com');
    // Still acceptable after the preview: the bound account accepts once its address is verified.
    const bound = t.phone();
    await bound.signUp('bound@example.com', 'Bound');
    expect(await codeOf(bound.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: bound.passkeyId }))).toBe('EMAIL_NOT_VERIFIED');
    await t.verifyEmail('bound@example.com');
    await bound.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: bound.passkeyId });
    const used = await rawCall(t.baseUrl, 'GET', `/v1/invitations/${code}`);
    expect([used.status, used.json?.error?.code]).toEqual([410, 'INVITATION_INVALID']);
  });

  it('an invitation ended by a wipe or with an unknown code previews as INVITATION_INVALID; a malformed code is 400', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const { code } = await owner.api.request<{ code: string }>('POST', `/v1/vehicles/${v.vin}/invitations`, { perms: ['lock'] });
    await owner.api.request('DELETE', `/v1/me/vehicles/${v.vin}`, {});
    for (const c of [code, 'C'.repeat(32)]) {
      const res = await rawCall(t.baseUrl, 'GET', `/v1/invitations/${c}`);
      expect([res.status, res.json?.error?.code]).toEqual([410, 'INVITATION_INVALID']);
    }
    const bad = await rawCall(t.baseUrl, 'GET', '/v1/invitations/short');
    expect([bad.status, bad.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
