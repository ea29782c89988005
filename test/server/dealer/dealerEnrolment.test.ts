/**
 * A dealer's enrolment from an operator's invitation (`invite-dealer`): the link's token is shown
 * once and stored as its digest, previews its address and expiry, registers the dealer's passkey
 * (UV required), creates the dealer account and is used up exactly once, even under concurrency.
 */
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEALER_INVITATION_TTL_SECONDS, inviteDealer } from '../../../server/operator/inviteDealer.js';
import { secretDigest } from '../../../server/store/secretDigest.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { codeOf, rawCall } from '../../support/httpCalls.js';
import { startTestServer, TEST_ORIGIN, type TestServer } from '../../support/testServer.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

type Started = { challengeId: string; options: PublicKeyCredentialCreationOptionsJSON };
type Enrolled = { accountId: string; passkeyId: string; token: string };

async function invite(email: string): Promise<string> {
  const { link } = await inviteDealer(t.app.ctx, email);
  const token = /#\/enrol\/([A-Za-z0-9_-]{43})$/.exec(link)?.[1];
  if (!token) throw new Error(`no token in ${link}`);
  return token;
}

/** A fresh phone opens the link and registers its passkey; the session is set on its API client. */
async function enrol(token: string, phone = t.phone()) {
  const started = await phone.api.request<Started>('POST', `/v1/dealer-invitations/${token}/options`, { displayName: 'Dirk Dealer' });
  const response = phone.authenticator.createCredential(started.options, TEST_ORIGIN);
  const done = await phone.api.request<Enrolled>('POST', `/v1/dealer-invitations/${token}/passkeys`, { challengeId: started.challengeId, response, label: 'Desk laptop' });
  phone.api.token = done.token;
  return { phone, done };
}

describe('dealer enrolment from an invitation', () => {
  it('the link opens to its address and expiry, enrols the dealer with a passkey and a session, and stores only the digest', async () => {
    const { link, expiresAt } = await inviteDealer(t.app.ctx, ' New.Dealer@Example.com ');
    expect(link).toMatch(new RegExp(`^${t.config.PORTAL_URL}/dealer/#/enrol/[A-Za-z0-9_-]{43}$`));
    expect(expiresAt - t.clock.now()).toBe(DEALER_INVITATION_TTL_SECONDS * 1000);
    const token = link.slice(-43);
    const stored = await t.store.get(storeKeys.dealerInvitation(secretDigest(token)));
    expect(stored).toContain('new.dealer@example.com');
    expect(stored).not.toContain(token);

    const preview = await rawCall(t.baseUrl, 'GET', `/v1/dealer-invitations/${token}`);
    expect(preview.status).toBe(200);
    expect(preview.json).toEqual({ email: 'new.dealer@example.com', expiresAt });

    const { phone, done } = await enrol(token);
    const me = await phone.api.request<{ email: string; displayName: string; emailVerified: boolean; dealer: boolean }>('GET', '/v1/me');
    expect(me).toMatchObject({ email: 'new.dealer@example.com', displayName: 'Dirk Dealer', emailVerified: true, dealer: true });
    // The session is a dealer's: the desk's look-up answers.
    expect((await rawCall(t.baseUrl, 'GET', '/v1/dealer/accounts?email=nobody%40example.com', { token: done.token })).status).toBe(200);
    const account = await t.app.ctx.accounts.find(done.accountId);
    expect(account).toMatchObject({ dealer: true, passkeyIds: [done.passkeyId] });
  });

  it('an invitation used once is refused the second time (INVITATION_INVALID), before and after the passkey prompt', async () => {
    const token = await invite('twice@example.com');
    const phone = t.phone();
    const started = await phone.api.request<Started>('POST', `/v1/dealer-invitations/${token}/options`, { displayName: 'Twice' });
    await enrol(token);
    expect(await codeOf(t.phone().api.request('POST', `/v1/dealer-invitations/${token}/options`, { displayName: 'Again' }))).toBe('INVITATION_INVALID');
    expect((await rawCall(t.baseUrl, 'GET', `/v1/dealer-invitations/${token}`)).json?.error?.code).toBe('INVITATION_INVALID');
    const response = phone.authenticator.createCredential(started.options, TEST_ORIGIN);
    expect(await codeOf(phone.api.request('POST', `/v1/dealer-invitations/${token}/passkeys`, { challengeId: started.challengeId, response }))).toBe('INVITATION_INVALID');
  });

  it('an expired invitation is refused (INVITATION_INVALID)', async () => {
    const token = await invite('late@example.com');
    t.clock.advance(DEALER_INVITATION_TTL_SECONDS * 1000);
    expect((await rawCall(t.baseUrl, 'GET', `/v1/dealer-invitations/${token}`)).json?.error?.code).toBe('INVITATION_INVALID');
    expect(await codeOf(t.phone().api.request('POST', `/v1/dealer-invitations/${token}/options`, { displayName: 'Late' }))).toBe('INVITATION_INVALID');
  });

  it.each([
    ['too short', 'abc'],
    ['not base64url', `${'A'.repeat(42)}!`],
    ['too long', 'A'.repeat(44)],
  ])('a malformed token (%s) fails validation', async (_name, token) => {
    const res = await rawCall(t.baseUrl, 'GET', `/v1/dealer-invitations/${encodeURIComponent(token)}`);
    expect(res.status).toBe(400);
    expect(res.json?.error?.code).toBe('VALIDATION_FAILED');
  });

  it('a well-formed token that was never issued is INVITATION_INVALID', async () => {
    expect((await rawCall(t.baseUrl, 'GET', `/v1/dealer-invitations/${'Z'.repeat(43)}`)).json?.error?.code).toBe('INVITATION_INVALID');
  });

  it('attack: two concurrent enrolments with one invitation — exactly one dealer account is created', async () => {
    const token = await invite('race@example.com');
    const phones = [t.phone(), t.phone()];
    const started = await Promise.all(phones.map((p) => p.api.request<Started>('POST', `/v1/dealer-invitations/${token}/options`, { displayName: 'Racer' })));
    const results = await Promise.allSettled(
      phones.map((p, i) => p.api.request<Enrolled>('POST', `/v1/dealer-invitations/${token}/passkeys`, { challengeId: started[i]!.challengeId, response: p.authenticator.createCredential(started[i]!.options, TEST_ORIGIN) })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(await codeOf(Promise.reject(refused?.reason))).toBe('INVITATION_INVALID');
  });

  it('an address that already has an account is refused: by the operator command, and at enrolment if it was taken since', async () => {
    const owner = t.phone();
    await owner.signUp('customer@example.com', 'Customer');
    expect(await codeOf(inviteDealer(t.app.ctx, 'customer@example.com'))).toBe('ACCOUNT_EXISTS');
    const token = await invite('taken-later@example.com');
    await t.phone().signUp('taken-later@example.com', 'Someone');
    expect(await codeOf(t.phone().api.request('POST', `/v1/dealer-invitations/${token}/options`, { displayName: 'Late' }))).toBe('ACCOUNT_EXISTS');
  });

  it('the finish call must name the invitation the ceremony was started with', async () => {
    const a = await invite('first@example.com');
    const b = await invite('second@example.com');
    const phone = t.phone();
    const started = await phone.api.request<Started>('POST', `/v1/dealer-invitations/${a}/options`, { displayName: 'Mixer' });
    const response = phone.authenticator.createCredential(started.options, TEST_ORIGIN);
    expect(await codeOf(phone.api.request('POST', `/v1/dealer-invitations/${b}/passkeys`, { challengeId: started.challengeId, response }))).toBe('CHALLENGE_EXPIRED');
  });
});
