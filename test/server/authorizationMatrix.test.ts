/**
 * The authorisation matrix: every route of the API, called by an anonymous caller, the main user, a
 * shared user, another account, a dealer and a vehicle. Callers not allowed get 401/403 (or 404 where
 * admitting that a key exists would leak it); allowed callers are never refused for who they are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { signVehicleRequestToken } from '../../shared/credential/vehicleRequestToken.js';
import { grantDealer } from '../../server/operator/grantDealer.js';
import type { PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { rawCall } from '../support/httpCalls.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

type CallerKind = 'anonymous' | 'main' | 'shared' | 'other' | 'dealer' | 'vehicle';
const CALLERS: CallerKind[] = ['anonymous', 'main', 'shared', 'other', 'dealer', 'vehicle'];
const ACCOUNTS: CallerKind[] = ['main', 'shared', 'other'];
const REFUSALS = ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_MAIN_USER', 'KEY_NOT_FOUND', 'PASSKEY_NOT_FOUND'];

let t: TestServer;
let vin: string;
let vehicleKey: JWK;
let phones: Record<'main' | 'shared' | 'other' | 'dealer', PhoneApp>;
let mainKeyId: string;

beforeAll(async () => {
  t = await startTestServer();
  const v = await t.provision();
  vin = v.vin;
  vehicleKey = v.vehiclePrivateJwk;
  const main = await t.mainUserWithKey(vin, v.odometerKm, 'matrix-main@example.com');
  mainKeyId = main.wallet.get(vin)!.keyId;
  const { code } = await main.api.request<{ code: string }>('POST', `/v1/vehicles/${vin}/invitations`, { perms: ['unlock'] });
  const shared = t.phone();
  await shared.signUp('matrix-shared@example.com', 'Shared');
  await shared.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: shared.passkeyId });
  const other = t.phone();
  await other.signUp('matrix-other@example.com', 'Other');
  const dealer = t.phone();
  await dealer.signUp('matrix-dealer@example.com', 'Dealer');
  await grantDealer(t.app.ctx, 'matrix-dealer@example.com');
  phones = { main, shared, other, dealer };
});
afterAll(async () => {
  await t.close();
});

async function tokenFor(caller: CallerKind): Promise<string | undefined> {
  if (caller === 'anonymous') return undefined;
  if (caller === 'vehicle') return signVehicleRequestToken({ vin, privateKey: vehicleKey, issuer: t.config.ISSUER, nowSeconds: Math.floor(t.clock.now() / 1000) });
  return phones[caller].api.token!;
}

interface Case {
  allowed: CallerKind[];
  body?: (caller: CallerKind) => object;
  path?: string | ((caller: CallerKind) => string);
  /** Destructive: run the allowed call last, once. */
  destructive?: boolean;
  /** Among destructive calls, lower runs first (default 0). */
  order?: number;
}

const uuid = '3b241101-e2bb-4255-8caf-4136c566a962';
const MATRIX: Record<string, Case> = {
  'post /v1/accounts': { allowed: CALLERS, body: () => ({ email: `m-${Math.random().toString(36).slice(2)}@example.com`, displayName: 'x' }) },
  'post /v1/accounts/:accountId/passkeys': { allowed: CALLERS, path: `/v1/accounts/${uuid}/passkeys`, body: () => ({ enrollmentToken: 'A'.repeat(43), response: { id: 'A'.repeat(22), rawId: 'A'.repeat(22), type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'AA' } } }) },
  'post /v1/sessions/options': { allowed: CALLERS, body: () => ({}) },
  'post /v1/sessions': { allowed: CALLERS, body: () => ({ challengeId: uuid, response: { id: 'A'.repeat(22), rawId: 'A'.repeat(22), type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } } }) },
  'delete /v1/sessions/current': { allowed: [...ACCOUNTS, 'dealer'], destructive: true, order: 9 },
  'get /v1/me': { allowed: [...ACCOUNTS, 'dealer'] },
  'patch /v1/me': { allowed: [...ACCOUNTS, 'dealer'], body: () => ({ language: 'nl' }) },
  // A body that fails validation: authentication runs first, so a 400 proves the caller was let in (nothing is closed).
  'delete /v1/me': { allowed: ACCOUNTS, body: () => ({ confirm: false }) },
  'post /v1/me/email-verifications': { allowed: [...ACCOUNTS, 'dealer'], body: () => ({}) },
  'post /v1/email-verifications': { allowed: CALLERS, body: () => ({ token: 'C'.repeat(43) }) },
  'get /v1/me/passkeys': { allowed: [...ACCOUNTS, 'dealer'] },
  'patch /v1/me/passkeys/:passkeyId': { allowed: [...ACCOUNTS, 'dealer'], path: (c) => `/v1/me/passkeys/${passkeyOf(c)}`, body: () => ({ label: 'Phone' }) },
  // Each account's only passkey: LAST_PASSKEY (409) proves access without removing it.
  'delete /v1/me/passkeys/:passkeyId': { allowed: [...ACCOUNTS, 'dealer'], path: (c) => `/v1/me/passkeys/${passkeyOf(c)}` },
  'get /v1/me/notifications': { allowed: [...ACCOUNTS, 'dealer'] },
  'get /v1/me/notifications/unread-count': { allowed: [...ACCOUNTS, 'dealer'] },
  'post /v1/me/notifications/read': { allowed: [...ACCOUNTS, 'dealer'], body: () => ({ all: true }) },
  'get /v1/me/vehicles': { allowed: ACCOUNTS },
  'get /v1/invitations/:code': { allowed: CALLERS, path: `/v1/invitations/${'B'.repeat(32)}` },
  'get /v1/vehicles/:vin/invitations': { allowed: ['main'] },
  'delete /v1/vehicles/:vin/invitations/:invitationId': { allowed: ['main'], path: () => `/v1/vehicles/${vin}/invitations/${uuid}` },
  'get /v1/dealer-invitations/:token': { allowed: CALLERS, path: `/v1/dealer-invitations/${'A'.repeat(43)}` },
  'post /v1/dealer-invitations/:token/options': { allowed: CALLERS, path: `/v1/dealer-invitations/${'A'.repeat(43)}/options`, body: () => ({ displayName: 'Matrix Dealer' }) },
  'post /v1/dealer-invitations/:token/passkeys': { allowed: CALLERS, path: `/v1/dealer-invitations/${'A'.repeat(43)}/passkeys`, body: () => ({ challengeId: uuid, response: { id: 'A'.repeat(22), rawId: 'A'.repeat(22), type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'AA' } } }) },
  'post /v1/recovery/emails': { allowed: CALLERS, body: () => ({ email: 'nobody-matrix@example.com' }) },
  'post /v1/recovery/options': { allowed: CALLERS, body: () => ({ code: 'AAAA-AAAA-AAAA-AAAA-AAAA' }) },
  'post /v1/recovery/passkeys': { allowed: CALLERS, body: () => ({ challengeId: uuid, response: { id: 'A'.repeat(22), rawId: 'A'.repeat(22), type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'AA' } } }) },
  // A wrong QR code (CLAIM_REJECTED) proves access without changing anything.
  'post /v1/me/presence-proofs': { allowed: ['main'], body: () => ({ vin, qrToken: 'W'.repeat(32) }) },
  'get /v1/dealer/accounts': { allowed: ['dealer'], path: '/v1/dealer/accounts?email=matrix-main%40example.com' },
  'post /v1/dealer/accounts/:accountId/recovery-codes': { allowed: ['dealer'], path: () => `/v1/dealer/accounts/${phones.main.accountId}/recovery-codes`, body: () => ({ reason: 'matrix test' }) },
  'post /v1/dealer/accounts/:accountId/recovery-emails': { allowed: ['dealer'], path: () => `/v1/dealer/accounts/${phones.main.accountId}/recovery-emails`, body: () => ({ reason: 'matrix test' }) },
  'get /v1/dealer/accounts/:accountId/audit': { allowed: ['dealer'], path: () => `/v1/dealer/accounts/${phones.main.accountId}/audit` },
  'get /v1/me/keys': { allowed: ACCOUNTS },
  'post /v1/me/passkeys/options': { allowed: [...ACCOUNTS, 'dealer'], body: () => ({}) },
  'post /v1/me/passkeys': { allowed: [...ACCOUNTS, 'dealer'], body: () => ({ challengeId: uuid, response: { id: 'A'.repeat(22), rawId: 'A'.repeat(22), type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'AA' } } }) },
  'post /v1/vehicles/:vin/claims': { allowed: ACCOUNTS, body: () => ({ method: 'odometer', odometerKm: 999_999, acceptTerms: true }) },
  'post /v1/vehicles/:vin/standard-services': { allowed: ['main'], body: () => ({}) },
  'post /v1/vehicles/:vin/keys': { allowed: ['main'], body: (c) => ({ passkeyId: c === 'main' || c === 'shared' || c === 'other' || c === 'dealer' ? phones[c].passkeyId : 'A'.repeat(22) }) },
  'get /v1/vehicles/:vin/keys': { allowed: ['main', 'shared'] },
  'post /v1/keys/:keyId/credential': { allowed: ['main'], body: () => ({}) },
  'post /v1/vehicles/:vin/invitations': { allowed: ['main'], body: () => ({ perms: ['lock'] }) },
  'post /v1/invitations/:code/accept': { allowed: ACCOUNTS, path: `/v1/invitations/${'B'.repeat(32)}/accept`, body: (c) => ({ passkeyId: c === 'anonymous' || c === 'vehicle' ? 'A'.repeat(22) : phones[c].passkeyId }) },
  'delete /v1/vehicles/:vin/keys/:keyId': { allowed: ['main'], destructive: true },
  'delete /v1/me/vehicles/:vin': { allowed: ['main'], body: () => ({}), destructive: true, order: 2 },
  'get /v1/subscription-plans': { allowed: CALLERS },
  'post /v1/vehicles/:vin/subscriptions': { allowed: ['main'], body: () => ({ plan: 'trial' }) },
  'get /v1/vehicles/:vin/subscriptions/current': { allowed: ['main'] },
  // A trial cannot be withdrawn from (WITHDRAWAL_UNAVAILABLE): the call proves access without ending it.
  'delete /v1/vehicles/:vin/subscriptions/current': { allowed: ['main'], body: () => ({ mode: 'withdraw' }) },
  'put /v1/vehicles/:vin/subscriptions/current/auto-renew': { allowed: ['main'], body: () => ({ autoRenew: true }) },
  'get /v1/vehicles/:vin/subscriptions/payments': { allowed: ['main'] },
  'get /v1/vehicles/:vin/subscriptions/current/cancellation': { allowed: ['main'] },
  'delete /v1/vehicles/:vin/standard-services': { allowed: ['main'], body: () => ({}), destructive: true, order: 1 },
  'post /v1/me/cards': { allowed: ACCOUNTS, body: () => ({ number: '4242 4242 4242 4242', expMonth: 12, expYear: 2099 }) },
  'get /v1/me/cards': { allowed: ACCOUNTS },
  'delete /v1/me/cards/:cardId': { allowed: ACCOUNTS, path: `/v1/me/cards/${uuid}` },
  'post /v1/me/cards/:cardId/primary': { allowed: ACCOUNTS, path: `/v1/me/cards/${uuid}/primary`, body: () => ({}) },
  'post /v1/dealer/vehicles/:vin/revocations': { allowed: ['dealer'], body: () => ({ scope: 'passkey', passkeyId: phones.shared.passkeyId, reason: 'matrix test' }), destructive: true },
  'get /v1/dealer/vehicles/:vin/keys': { allowed: ['dealer'] },
  'get /v1/dealer/vehicles/:vin/audit': { allowed: ['dealer'] },
  'get /v1/dealer/vehicles/:vin/audit/page': { allowed: ['dealer'] },
  // CSV, not JSON: an unknown VIN answers the allowed caller VEHICLE_NOT_FOUND (JSON) after authorisation.
  'get /v1/dealer/vehicles/:vin/audit/export': { allowed: ['dealer'], path: '/v1/dealer/vehicles/WVWZZZ1JZ3W000000/audit/export' },
  'get /v1/dealer/search': { allowed: ['dealer'], path: '/v1/dealer/search?q=matrix-main%40example.com' },
  'get /v1/vehicle-api/state': { allowed: ['vehicle'] },
  'get /v1/vehicle-api/events': { allowed: ['vehicle'] },
  'post /v1/vehicle-api/acks': { allowed: ['vehicle'], body: () => ({ seq: 0 }) },
};

function pathOf(route: { path: string }, c: Case, caller: CallerKind): string {
  if (typeof c.path === 'function') return c.path(caller);
  return c.path ?? route.path.replace(':vin', vin).replace(':keyId', mainKeyId);
}

/** The caller's own passkey (a made-up one for callers without an account). */
const passkeyOf = (c: CallerKind) => (c === 'anonymous' || c === 'vehicle' ? 'A'.repeat(22) : phones[c].passkeyId!);

describe('authorisation matrix', () => {
  it('lists every route of the API', () => {
    const routes = t.app.routes.map((r) => `${r.method} ${r.path}`).sort();
    expect(routes).toEqual(Object.keys(MATRIX).sort());
  });

  it('refuses every caller who is not allowed, on every route', async () => {
    const failures: string[] = [];
    for (const route of t.app.routes) {
      const c = MATRIX[`${route.method} ${route.path}`]!;
      for (const caller of CALLERS.filter((k) => !c.allowed.includes(k))) {
        const res = await rawCall(t.baseUrl, route.method.toUpperCase(), pathOf(route, c, caller), { token: await tokenFor(caller), ...(c.body ? { body: c.body(caller) } : {}) });
        if (![401, 403, 404].includes(res.status) || !REFUSALS.includes(res.json?.error?.code ?? '')) failures.push(`${caller} → ${route.method} ${route.path}: ${res.status} ${res.json?.error?.code}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('never refuses an allowed caller for who they are', async () => {
    const failures: string[] = [];
    const destructive: Array<{ order: number; call: () => Promise<void> }> = [];
    for (const route of t.app.routes) {
      const c = MATRIX[`${route.method} ${route.path}`]!;
      for (const caller of c.allowed) {
        const call = async () => {
          if (route.path.endsWith('/events')) {
            const controller = new AbortController();
            const res = await fetch(t.baseUrl + pathOf(route, c, caller), { headers: { authorization: `Bearer ${await tokenFor(caller)}` }, signal: controller.signal });
            if (res.status !== 200) failures.push(`${caller} → events: ${res.status}`);
            controller.abort();
            return;
          }
          const res = await rawCall(t.baseUrl, route.method.toUpperCase(), pathOf(route, c, caller), { token: await tokenFor(caller), ...(c.body ? { body: c.body(caller) } : {}) });
          const code = res.json?.error?.code ?? '';
          if (res.status === 401 || REFUSALS.includes(code)) failures.push(`${caller} → ${route.method} ${route.path}: ${res.status} ${code}`);
        };
        if (c.destructive) destructive.push({ order: c.order ?? 0, call });
        else await call();
      }
    }
    for (const { call } of destructive.sort((a, b) => a.order - b.order)) await call();
    expect(failures).toEqual([]);
  });
});
