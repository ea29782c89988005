/**
 * The phone-app HTTP flows through the real app's request listener on a loopback port: sign-up with a passkey,
 * login, claims (R2, R4d, R12), Standard Services (R1), key issuance and refresh, and the 4xx codes
 * for malformed input and for every caller who is not allowed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { base64UrlToBytes } from '../../shared/base64url.js';
import { passkeyPointOf } from '../support/passkeyPoint.js';
import { asTag, decodeStrictCbor } from '../../shared/cose/strictCbor.js';
import { coseKidOf } from '../../shared/credential/issuerCoseKeys.js';
import { readKeyCredential, verifyKeyCredential } from '../../shared/credential/keyCredential.js';
import { readStateManifest, verifyStateManifest } from '../../shared/credential/stateManifest.js';
import { credentialDigest, deriveAdvertisingKey, deriveResponseKey } from '../../shared/ble/linkKeys.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { startMetricsServer } from '../../server/metrics/metricsServer.js';
import { MemoryStore } from '../../server/store/memoryStore.js';
import { VirtualAuthenticator } from '../../ble-sim/phone/virtualAuthenticator.js';
import { codeOf, rawCall } from '../support/httpCalls.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

// Tests here move the clock (challenge, session and odometer windows): each gets a fresh server
// and clock, so no test sees time another one moved.
let t: TestServer;
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await t.close();
});

function raw(method: string, path: string, opts: { body?: string; token?: string } = {}) {
  return rawCall(t.baseUrl, method, path, opts);
}

async function jwks() {
  return (await raw('GET', '/.well-known/jwks.json')).json as unknown as { keys: JWK[] };
}

describe('accounts, passkeys and sessions', () => {
  it('signs up with a UV passkey, then logs in again with it (R14)', async () => {
    const phone = t.phone();
    const { accountId, passkeyId } = await phone.signUp('alice@example.com', 'Alice');
    expect(accountId).toMatch(/^[0-9a-f-]{36}$/);
    expect(passkeyId).toBe(phone.authenticator.credentialIds[0]);
    phone.api.token = null;
    await phone.logIn('alice@example.com');
    const me = await phone.api.request<{ email: string; passkeys: unknown[] }>('GET', '/v1/me');
    expect(me.email).toBe('alice@example.com');
    expect(me.passkeys).toHaveLength(1);
  });

  it('R14: refuses a login assertion made without user verification', async () => {
    const phone = t.phone();
    await phone.signUp('uv@example.com', 'UV');
    expect(await codeOf(phone.logIn('uv@example.com', { userVerified: false }))).toBe('USER_NOT_VERIFIED');
  });

  it('R14: refuses to enroll a passkey created without user verification', async () => {
    const phone = t.phone();
    const created = await phone.api.request<{ accountId: string; enrollmentToken: string; options: never }>('POST', '/v1/accounts', { email: 'nouv@example.com', displayName: 'x' });
    phone.authenticator.biometricPasses = false;
    const options = { ...(created.options as object), authenticatorSelection: { userVerification: 'preferred' } } as never;
    const response = phone.authenticator.createCredential(options, 'http://localhost:8080');
    const res = await raw('POST', `/v1/accounts/${created.accountId}/passkeys`, { body: JSON.stringify({ enrollmentToken: created.enrollmentToken, response }) });
    expect(res.status).toBe(400);
    expect(res.json?.error?.code).toBe('REGISTRATION_FAILED');
  });

  it('an enrollment token is single-use', async () => {
    const phone = t.phone();
    const created = await phone.api.request<{ accountId: string; enrollmentToken: string; options: never }>('POST', '/v1/accounts', { email: 'once@example.com', displayName: 'x' });
    const response = phone.authenticator.createCredential(created.options, 'http://localhost:8080');
    const body = JSON.stringify({ enrollmentToken: created.enrollmentToken, response });
    expect((await raw('POST', `/v1/accounts/${created.accountId}/passkeys`, { body })).status).toBe(201);
    const again = await raw('POST', `/v1/accounts/${created.accountId}/passkeys`, { body });
    expect(again.status).toBe(400);
    expect(again.json?.error?.code).toBe('CHALLENGE_EXPIRED');
  });

  it('a login challenge is single-use and expires', async () => {
    const phone = t.phone();
    await phone.signUp('chal@example.com', 'C');
    const opts = await phone.api.request<{ challengeId: string; options: { challenge: string } }>('POST', '/v1/sessions/options', {});
    const response = phone.authenticator.getAssertion({ rpId: 'localhost', origin: 'http://localhost:8080', challenge: opts.options.challenge });
    await phone.api.request('POST', '/v1/sessions', { challengeId: opts.challengeId, response });
    expect(await codeOf(phone.api.request('POST', '/v1/sessions', { challengeId: opts.challengeId, response }))).toBe('CHALLENGE_EXPIRED');

    const late = await phone.api.request<{ challengeId: string; options: { challenge: string } }>('POST', '/v1/sessions/options', {});
    t.clock.advance((t.config.CHALLENGE_TTL + 1) * 1000);
    const lateResponse = phone.authenticator.getAssertion({ rpId: 'localhost', origin: 'http://localhost:8080', challenge: late.options.challenge });
    expect(await codeOf(phone.api.request('POST', '/v1/sessions', { challengeId: late.challengeId, response: lateResponse }))).toBe('CHALLENGE_EXPIRED');
  });

  it('an e-mail has one account: a second sign-up is answered the same way but never gets the address, and its owner is told', async () => {
    const first = t.phone();
    await first.signUp('dup@example.com', 'A');
    const second = t.phone();
    await second.signUp('DUP@example.com', 'B');
    expect(second.accountId).not.toBe(first.accountId);
    expect(await t.app.ctx.accounts.ownerOfEmail('dup@example.com')).toBe(first.accountId);
    expect(t.mailbox.to('dup@example.com').map((m) => [m.accountId, m.message.kind])).toEqual([
      [first.accountId, 'verify-email'],
      [first.accountId, 'sign-up-attempt'],
    ]);
  });

  it('a session expires after SESSION_TTL', async () => {
    const phone = t.phone();
    await phone.signUp('ttl@example.com', 'T');
    await phone.api.request('GET', '/v1/me');
    t.clock.advance((t.config.SESSION_TTL + 10) * 1000);
    expect(await codeOf(phone.api.request('GET', '/v1/me'))).toBe('UNAUTHENTICATED');
  });

  it('adds a passkey for a second phone of the same account', async () => {
    const phone = t.phone();
    const { accountId } = await phone.signUp('two@example.com', 'Two');
    const second = t.phone();
    second.api.token = phone.api.token;
    const { challengeId, options } = await second.api.request<{ challengeId: string; options: never }>('POST', '/v1/me/passkeys/options', {});
    const response = second.authenticator.createCredential(options, 'http://localhost:8080');
    const added = await second.api.request<{ passkeyId: string }>('POST', '/v1/me/passkeys', { challengeId, response });
    second.api.token = null;
    await second.logIn();
    expect(second.accountId).toBe(accountId);
    expect(second.passkeyId).toBe(added.passkeyId);
  });
});

describe('claims, Standard Services and keys', () => {
  it('R2, R1: claim by odometer, activate Standard Services, get a main key whose credential verifies with the published JWKS', async () => {
    const v = await t.provision();
    const phone = t.phone();
    await phone.signUp('owner1@example.com', 'Owner');
    expect(await phone.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm + 50 })).toMatchObject({ vin: v.vin, role: 'main', wiped: false });
    expect(await codeOf(phone.requestKey(v.vin))).toBe('STANDARD_SERVICES_INACTIVE');
    await phone.activateStandardServices(v.vin);
    expect(await codeOf(phone.requestKey(v.vin))).toBe('SUBSCRIPTION_INACTIVE');
    await phone.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'trial' });
    const entry = await phone.requestKey(v.vin);

    // The API carries the COSE_Sign1 as base64url: tag 18, protected header {1: ES256, 4: kid, 16: typ}.
    const credential = base64UrlToBytes(entry.credential);
    const [protectedBytes] = asTag(decodeStrictCbor(credential), 18) as [Uint8Array];
    expect(decodeStrictCbor(protectedBytes)).toEqual(new Map<number, unknown>([[1, -7], [4, coseKidOf(t.issuerKey.publicJwk)], [16, 'sdk-key+cwt']]));
    const claims = verifyKeyCredential({ credential, trust: { issuer: t.config.ISSUER, jwks: await jwks() }, vin: v.vin, nowSeconds: Math.floor(t.clock.now() / 1000) });
    expect(claims).toMatchObject({ iss: t.config.ISSUER, sub: entry.keyId, aud: v.vin, role: 'main', ep: 0 });
    // Bound to this phone's passkey: its public key, compressed.
    expect(Buffer.from(claims.passkeyPoint).toString('hex')).toBe(Buffer.from(passkeyPointOf(phone)).toString('hex'));
    expect(claims.exp - claims.nbf).toBeLessThanOrEqual(t.config.CREDENTIAL_TTL);
    const state = verifyStateManifest({ manifest: base64UrlToBytes(entry.state!), trust: { issuer: t.config.ISSUER, jwks: await jwks() }, vin: v.vin, nowSeconds: Math.floor(t.clock.now() / 1000) });
    expect(state).toMatchObject({ seq: 0, ep: 0, revoked: [] });

    const refreshed = await phone.refresh(v.vin);
    expect(refreshed.keyId).toBe(entry.keyId);
    const listed = await phone.api.request<{ keys: Array<{ keyId: string; role: string }> }>('GET', `/v1/vehicles/${v.vin}/keys`);
    expect(listed.keys).toEqual([expect.objectContaining({ keyId: entry.keyId, role: 'main' })]);
  });

  it('with each credential come its own response key and the vehicle\'s advertising key, derived from the link secret the car holds', async () => {
    const v = await t.provision();
    const phone = await t.mainUserWithKey(v.vin, v.odometerKm);
    const { keyId } = phone.wallet.get(v.vin)!;
    type Issued = { credential: string; responseKey: string; advertisingKey: string };
    const first = await phone.api.request<Issued>('POST', `/v1/keys/${keyId}/credential`, {});
    t.clock.advance(1000);
    const second = await phone.api.request<Issued>('POST', `/v1/keys/${keyId}/credential`, {});
    for (const issued of [first, second]) {
      expect(issued.responseKey).toBe(Buffer.from(deriveResponseKey(v.linkSecret, credentialDigest(issued.credential))).toString('base64url'));
      expect(issued.advertisingKey).toBe(Buffer.from(deriveAdvertisingKey(v.linkSecret)).toString('base64url'));
    }
    expect(second.credential).not.toBe(first.credential);
    expect(second.responseKey).not.toBe(first.responseKey);
    expect(second.advertisingKey).toBe(first.advertisingKey);
    // The secret itself is in no answer.
    expect(JSON.stringify([first, second])).not.toContain(Buffer.from(v.linkSecret).toString('base64url'));
  });

  it('R2: the odometer reading must be within the tolerance of the telematics one', async () => {
    const v = await t.provision({ odometerKm: 40_000 });
    const phone = t.phone();
    await phone.signUp('odo@example.com', 'O');
    expect(await codeOf(phone.claim(v.vin, { method: 'odometer', odometerKm: 40_051 }))).toBe('CLAIM_REJECTED');
    expect(await codeOf(phone.claim(v.vin, { method: 'odometer', odometerKm: 39_949 }))).toBe('CLAIM_REJECTED');
    await phone.claim(v.vin, { method: 'odometer', odometerKm: 39_950 });
  });

  it('R2: an odometer reading cannot replace a main user — only the QR code in the car can', async () => {
    const v = await t.provision();
    await t.mainUserWithKey(v.vin, v.odometerKm);
    const rival = t.phone();
    await rival.signUp(`rival-${v.vin}@example.com`, 'Rival');
    expect(await codeOf(rival.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm }))).toBe('CLAIM_REJECTED');
    expect(await rival.claim(v.vin, { method: 'qr', qrToken: v.qrToken })).toMatchObject({ role: 'main', wiped: true });
  });

  it('R2: odometer guessing is stopped — after 5 wrong readings a day even the right one is RATE_LIMITED, the QR code still works, and the count resets after a day', async () => {
    const v = await t.provision({ odometerKm: 87_654 });
    const guesser = t.phone();
    await guesser.signUp(`guesser-${v.vin}@example.com`, 'Guesser');
    for (let i = 0; i < 5; i++) expect(await codeOf(guesser.claim(v.vin, { method: 'odometer', odometerKm: 1_000 + i * 101 }))).toBe('CLAIM_REJECTED');
    expect(await codeOf(guesser.claim(v.vin, { method: 'odometer', odometerKm: 87_654 }))).toBe('RATE_LIMITED');
    const res = await raw('POST', `/v1/vehicles/${v.vin}/claims`, { body: JSON.stringify({ method: 'odometer', odometerKm: 87_654, acceptTerms: true }), token: guesser.api.token! });
    expect(res.status).toBe(429);
    t.clock.advance(24 * 3600 * 1000 + 1);
    await guesser.logIn();
    expect(await guesser.claim(v.vin, { method: 'odometer', odometerKm: 87_654 })).toMatchObject({ role: 'main' });
    const owner = t.phone();
    await owner.signUp(`real-${v.vin}@example.com`, 'Real');
    expect(await owner.claim(v.vin, { method: 'qr', qrToken: v.qrToken })).toMatchObject({ role: 'main', wiped: true });
  });

  it('R2: claim by QR token; a wrong token is refused; the terms must be accepted', async () => {
    const v = await t.provision();
    const phone = t.phone();
    await phone.signUp('qr@example.com', 'Q');
    expect(await codeOf(phone.claim(v.vin, { method: 'qr', qrToken: 'x'.repeat(32) }))).toBe('CLAIM_REJECTED');
    expect(await codeOf(phone.api.request('POST', `/v1/vehicles/${v.vin}/claims`, { method: 'qr', qrToken: v.qrToken, acceptTerms: false }))).toBe('TERMS_NOT_ACCEPTED');
    expect(await phone.claim(v.vin, { method: 'qr', qrToken: v.qrToken })).toMatchObject({ role: 'main' });
  });

  it('R4d, R12: another account claiming the vehicle wipes every key, ends the old main user\'s access and notifies them', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const buyer = t.phone();
    await buyer.signUp(`buyer-${v.vin}@example.com`, 'Buyer');
    expect(await buyer.claim(v.vin, { method: 'qr', qrToken: v.qrToken })).toMatchObject({ wiped: true });

    expect(await codeOf(owner.refresh(v.vin))).toBe('REVOKED');
    expect(await codeOf(owner.activateStandardServices(v.vin))).toBe('NOT_MAIN_USER');
    const notes = await t.app.outbox.list(owner.accountId!);
    expect(notes).toEqual([expect.objectContaining({ kind: 'vehicle-claimed-by-another', data: { vin: v.vin } })]);

    await buyer.activateStandardServices(v.vin);
    await buyer.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'trial' });
    const entry = await buyer.requestKey(v.vin);
    expect(readKeyCredential(base64UrlToBytes(entry.credential)).ep).toBe(1);
    expect(readStateManifest(base64UrlToBytes(entry.state!))).toMatchObject({ ep: 1, seq: 1 });
  });

  it('a passkey holds one key per vehicle; a key needs a passkey of the caller', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    expect(await codeOf(owner.requestKey(v.vin))).toBe('KEY_EXISTS');
    const other = t.phone();
    await other.signUp(`other-${v.vin}@example.com`, 'Other');
    expect(await codeOf(owner.api.request('POST', `/v1/vehicles/${v.vin}/keys`, { passkeyId: other.passkeyId }))).toBe('PASSKEY_NOT_FOUND');
  });

  it('concurrent key requests for one passkey: exactly one key', async () => {
    const v = await t.provision();
    const owner = t.phone();
    await owner.signUp(`race-${v.vin}@example.com`, 'Race');
    await owner.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
    await owner.activateStandardServices(v.vin);
    await owner.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'trial' });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => owner.api.request('POST', `/v1/vehicles/${v.vin}/keys`, { passkeyId: owner.passkeyId })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as DigitalKeyError).code).toBe('KEY_EXISTS');
  });
});

describe('what bad input and unauthorised callers get', () => {
  it.each([
    ['not JSON', 'POST', '/v1/accounts', '{"email":', 400, 'VALIDATION_FAILED'],
    ['a JSON array', 'POST', '/v1/accounts', '[]', 400, 'VALIDATION_FAILED'],
    ['an invalid e-mail', 'POST', '/v1/accounts', '{"email":"nope","displayName":"x"}', 400, 'VALIDATION_FAILED'],
    ['an empty display name', 'POST', '/v1/accounts', '{"email":"a@b.cd","displayName":""}', 400, 'VALIDATION_FAILED'],
    ['a non-UUID account id', 'POST', '/v1/accounts/abc/passkeys', '{}', 400, 'VALIDATION_FAILED'],
    ['a bad challenge id', 'POST', '/v1/sessions', '{"challengeId":"x","response":{}}', 400, 'VALIDATION_FAILED'],
    ['an unknown challenge', 'POST', '/v1/sessions', JSON.stringify({ challengeId: '3b241101-e2bb-4255-8caf-4136c566a962', response: { id: 'AAAAAAAAAAAAAAAAAAAAAA', rawId: 'AAAAAAAAAAAAAAAAAAAAAA', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } } }), 400, 'CHALLENGE_EXPIRED'],
    ['a body over 64 kB', 'POST', '/v1/accounts', JSON.stringify({ email: 'a@b.cd', displayName: 'x'.repeat(70_000) }), 413, 'VALIDATION_FAILED'],
    ['an unknown route', 'GET', '/v1/nothing', undefined, 404, 'NOT_FOUND'],
  ])('%s → %i %s', async (_name, method, path, body, status, code) => {
    const res = await raw(method, path, body === undefined ? {} : { body });
    expect(res.status).toBe(status);
    expect(res.json?.error?.code).toBe(code);
    expect(JSON.stringify(res.json)).not.toMatch(/at .*\.ts|stack/i);
  });

  it('every session route refuses a missing, garbage or foreign-typed token with 401 UNAUTHENTICATED', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const credential = owner.wallet.get(v.vin)!.credential;
    const state = owner.wallet.get(v.vin)!.state!;
    const sessionRoutes = t.app.routes.filter((r) => r.auth === 'session');
    expect(sessionRoutes.length).toBeGreaterThan(5);
    for (const route of sessionRoutes) {
      const path = route.path.replace(':vin', v.vin).replace(':keyId', '3b241101-e2bb-4255-8caf-4136c566a962');
      // A key credential or a manifest is not a session, even though the same issuer signed it.
      for (const token of [undefined, 'garbage', credential, state]) {
        const res = await raw(route.method.toUpperCase(), path, { ...(route.method === 'get' ? {} : { body: '{}' }), ...(token ? { token } : {}) });
        expect(res.status, `${route.method} ${route.path} with ${token?.slice(0, 8)}`).toBe(401);
        expect(res.json?.error?.code).toBe('UNAUTHENTICATED');
      }
    }
  });

  it('another account cannot run the main user\'s routes on the vehicle, see its keys or refresh its key', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const stranger = t.phone();
    await stranger.signUp(`stranger-${v.vin}@example.com`, 'S');
    expect(await codeOf(stranger.activateStandardServices(v.vin))).toBe('NOT_MAIN_USER');
    expect(await codeOf(stranger.api.request('POST', `/v1/vehicles/${v.vin}/keys`, { passkeyId: stranger.passkeyId }))).toBe('NOT_MAIN_USER');
    expect(await codeOf(stranger.api.request('GET', `/v1/vehicles/${v.vin}/keys`))).toBe('FORBIDDEN');
    expect(await codeOf(stranger.api.request('POST', `/v1/keys/${owner.wallet.get(v.vin)!.keyId}/credential`, {}))).toBe('KEY_NOT_FOUND');
  });

  it('an unknown vehicle is 404 VEHICLE_NOT_FOUND; an invalid VIN is 400', async () => {
    const phone = t.phone();
    await phone.signUp('nov@example.com', 'N');
    expect(await codeOf(phone.claim('1HGCM82633A004352', { method: 'odometer', odometerKm: 1 }))).toBe('VEHICLE_NOT_FOUND');
    for (const vin of ['1HGCM82633A00435', '1HGCM82633A0043520', '1HGCM82633A00435O', '{1HGCM82633A00435}', '1hgcm82633a004352']) {
      expect(await codeOf(phone.claim(vin, { method: 'odometer', odometerKm: 1 }))).toBe('VALIDATION_FAILED');
    }
  });
});

describe('discovery and operations', () => {
  it('publishes the issuer JWKS with only public EC keys', async () => {
    const { keys } = await jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: t.issuerKey.kid });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('publishes an OpenAPI 3.1 document generated from the route schemas', async () => {
    const doc = (await raw('GET', '/v1/openapi.json')).json as unknown as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const route of t.app.routes) {
      expect(doc.paths[route.path.replace(/:([A-Za-z]+)/g, '{$1}')]?.[route.method], route.path).toMatchObject({ summary: route.summary });
    }
    // The request body is documented from the very schema that validates it.
    const claimBody = doc.paths['/v1/vehicles/{vin}/claims']?.post?.requestBody;
    expect(claimBody).toMatchObject({ required: true, content: { 'application/json': { schema: expect.any(Object) } } });
    for (const field of ['method', 'odometerKm', 'qrToken', 'acceptTerms']) expect(JSON.stringify(claimBody)).toContain(`"${field}"`);
  });

  it('answers liveness, readiness and metrics, and echoes a request id', async () => {
    expect((await raw('GET', '/healthz')).status).toBe(200);
    expect((await raw('GET', '/readyz')).json).toMatchObject({ status: 'ready', store: 'memory' });
    await raw('GET', '/v1/vehicles/WVWZZZ1JZ3W386752/keys');
    // Metrics live on their own listener (METRICS_PORT), not on the public port.
    expect((await raw('GET', '/metrics')).json?.error?.code).toBe('NOT_FOUND');
    const listener = await startMetricsServer({ registry: t.app.metrics, host: '127.0.0.1', port: 0 });
    const metrics = await (await fetch(`http://127.0.0.1:${listener.port}/metrics`)).text();
    listener.server.close();
    expect(metrics).toContain('sdk_http_requests_total');
    // Labelled by the route's pattern (bounded: no VIN in a label).
    expect(metrics).toMatch(/sdk_http_requests_total\{[^}]*route="\/readyz"/);
    expect(metrics).toContain('route="/v1/vehicles/:vin/keys"');
    expect(metrics).not.toContain('WVWZZZ1JZ3W386752');
    const res = await fetch(t.baseUrl + '/healthz', { headers: { 'x-request-id': 'req-12345678' } });
    expect(res.headers.get('x-request-id')).toBe('req-12345678');
  });
});

describe('findings of the security review', () => {
  it('a malformed passkey id at login is 400 VALIDATION_FAILED, never a 500', async () => {
    const { challengeId } = await t.phone().api.request<{ challengeId: string }>('POST', '/v1/sessions/options', {});
    for (const id of ['abc', 'A'.repeat(300), 'has{brace}AAAAAAAAAAAA']) {
      const res = await raw('POST', '/v1/sessions', { body: JSON.stringify({ challengeId, response: { id, rawId: id, type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } } }) });
      expect(res.status).toBe(400);
      expect(res.json?.error?.code).toBe('VALIDATION_FAILED');
    }
  });

  it('a failed first enrollment can be retried with the same token, and an account that never enrolled can sign up again', async () => {
    const phone = t.phone();
    const created = await phone.api.request<{ accountId: string; enrollmentToken: string; options: never }>('POST', '/v1/accounts', { email: 'retry@example.com', displayName: 'R' });
    const wrongOrigin = phone.authenticator.createCredential(created.options, 'https://evil.example');
    const first = await raw('POST', `/v1/accounts/${created.accountId}/passkeys`, { body: JSON.stringify({ enrollmentToken: created.enrollmentToken, response: wrongOrigin }) });
    expect(first.json?.error?.code).toBe('REGISTRATION_FAILED');
    const again = await phone.api.request<{ accountId: string }>('POST', '/v1/accounts', { email: 'retry@example.com', displayName: 'R' });
    expect(again.accountId).toBe(created.accountId);
    const response = new VirtualAuthenticator().createCredential(created.options, 'http://localhost:8080');
    const ok = await raw('POST', `/v1/accounts/${created.accountId}/passkeys`, { body: JSON.stringify({ enrollmentToken: created.enrollmentToken, response }) });
    expect(ok.status).toBe(201);
  });

  it('login options are the same for a known and an unknown e-mail (no account enumeration)', async () => {
    await t.phone().signUp('known@example.com', 'K');
    const known = await t.phone().api.request<{ options: { allowCredentials?: unknown[] } }>('POST', '/v1/sessions/options', { email: 'known@example.com' });
    const unknown = await t.phone().api.request<{ options: { allowCredentials?: unknown[] } }>('POST', '/v1/sessions/options', { email: 'nobody@example.com' });
    expect(known.options.allowCredentials ?? []).toEqual([]);
    expect(unknown.options.allowCredentials ?? []).toEqual([]);
  });

  it('invitation codes never reach the logs', async () => {
    const { redactUrl } = await import('../../server/http/requestEdge.js');
    expect(redactUrl('/v1/invitations/AbCdEfGhIjKlMnOpQrStUvWxYz012345/accept')).toBe('/v1/invitations/[redacted]/accept');
    expect(redactUrl('/v1/vehicles/1HGCM82633A004352/keys')).toBe('/v1/vehicles/1HGCM82633A004352/keys');
    // The routes match in any case, with one trailing slash and in absolute form: so does the redaction.
    expect(redactUrl('/V1/Invitations/AbCdEfGhIjKlMnOpQrStUvWxYz012345')).toBe('/V1/Invitations/[redacted]');
    expect(redactUrl('http://keys.example.com/v1/invitations/AbCdEfGhIjKlMnOpQrStUvWxYz012345/accept')).toBe('http://keys.example.com/v1/invitations/[redacted]/accept');
    expect(redactUrl('/v1/dealer/search?email=a@b.cd')).toBe('/v1/dealer/search?[redacted]');
    expect(redactUrl('/v1/Dealer/Accounts/?email=a@b.cd')).toBe('/v1/Dealer/Accounts/?[redacted]');
    expect(redactUrl('http://keys.example.com/v1/dealer/accounts?email=a@b.cd')).toBe('http://keys.example.com/v1/dealer/accounts?[redacted]');
  });
});

describe('anonymous rate limit', () => {
  it('a client over ANONYMOUS_RATE_LIMIT_PER_MINUTE on the anonymous routes gets 429 RATE_LIMITED; sessions are not limited by it', async () => {
    const limited = await startTestServer({ env: { ANONYMOUS_RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const phone = limited.phone();
      await phone.signUp('limit@example.com', 'L'); // two anonymous requests
      await phone.api.request('POST', '/v1/sessions/options', {});
      const over = await rawCall(limited.baseUrl, 'POST', '/v1/sessions/options', { body: '{}' });
      expect([over.status, over.json?.error?.code]).toEqual([429, 'RATE_LIMITED']);
      expect((await phone.api.request<{ email: string }>('GET', '/v1/me')).email).toBe('limit@example.com');
    } finally {
      await limited.close();
    }
  });
});

describe('logout', () => {
  it('DELETE /v1/sessions/current ends that session token at once; the next login works', async () => {
    const phone = t.phone();
    await phone.signUp('logout@example.com', 'L');
    const token = phone.api.token!;
    await phone.api.request('DELETE', '/v1/sessions/current');
    const after = await rawCall(t.baseUrl, 'GET', '/v1/me', { token });
    expect([after.status, after.json?.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    await phone.logIn();
    expect((await phone.api.request<{ email: string }>('GET', '/v1/me')).email).toBe('logout@example.com');
  });
});

describe('readiness', () => {
  it('GET /readyz is 503 STORE_UNAVAILABLE when the store does not answer', async () => {
    const store = new MemoryStore();
    store.ping = async () => {
      throw new DigitalKeyError('STORE_UNAVAILABLE');
    };
    const down = await startTestServer({ store });
    try {
      const res = await rawCall(down.baseUrl, 'GET', '/readyz');
      expect([res.status, res.json?.error?.code]).toEqual([503, 'STORE_UNAVAILABLE']);
      expect(res.json?.error?.message).toBe('The store is not reachable (memory)');
    } finally {
      await down.close();
    }
  });
});
