/**
 * R15, account recovery over HTTP: a dealer-issued one-time code (shown once, ≤ 24 h, digest only,
 * single-use under concurrency, rate limited when guessed, audited) and an e-mail link (which
 * leaves the account without a main-user key until it proves presence at a car).
 */
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PhoneApp } from '../../../ble-sim/phone/phoneApp.js';
import { grantDealer } from '../../../server/operator/grantDealer.js';
import { codeOf, rawCall } from '../../support/httpCalls.js';
import { addPhone } from '../../support/ownerFixtures.js';
import { startTestServer, TEST_ORIGIN, type TestServer } from '../../support/testServer.js';

let t: TestServer;
let dealer: PhoneApp;
beforeAll(async () => {
  t = await startTestServer();
  dealer = t.phone();
  await dealer.signUp('recovery-dealer@example.com', 'Dealer');
  await grantDealer(t.app.ctx, 'recovery-dealer@example.com');
});
afterAll(async () => {
  await t.close();
});
// Tests move the clock by hours: the dealer logs in afresh for each.
beforeEach(async () => {
  await dealer.logIn();
});

type Options = { challengeId: string; accountId: string; method: string; options: PublicKeyCredentialCreationOptionsJSON };
type Recovered = { accountId: string; passkeyId: string; token: string; presenceRequired: boolean };

async function issueCode(accountId: string, reason = 'identity card checked at the counter'): Promise<string> {
  return (await dealer.api.request<{ code: string; expiresAt: number }>('POST', `/v1/dealer/accounts/${accountId}/recovery-codes`, { reason })).code;
}

/** A fresh phone redeems a code or a link: registers its passkey and is logged in. */
async function redeem(proof: { code: string } | { emailToken: string }, base: TestServer = t): Promise<PhoneApp> {
  const phone = base.phone();
  const started = await phone.api.request<Options>('POST', '/v1/recovery/options', proof);
  const response = phone.authenticator.createCredential(started.options, TEST_ORIGIN);
  const done = await phone.api.request<Recovered>('POST', '/v1/recovery/passkeys', { challengeId: started.challengeId, response, label: 'New phone' });
  phone.api.token = done.token;
  phone.accountId = done.accountId;
  phone.passkeyId = done.passkeyId;
  return phone;
}

async function dealerRevokesPhone(vin: string, passkeyId: string): Promise<void> {
  await dealer.api.request('POST', `/v1/dealer/vehicles/${vin}/revocations`, { scope: 'passkey', passkeyId, reason: 'phone lost' });
}

async function kinds(phone: PhoneApp): Promise<string[]> {
  return (await phone.api.request<{ notifications: Array<{ kind: string }> }>('GET', '/v1/me/notifications')).notifications.map((n) => n.kind);
}

describe('R15: dealer-issued recovery code', () => {
  it('R15: the lost-phone story — dealer revokes the phone, finds the account, issues a code; the owner redeems it on a new phone, every other session ends, and the new phone gets a main key', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm, `lost-${v.vin}@example.com`);
    await t.verifyEmail(`lost-${v.vin}@example.com`);
    const oldKeyId = owner.wallet.get(v.vin)!.keyId;
    const tablet = await addPhone(t, owner, 'Tablet');
    await dealerRevokesPhone(v.vin, owner.passkeyId!);

    const found = await dealer.api.request<{ accounts: Array<{ accountId: string; emailVerified: boolean; passkeys: Array<{ disabled: unknown }> }> }>('GET', `/v1/dealer/accounts?email=${encodeURIComponent(`LOST-${v.vin}@example.com`)}`);
    expect(found.accounts).toEqual([expect.objectContaining({ accountId: owner.accountId, emailVerified: true })]);
    expect(found.accounts[0]!.passkeys[0]!.disabled).not.toBeNull();

    const issued = await dealer.api.request<{ code: string; expiresAt: number }>('POST', `/v1/dealer/accounts/${owner.accountId}/recovery-codes`, { reason: 'passport checked' });
    expect(issued.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    expect(issued.expiresAt - t.clock.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
    // Only the digest is stored: no store value holds the code.
    expect(JSON.stringify(await t.store.get(`sdk:{a:${owner.accountId}}:recovery-code`))).not.toContain(issued.code.replace(/-/g, ''));

    const fresh = await redeem({ code: issued.code.toLowerCase() });
    expect(fresh.accountId).toBe(owner.accountId);
    expect(await fresh.api.request('GET', '/v1/me')).toMatchObject({ presenceRequired: false });
    // Every other session of the account ended; the tablet's passkey still works for a new login.
    expect(await codeOf(tablet.api.request('GET', '/v1/me'))).toBe('UNAUTHENTICATED');
    await tablet.logIn();
    await tablet.api.request('GET', '/v1/me');
    expect(await kinds(fresh)).toEqual(expect.arrayContaining(['recovery-code-issued', 'recovery-used', 'key-revoked']));
    expect(t.mailbox.to(`lost-${v.vin}@example.com`).map((m) => m.message.kind)).toContain('recovery-used');

    // The revoked passkey never comes back; the old key stays revoked; the new phone gets a new key.
    expect(await codeOf(owner.logIn())).toBe('PASSKEY_DISABLED');
    expect(await codeOf(fresh.api.request('POST', `/v1/keys/${oldKeyId}/credential`, {}))).toBe('REVOKED');
    const entry = await fresh.requestKey(v.vin);
    expect(entry.keyId).not.toBe(oldKeyId);

    const audit = await dealer.api.request<{ entries: Array<{ action: string; actor: { role: string }; reason: string }> }>('GET', `/v1/dealer/accounts/${owner.accountId}/audit`);
    expect(audit.entries.map((e) => [e.action, e.actor.role])).toEqual([
      ['recovery-code-issued', 'dealer'],
      ['recovery-code-redeemed', 'self'],
    ]);
    expect(audit.entries[0]!.reason).toBe('passport checked');
  });

  it('R15: a code is single-use under concurrency — of 20 simultaneous redemptions exactly one registers a passkey', async () => {
    const owner = t.phone();
    await owner.signUp('race@example.com', 'Race');
    const code = await issueCode(owner.accountId!);
    const phones = Array.from({ length: 20 }, () => t.phone());
    const started = await Promise.all(phones.map((p) => p.api.request<Options>('POST', '/v1/recovery/options', { code })));
    const results = await Promise.all(
      phones.map((p, i) => rawCall(t.baseUrl, 'POST', '/v1/recovery/passkeys', { body: { challengeId: started[i]!.challengeId, response: p.authenticator.createCredential(started[i]!.options, TEST_ORIGIN) } })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 201).map((r) => [r.status, r.json?.error?.code])).toEqual(Array.from({ length: 19 }, () => [410, 'RECOVERY_INVALID']));
    const account = await t.app.ctx.accounts.find(owner.accountId!);
    expect(account!.passkeyIds).toHaveLength(2);
  });

  it('R15: a code expires (at most 24 h), and a new code replaces the previous one', async () => {
    const owner = t.phone();
    await owner.signUp('expiry@example.com', 'Expiry');
    const first = await issueCode(owner.accountId!);
    const second = await issueCode(owner.accountId!);
    expect(await codeOf(t.phone().api.request('POST', '/v1/recovery/options', { code: first }))).toBe('RECOVERY_INVALID');
    const phone = t.phone();
    const started = await phone.api.request<Options>('POST', '/v1/recovery/options', { code: second });
    t.clock.advance(t.config.RECOVERY_CODE_TTL * 1000);
    // The ceremony was started in time, but the code has expired since: it is not redeemed.
    const late = await rawCall(t.baseUrl, 'POST', '/v1/recovery/passkeys', { body: { challengeId: started.challengeId, response: phone.authenticator.createCredential(started.options, TEST_ORIGIN) } });
    expect([late.status, late.json?.error?.code]).toEqual([400, 'CHALLENGE_EXPIRED']);
    expect(await codeOf(t.phone().api.request('POST', '/v1/recovery/options', { code: second }))).toBe('RECOVERY_INVALID');
    expect(t.config.RECOVERY_CODE_TTL).toBeLessThanOrEqual(24 * 3600);
  });

  it('R15: only a dealer issues codes, with a reason; never for a dealer account or an unknown one', async () => {
    const owner = t.phone();
    await owner.signUp('only-dealer@example.com', 'Owner');
    expect(await codeOf(owner.api.request('POST', `/v1/dealer/accounts/${owner.accountId}/recovery-codes`, { reason: 'let me in' }))).toBe('FORBIDDEN');
    for (const body of [{}, { reason: 'x' }, { reason: 'ok reason', extra: 1 }]) {
      const res = await rawCall(t.baseUrl, 'POST', `/v1/dealer/accounts/${owner.accountId}/recovery-codes`, { token: dealer.api.token!, body });
      expect([res.status, res.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(await codeOf(dealer.api.request('POST', `/v1/dealer/accounts/${dealer.accountId}/recovery-codes`, { reason: 'take over a dealer' }))).toBe('FORBIDDEN');
    expect(await codeOf(dealer.api.request('POST', '/v1/dealer/accounts/3b241101-e2bb-4255-8caf-4136c566a962/recovery-codes', { reason: 'nobody' }))).toBe('NOT_FOUND');
    const bad = await rawCall(t.baseUrl, 'GET', '/v1/dealer/accounts?email=nope', { token: dealer.api.token! });
    expect([bad.status, bad.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await dealer.api.request('GET', '/v1/dealer/accounts?email=nobody@example.com')).toEqual({ accounts: [] });
  });
});

describe('R15: guessing recovery codes', () => {
  it('R15: wrong codes are rate limited per client — after RECOVERY_GUESSES_PER_HOUR failures even the right code is refused until the hour has passed', async () => {
    const own = await startTestServer({ env: { RECOVERY_GUESSES_PER_HOUR: '3' } });
    try {
      const d = own.phone();
      await d.signUp('guess-dealer@example.com', 'D');
      await grantDealer(own.app.ctx, 'guess-dealer@example.com');
      const owner = own.phone();
      await owner.signUp('guessed@example.com', 'G');
      const { code } = await d.api.request<{ code: string }>('POST', `/v1/dealer/accounts/${owner.accountId}/recovery-codes`, { reason: 'checked id' });
      for (const guess of ['AAAA-AAAA-AAAA-AAAA-AAAA', 'not a code', 'BBBB-BBBB-BBBB-BBBB-BBBB']) {
        const res = await rawCall(own.baseUrl, 'POST', '/v1/recovery/options', { body: { code: guess } });
        expect([res.status, res.json?.error?.code]).toEqual([410, 'RECOVERY_INVALID']);
      }
      const limited = await rawCall(own.baseUrl, 'POST', '/v1/recovery/options', { body: { code } });
      expect([limited.status, limited.json?.error?.code]).toEqual([429, 'RATE_LIMITED']);
      own.clock.advance(3_600_000);
      await redeem({ code }, own);
    } finally {
      await own.close();
    }
  });

  it('malformed redemption bodies are 400 VALIDATION_FAILED', async () => {
    for (const body of [{}, { code: '' }, { code: 'A'.repeat(65) }, { emailToken: 'short' }, { code: 'AAAA', emailToken: 'B'.repeat(43) }]) {
      const res = await rawCall(t.baseUrl, 'POST', '/v1/recovery/options', { body });
      expect([res.status, res.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    const res = await rawCall(t.baseUrl, 'POST', '/v1/recovery/passkeys', { body: { challengeId: 'nope' } });
    expect([res.status, res.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});

describe('R15: e-mail recovery', () => {
  it('R15: whoever controls the mailbox alone gets no car key — after an e-mail link, no main key, refresh or invitation until the QR code inside the car is shown', async () => {
    const v = await t.provision();
    const email = `mailbox-${v.vin}@example.com`;
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm, email);
    await t.verifyEmail(email);
    expect(await rawCall(t.baseUrl, 'POST', '/v1/recovery/emails', { body: { email } })).toMatchObject({ status: 202 });
    const viaMail = await redeem({ emailToken: t.mailbox.tokenFor(email, 'recovery-email') });
    expect(await viaMail.api.request('GET', '/v1/me')).toMatchObject({ presenceRequired: true });

    expect(await codeOf(viaMail.requestKey(v.vin))).toBe('PRESENCE_REQUIRED');
    expect(await codeOf(viaMail.api.request('POST', `/v1/vehicles/${v.vin}/invitations`, { perms: ['unlock'] }))).toBe('PRESENCE_REQUIRED');
    // The account's existing main key cannot be refreshed either (its old session ended; log in again).
    await owner.logIn();
    expect(await codeOf(owner.refresh(v.vin))).toBe('PRESENCE_REQUIRED');

    expect(await codeOf(viaMail.api.request('POST', '/v1/me/presence-proofs', { vin: v.vin, qrToken: 'W'.repeat(32) }))).toBe('CLAIM_REJECTED');
    const other = await t.provision();
    expect(await codeOf(viaMail.api.request('POST', '/v1/me/presence-proofs', { vin: other.vin, qrToken: other.qrToken }))).toBe('NOT_MAIN_USER');
    expect(await viaMail.api.request('POST', '/v1/me/presence-proofs', { vin: v.vin, qrToken: v.qrToken })).toEqual({ presenceRequired: false });
    await viaMail.requestKey(v.vin);
    await owner.refresh(v.vin);
  });

  it('R15: a link goes only to a verified address; the answer is the same for unknown and unverified addresses; the link is single-use', async () => {
    const unverified = t.phone();
    await unverified.signUp('unverified@example.com', 'U');
    for (const email of ['unverified@example.com', 'nobody-here@example.com']) {
      expect(await rawCall(t.baseUrl, 'POST', '/v1/recovery/emails', { body: { email } })).toMatchObject({ status: 202, json: {} });
      expect(t.mailbox.to(email).filter((m) => m.message.kind === 'recovery-email')).toEqual([]);
    }
    const owner = t.phone();
    await owner.signUp('once-link@example.com', 'O');
    await t.verifyEmail('once-link@example.com');
    await rawCall(t.baseUrl, 'POST', '/v1/recovery/emails', { body: { email: 'once-link@example.com' } });
    const token = t.mailbox.tokenFor('once-link@example.com', 'recovery-email');
    await redeem({ emailToken: token });
    expect(await codeOf(t.phone().api.request('POST', '/v1/recovery/options', { emailToken: token }))).toBe('RECOVERY_INVALID');
  });

  it('R15: a dealer can send the link for a customer (audited), not to an unverified address; a dealer code afterwards lifts the presence requirement', async () => {
    const v = await t.provision();
    const email = `by-dealer-${v.vin}@example.com`;
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm, email);
    expect(await codeOf(dealer.api.request('POST', `/v1/dealer/accounts/${owner.accountId}/recovery-emails`, { reason: 'customer called' }))).toBe('EMAIL_NOT_VERIFIED');
    await t.verifyEmail(email);
    expect(await rawCall(t.baseUrl, 'POST', `/v1/dealer/accounts/${owner.accountId}/recovery-emails`, { token: dealer.api.token!, body: { reason: 'customer called' } })).toMatchObject({ status: 202 });
    const viaMail = await redeem({ emailToken: t.mailbox.tokenFor(email, 'recovery-email') });
    expect(await codeOf(viaMail.requestKey(v.vin))).toBe('PRESENCE_REQUIRED');
    const atCounter = await redeem({ code: await issueCode(owner.accountId!) });
    expect(await atCounter.api.request('GET', '/v1/me')).toMatchObject({ presenceRequired: false });
    await atCounter.requestKey(v.vin);
    const audit = await dealer.api.request<{ entries: Array<{ action: string }> }>('GET', `/v1/dealer/accounts/${owner.accountId}/audit`);
    expect(audit.entries.map((e) => e.action)).toEqual(['recovery-email-sent', 'recovery-email-redeemed', 'recovery-code-issued', 'recovery-code-redeemed']);
  });
});
