/**
 * Mijn Profiel over HTTP (issue 8): profile and language, e-mail verification and change, passkeys
 * (label, last used, removal ending their keys everywhere as R6 does), the inbox, the owner's
 * vehicles and keys, and closing the account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removePasskey } from '../../../server/accounts/removePasskey.js';
import { grantDealer } from '../../../server/operator/grantDealer.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { codeOf, rawCall } from '../../support/httpCalls.js';
import { addPhone, shareKey } from '../../support/ownerFixtures.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

interface Profile {
  accountId: string;
  email: string;
  emailVerified: boolean;
  pendingEmail: string | null;
  displayName: string;
  language: string | null;
  timeZone: string | null;
  presenceRequired: boolean;
  passkeys: Array<{ passkeyId: string; label: string | null; createdAt: number; lastUsedAt: number | null; disabled: unknown; current: boolean }>;
}

describe('profile', () => {
  it('changes display name, language and time zone; the profile says the address is not verified until the link is used', async () => {
    const p = t.phone();
    await p.signUp('prof@example.com', 'Prof');
    const before = await p.api.request<Profile>('GET', '/v1/me');
    expect(before).toMatchObject({ email: 'prof@example.com', emailVerified: false, pendingEmail: null, language: null, timeZone: null, presenceRequired: false });
    const after = await p.api.request<Profile>('PATCH', '/v1/me', { displayName: 'Prof. Dr.', language: 'fr', timeZone: 'Europe/Brussels' });
    expect(after).toMatchObject({ displayName: 'Prof. Dr.', language: 'fr', timeZone: 'Europe/Brussels' });
    await t.verifyEmail('prof@example.com');
    expect(await p.api.request<Profile>('GET', '/v1/me')).toMatchObject({ emailVerified: true, displayName: 'Prof. Dr.' });
  });

  it.each([
    ['an unknown language', { language: 'de' }],
    ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons' }],
    ['an empty change', {}],
    ['an unknown field', { dealer: true }],
    ['a malformed address', { email: 'not-an-address' }],
    ['an empty display name', { displayName: '  ' }],
  ])('PATCH /v1/me with %s is 400 VALIDATION_FAILED', async (_what, body) => {
    const p = t.phone();
    await p.signUp(`bad-${Math.random().toString(36).slice(2)}@example.com`, 'B');
    const res = await rawCall(t.baseUrl, 'PATCH', '/v1/me', { token: p.api.token!, body });
    expect([res.status, res.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('a verification link is single-use and expires', async () => {
    const p = t.phone();
    await p.signUp('once@example.com', 'O');
    const token = t.mailbox.tokenFor('once@example.com', 'verify-email');
    expect((await rawCall(t.baseUrl, 'POST', '/v1/email-verifications', { body: { token } })).status).toBe(200);
    const again = await rawCall(t.baseUrl, 'POST', '/v1/email-verifications', { body: { token } });
    expect([again.status, again.json?.error?.code]).toEqual([410, 'VERIFICATION_INVALID']);

    const q = t.phone();
    await q.signUp('late@example.com', 'L');
    t.clock.advance((t.config.EMAIL_VERIFICATION_TTL + 1) * 1000);
    const late = await rawCall(t.baseUrl, 'POST', '/v1/email-verifications', { body: { token: t.mailbox.tokenFor('late@example.com', 'verify-email') } });
    expect([late.status, late.json?.error?.code]).toEqual([410, 'VERIFICATION_INVALID']);
    // A new link can be asked for.
    await q.logIn();
    expect((await rawCall(t.baseUrl, 'POST', '/v1/me/email-verifications', { token: q.api.token!, body: {} })).status).toBe(202);
    await t.verifyEmail('late@example.com');
    expect(await q.api.request<Profile>('GET', '/v1/me')).toMatchObject({ emailVerified: true });
    // Malformed tokens never reach the store.
    const bad = await rawCall(t.baseUrl, 'POST', '/v1/email-verifications', { body: { token: 'x' } });
    expect([bad.status, bad.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('an e-mail change stays pending until the new address is verified; then the old address is told and released', async () => {
    const p = t.phone();
    await p.signUp('old@example.com', 'Mover');
    await t.verifyEmail('old@example.com');
    const pending = await p.api.request<Profile>('PATCH', '/v1/me', { email: 'New@Example.com' });
    expect(pending).toMatchObject({ email: 'old@example.com', emailVerified: true, pendingEmail: 'new@example.com' });
    await t.verifyEmail('new@example.com');
    expect(await p.api.request<Profile>('GET', '/v1/me')).toMatchObject({ email: 'new@example.com', emailVerified: true, pendingEmail: null });
    expect(t.mailbox.to('old@example.com').map((m) => m.message.kind)).toContain('email-changed');
    expect(await t.app.ctx.accounts.ownerOfEmail('new@example.com')).toBe(p.accountId);
    expect(await t.app.ctx.accounts.ownerOfEmail('old@example.com')).toBeNull();
  });

  it("asking for another account's address answers the same, sends that address no link, and tells its owner", async () => {
    const owner = t.phone();
    await owner.signUp('taken@example.com', 'Owner');
    const other = t.phone();
    await other.signUp('grabber@example.com', 'Grabber');
    const pending = await other.api.request<Profile>('PATCH', '/v1/me', { email: 'taken@example.com' });
    expect(pending.pendingEmail).toBe('taken@example.com');
    expect(t.mailbox.to('taken@example.com').map((m) => [m.accountId, m.message.kind])).toEqual([
      [owner.accountId, 'verify-email'],
      [owner.accountId, 'email-change-attempt'],
    ]);
    await other.api.request('POST', '/v1/me/email-verifications', {});
    expect(t.mailbox.to('taken@example.com')).toHaveLength(2);
    expect(await t.app.ctx.accounts.ownerOfEmail('taken@example.com')).toBe(owner.accountId);
  });
});

describe('sign-up does not tell whether an address has an account', () => {
  it('answers a known and an unknown address with the same status and the same fields; only the address owner learns of it, by e-mail', async () => {
    const owner = t.phone();
    await owner.signUp('known@example.com', 'Known');
    const known = await rawCall(t.baseUrl, 'POST', '/v1/accounts', { body: { email: 'known@example.com', displayName: 'X' } });
    const unknown = await rawCall(t.baseUrl, 'POST', '/v1/accounts', { body: { email: 'unknown@example.com', displayName: 'X' } });
    expect(known.status).toBe(201);
    expect(unknown.status).toBe(201);
    expect(Object.keys(known.json!).sort()).toEqual(Object.keys(unknown.json!).sort());
    expect(Object.keys(known.json!.options as object).sort()).toEqual(Object.keys(unknown.json!.options as object).sort());
    expect(known.json!.accountId).not.toBe(owner.accountId);
    expect(t.mailbox.to('known@example.com').map((m) => m.message.kind)).toEqual(['verify-email', 'sign-up-attempt']);
  });

  it('the second account can enroll a passkey and log in, but its address stays unverified and the owner keeps it', async () => {
    const owner = t.phone();
    await owner.signUp('keeper@example.com', 'Keeper');
    await t.verifyEmail('keeper@example.com');
    const second = t.phone();
    await second.signUp('keeper@example.com', 'Squatter');
    const profile = await second.api.request<Profile>('GET', '/v1/me');
    expect(profile).toMatchObject({ email: 'keeper@example.com', emailVerified: false, pendingEmail: null });
    expect(await second.api.request('GET', '/v1/me/notifications')).toEqual({ notifications: [], unread: 0 });
    await second.api.request('POST', '/v1/me/email-verifications', {});
    expect(t.mailbox.to('keeper@example.com').filter((m) => m.accountId === second.accountId)).toEqual([]);
    expect(await t.app.ctx.accounts.ownerOfEmail('keeper@example.com')).toBe(owner.accountId);
  });
});

describe('passkeys', () => {
  it('lists passkeys with label, added on, last used and the current one; renames one', async () => {
    const p = t.phone();
    await p.signUp('keys@example.com', 'K');
    const t0 = t.clock.now();
    t.clock.advance(60_000);
    const second = await addPhone(t, p, 'Pixel 8');
    const { passkeys } = await second.api.request<{ passkeys: Profile['passkeys'] }>('GET', '/v1/me/passkeys');
    expect(passkeys).toEqual([
      expect.objectContaining({ passkeyId: p.passkeyId, label: null, createdAt: t0, lastUsedAt: null, disabled: null, current: false }),
      expect.objectContaining({ passkeyId: second.passkeyId, label: 'Pixel 8', lastUsedAt: t0 + 60_000, disabled: null, current: true }),
    ]);
    expect(await p.api.request('PATCH', `/v1/me/passkeys/${p.passkeyId}`, { label: '  iPhone  ' })).toMatchObject({ label: 'iPhone', current: true });
    const long = await rawCall(t.baseUrl, 'PATCH', `/v1/me/passkeys/${p.passkeyId}`, { token: p.api.token!, body: { label: 'x'.repeat(61) } });
    expect([long.status, long.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it("removing a passkey disables it for good and ends its keys on every vehicle, as R6 does; another account's passkey is not found", async () => {
    const a = await t.provision();
    const b = await t.provision();
    const owner = await t.mainUserWithKey(a.vin, a.odometerKm);
    const other = await t.mainUserWithKey(b.vin, b.odometerKm);
    const phone2 = await addPhone(t, owner, 'Old phone');
    const mainKey = await phone2.requestKey(a.vin);
    const sharedKey = await shareKey(other, phone2, b.vin);

    expect(await codeOf(other.api.request('DELETE', `/v1/me/passkeys/${phone2.passkeyId}`))).toBe('PASSKEY_NOT_FOUND');
    const removed = await owner.api.request<{ revokedKeyIds: string[] }>('DELETE', `/v1/me/passkeys/${phone2.passkeyId}`);
    expect(removed.revokedKeyIds.sort()).toEqual([mainKey.keyId, sharedKey].sort());
    expect(await codeOf(phone2.api.request('GET', '/v1/me'))).toBe('PASSKEY_DISABLED');
    expect(await codeOf(phone2.logIn())).toBe('PASSKEY_DISABLED');
    expect((await t.app.ctx.vehicles.get(a.vin)).revoked.map((r) => r.keyId)).toContain(mainKey.keyId);
    expect((await t.app.ctx.vehicles.get(b.vin)).revoked.map((r) => r.keyId)).toContain(sharedKey);
    // The owner's own key on a is untouched, and the owner is told.
    await owner.refresh(a.vin);
    expect((await owner.api.request<{ notifications: Array<{ kind: string }> }>('GET', '/v1/me/notifications')).notifications.map((n) => n.kind)).toContain('passkey-removed');
    // Listed as disabled; it never comes back.
    const { passkeys } = await owner.api.request<{ passkeys: Profile['passkeys'] }>('GET', '/v1/me/passkeys');
    expect(passkeys.find((x) => x.passkeyId === phone2.passkeyId)?.disabled).toMatchObject({ reason: 'removed-by-user' });
  });

  it('two removals at once cannot remove both working passkeys: exactly one succeeds, the other is LAST_PASSKEY', async () => {
    const outcome = (call: Promise<unknown>) => call.then(() => 'removed', (err: unknown) => (err instanceof DigitalKeyError ? err.code : Promise.reject(err)));
    for (let round = 0; round < 5; round++) {
      const p = t.phone();
      await p.signUp(`race-${round}@example.com`, 'Race');
      const second = await addPhone(t, p, 'Second');
      const ids = [p.passkeyId!, second.passkeyId!];
      // Both removals past authentication at once (two phones each removing the other).
      const outcomes = await Promise.all(ids.map((passkeyId) => outcome(removePasskey(t.app.ctx, { accountId: p.accountId!, passkeyId }))));
      expect(outcomes.sort()).toEqual(['LAST_PASSKEY', 'removed']);
      const working = await Promise.all(ids.map(async (id) => (await t.app.ctx.accounts.findPasskey(id))?.disabled === null));
      expect(working.filter(Boolean)).toHaveLength(1);
    }
  });

  it('the only working passkey cannot be removed (LAST_PASSKEY); an unknown one is PASSKEY_NOT_FOUND; a malformed id is 400', async () => {
    const p = t.phone();
    await p.signUp('last@example.com', 'L');
    expect(await codeOf(p.api.request('DELETE', `/v1/me/passkeys/${p.passkeyId}`))).toBe('LAST_PASSKEY');
    expect(await codeOf(p.api.request('DELETE', `/v1/me/passkeys/${'Z'.repeat(22)}`))).toBe('PASSKEY_NOT_FOUND');
    const bad = await rawCall(t.baseUrl, 'DELETE', '/v1/me/passkeys/a:b', { token: p.api.token! });
    expect([bad.status, bad.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});

describe('inbox', () => {
  it('R12 notices show in the inbox newest first; unread count; marking some and all read', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const guest = t.phone();
    await guest.signUp(`guest-${v.vin}@example.com`, 'Guest');
    const keyId = await shareKey(owner, guest, v.vin);
    await owner.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${keyId}`);
    const buyer = t.phone();
    await buyer.signUp(`buyer-${v.vin}@example.com`, 'Buyer');
    await buyer.claim(v.vin, { method: 'qr', qrToken: v.qrToken });

    const guestInbox = await guest.api.request<{ notifications: Array<{ id: string; kind: string; read: boolean }>; unread: number }>('GET', '/v1/me/notifications');
    expect(guestInbox.notifications.map((n) => n.kind)).toEqual(['key-revoked']);
    const inbox = await owner.api.request<{ notifications: Array<{ id: string; kind: string; read: boolean }>; unread: number }>('GET', '/v1/me/notifications');
    expect(inbox.notifications[0]).toMatchObject({ kind: 'vehicle-claimed-by-another', read: false });
    expect(inbox.unread).toBe(inbox.notifications.length);
    expect(await owner.api.request('GET', '/v1/me/notifications/unread-count')).toEqual({ unread: inbox.unread });
    expect(await owner.api.request('POST', '/v1/me/notifications/read', { ids: [inbox.notifications[0]!.id, 'not-mine'] })).toEqual({ unread: inbox.unread - 1 });
    expect((await owner.api.request<typeof inbox>('GET', '/v1/me/notifications?limit=1')).notifications).toEqual([expect.objectContaining({ read: true })]);
    expect(await owner.api.request('POST', '/v1/me/notifications/read', { all: true })).toEqual({ unread: 0 });
    for (const body of [{}, { ids: [] }, { all: false }, { ids: ['a'], all: true }]) {
      const res = await rawCall(t.baseUrl, 'POST', '/v1/me/notifications/read', { token: owner.api.token!, body });
      expect([res.status, res.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    const res = await rawCall(t.baseUrl, 'GET', '/v1/me/notifications?limit=0', { token: owner.api.token! });
    expect([res.status, res.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});

describe('my vehicles and keys', () => {
  it("lists the vehicles the account is main user of or holds a shared key of, and keys with their holder's name and phone label", async () => {
    const a = await t.provision();
    const b = await t.provision();
    const owner = await t.mainUserWithKey(a.vin, a.odometerKm, `mine-${a.vin}@example.com`);
    await owner.api.request('PATCH', `/v1/me/passkeys/${owner.passkeyId}`, { label: 'Pixel 8' });
    const friend = await t.mainUserWithKey(b.vin, b.odometerKm);
    await friend.api.request('PATCH', '/v1/me', { displayName: 'Friend' });
    const sharedKeyId = await shareKey(friend, owner, b.vin);

    const { vehicles } = await owner.api.request<{ vehicles: Array<{ vin: string; role: string; standardServicesActive: boolean; since: number | null }> }>('GET', '/v1/me/vehicles');
    expect(vehicles.sort((x, y) => x.vin.localeCompare(y.vin))).toEqual(
      [
        { vin: a.vin, role: 'main', standardServicesActive: true, since: expect.any(Number) },
        { vin: b.vin, role: 'shared', standardServicesActive: true, since: null },
      ].sort((x, y) => x.vin.localeCompare(y.vin)),
    );
    const { keys } = await owner.api.request<{ keys: Array<{ keyId: string; vin: string; role: string; holderName: string; passkeyLabel: string | null }> }>('GET', '/v1/me/keys');
    expect(keys).toHaveLength(2);
    expect(keys.find((k) => k.vin === b.vin)).toMatchObject({ keyId: sharedKeyId, role: 'shared', holderName: 'Owner', passkeyLabel: 'Pixel 8' });
    const listed = await friend.api.request<{ keys: Array<{ role: string; holderName: string; passkeyLabel: string | null }> }>('GET', `/v1/vehicles/${b.vin}/keys`);
    expect(listed.keys.map((k) => [k.role, k.holderName, k.passkeyLabel]).sort()).toEqual([
      ['main', 'Friend', null],
      ['shared', 'Owner', 'Pixel 8'],
    ]);
    // After the owner removes vehicle a, it is gone from the list.
    await owner.api.request('DELETE', `/v1/me/vehicles/${a.vin}`, {});
    expect((await owner.api.request<{ vehicles: Array<{ vin: string }> }>('GET', '/v1/me/vehicles')).vehicles.map((v) => v.vin)).toEqual([b.vin]);
  });
});

describe('closing the account', () => {
  it('R4a for each vehicle it is main user of, its shared keys revoked, sessions ended, personal data erased, the address released; audit keeps the id', async () => {
    const a = await t.provision();
    const b = await t.provision();
    const owner = await t.mainUserWithKey(a.vin, a.odometerKm, `closing-${a.vin}@example.com`);
    const guest = t.phone();
    await guest.signUp(`guest-close-${a.vin}@example.com`, 'Guest');
    await shareKey(owner, guest, a.vin);
    const friend = await t.mainUserWithKey(b.vin, b.odometerKm);
    const ownerSharedKey = await shareKey(friend, owner, b.vin);
    await owner.api.request('POST', '/v1/me/cards', { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2099 });

    const bad = await rawCall(t.baseUrl, 'DELETE', '/v1/me', { token: owner.api.token!, body: {} });
    expect([bad.status, bad.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    const closed = await owner.api.request<{ closed: boolean; vehicles: string[]; revokedKeyIds: string[] }>('DELETE', '/v1/me', { confirm: true });
    expect(closed.vehicles).toEqual([a.vin]);
    expect(closed.revokedKeyIds).toContain(ownerSharedKey);

    expect(await codeOf(owner.api.request('GET', '/v1/me'))).toBe('PASSKEY_DISABLED');
    expect(await codeOf(owner.logIn())).toBe('PASSKEY_DISABLED');
    expect(await codeOf(guest.refresh(a.vin))).toBe('REVOKED');
    expect((await t.app.ctx.vehicles.get(a.vin)).mainUser).toBeNull();
    const record = await t.app.ctx.accounts.find(owner.accountId!);
    expect(record).toMatchObject({ email: '', displayName: '', closedAt: expect.any(Number) });
    expect(await t.store.get(`sdk:{a:${owner.accountId}}:cards`)).toBeNull();
    expect(await t.app.ctx.accounts.ownerOfEmail(`closing-${a.vin}@example.com`)).toBeNull();
    const audit = await rawCall(t.baseUrl, 'GET', `/v1/dealer/vehicles/${a.vin}/audit`, { token: await dealerToken() });
    expect(JSON.stringify(audit.json)).toContain(owner.accountId);
    // The address can make a new account, which gets its own verification link.
    await t.phone().signUp(`closing-${a.vin}@example.com`, 'Again');
    await t.verifyEmail(`closing-${a.vin}@example.com`);
  });

  it('a dealer account cannot close itself through the API (FORBIDDEN)', async () => {
    await dealerToken();
    expect(await codeOf(dealer!.api.request('DELETE', '/v1/me', { confirm: true }))).toBe('FORBIDDEN');
  });
});

let dealer: ReturnType<TestServer['phone']> | null = null;
async function dealerToken(): Promise<string> {
  if (!dealer) {
    dealer = t.phone();
    await dealer.signUp('profile-dealer@example.com', 'Dealer');
    await grantDealer(t.app.ctx, 'profile-dealer@example.com');
  }
  return dealer.api.token!;
}
