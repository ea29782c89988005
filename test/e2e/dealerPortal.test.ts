/**
 * The dealer web portal in a real browser (Debian's Chromium, driven by playwright-core): a dealer
 * whose passkey lives in Chromium's CDP virtual authenticator logs in, looks up a vehicle, revokes
 * the shared user's lost phone with a reason (R6) and sees the key gone and the audit entry (R13),
 * then wipes another vehicle's keys; a non-dealer is refused; the security headers are on /dealer/*
 * only. A screenshot of the portal goes to the OS temp dir.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { grantDealer } from '../../server/operator/grantDealer.js';
import { DEALER_PORTAL_HEADERS } from '../../server/portal/dealerPortal.js';
import { codeOf, rawCall } from '../support/httpCalls.js';
import { startTestServer, TEST_ORIGIN, type TestServer } from '../support/testServer.js';
import { expectPortalHeaders } from '../support/portalHeaders.js';

const CHROMIUM = '/usr/bin/chromium';
const STEP_TIMEOUT = 10_000;
const SCREENSHOT = join(tmpdir(), 'dealerPortal.png');

let t: TestServer;
/** The origin the browser uses: WebAuthn wants `localhost` (the RP id), not 127.0.0.1. */
let origin: string;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does)`);
  t = await startTestServer({ env: (port) => ({ RP_ORIGINS: `${TEST_ORIGIN},http://localhost:${port}` }) });
  origin = `http://localhost:${new URL(t.baseUrl).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await t?.close();
});

let n = 0;
const email = (who: string) => `${who}-${++n}@example.com`;

/** What the sign-up below uses of the browser's WebAuthn API (the test compiles without the DOM lib). */
interface BrowserCredential {
  id: string;
  rawId: ArrayBuffer;
  type: string;
  response: { clientDataJSON: ArrayBuffer; attestationObject: ArrayBuffer; getTransports(): string[] };
  getClientExtensionResults(): Record<string, unknown>;
}
type BrowserGlobals = { navigator: { credentials: { create(o: unknown): Promise<BrowserCredential | null> } } };

/** A fresh browser profile with one platform authenticator that verifies the user (R14), on the portal. */
async function portalPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy|Refused to/i.test(msg.text())) errors.push(`console: ${msg.text()}`);
  });
  await page.goto(`${origin}/dealer/`);
  return { page, errors };
}

/**
 * Sign up through the API from the page: `POST /v1/accounts`, a passkey made by the browser's
 * authenticator with `navigator.credentials.create`, then `POST /v1/accounts/{id}/passkeys`.
 */
async function signUpInBrowser(page: Page, address: string, displayName: string): Promise<string> {
  return page.evaluate(
    async ({ address, displayName }) => {
      const toBuffer = (s: string) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0)).buffer;
      const toB64Url = (b: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const post = async (path: string, body: unknown) => {
        const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const json = await res.json();
        if (!res.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
        return json;
      };
      const created = (await post('/v1/accounts', { email: address, displayName })) as {
        accountId: string;
        enrollmentToken: string;
        options: { challenge: string; user: { id: string }; excludeCredentials?: Array<{ id: string }> };
      };
      const o = created.options;
      const nav = (globalThis as unknown as BrowserGlobals).navigator;
      const credential = await nav.credentials.create({
        publicKey: {
          ...o,
          challenge: toBuffer(o.challenge),
          user: { ...o.user, id: toBuffer(o.user.id) },
          excludeCredentials: (o.excludeCredentials ?? []).map((c) => ({ ...c, id: toBuffer(c.id) })),
        },
      });
      if (!credential) throw new Error('no credential');
      const enrolled = (await post(`/v1/accounts/${created.accountId}/passkeys`, {
        enrollmentToken: created.enrollmentToken,
        response: {
          id: credential.id,
          rawId: toB64Url(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toB64Url(credential.response.clientDataJSON),
            attestationObject: toB64Url(credential.response.attestationObject),
            transports: credential.response.getTransports(),
          },
          clientExtensionResults: credential.getClientExtensionResults(),
        },
      })) as { passkeyId: string };
      return enrolled.passkeyId;
    },
    { address, displayName },
  );
}

/** Log in on the portal with the page's passkey (an e-mail, or none: a discoverable passkey). */
async function logInOnPortal(page: Page, address?: string): Promise<string> {
  await page.fill('#login-email', address ?? '');
  await page.click('#login-button');
  await page.locator('#workspace').waitFor({ state: 'visible' });
  return (await page.textContent('#who-name')) ?? '';
}

async function lookUp(page: Page, vin: string) {
  await page.fill('#vin', vin);
  await page.click('#vin-button');
  await page.locator('#vehicle:visible, #error:visible').first().waitFor();
}

async function shownError(page: Page): Promise<{ code: string; message: string }> {
  await page.locator('#error').waitFor({ state: 'visible' });
  return { code: (await page.textContent('#error-code')) ?? '', message: (await page.textContent('#error-message')) ?? '' };
}

/** The keys table: one row per key, with the passkey and key ids the page put on it. */
async function keyRows(page: Page) {
  return page.$$eval('#keys tbody tr', (rows) =>
    rows.map((r) => {
      const cells = [...r.querySelectorAll('td')].map((td) => td.textContent ?? '');
      const data = (r as unknown as { dataset: Record<string, string> }).dataset;
      return { keyId: data.keyId, passkeyId: data.passkeyId, role: cells[0], perms: cells[1], window: cells[2] };
    }),
  );
}

/** The audit table, newest first: the visible cells and the full key ids (title of each short id). */
async function auditRows(page: Page) {
  return page.$$eval('#audit tbody tr', (rows) =>
    rows.map((r) => {
      const cells = [...r.querySelectorAll('td')];
      const text = cells.map((td) => td.textContent ?? '');
      return { action: text[1], role: text[3], reason: text[4], keyIds: [...cells[5]!.querySelectorAll('code')].map((c) => c.getAttribute('title')), epoch: text[6], seq: text[7] };
    }),
  );
}

/** A vehicle with a main user and a shared user (unlock only, a week's window), both holding keys. */
async function vehicleWithSharedKey(): Promise<{ vin: string; owner: PhoneApp; shared: PhoneApp }> {
  const { vin, odometerKm } = await t.provision();
  const owner = await t.mainUserWithKey(vin, odometerKm, email('owner'));
  const nowS = Math.floor(t.clock.now() / 1000);
  const { code } = await owner.api.request<{ code: string }>('POST', `/v1/vehicles/${vin}/invitations`, { perms: ['unlock'], notBefore: nowS, notAfter: nowS + 7 * 86_400 });
  const shared = t.phone();
  await shared.signUp(email('shared'), 'Shared');
  const issued = await shared.api.request<{ keyId: string; credential: string; state: string; expiresAt: number }>('POST', `/v1/invitations/${code}/accept`, { passkeyId: shared.passkeyId });
  shared.wallet.put(vin, issued);
  return { vin, owner, shared };
}

describe('dealer portal in Chromium', () => {
  let dealer: { page: Page; errors: string[] };

  it('R6, R13: a dealer logs in with a passkey, revokes a lost phone with a reason, and sees the key gone and the audit entry', async () => {
    const { vin, owner, shared } = await vehicleWithSharedKey();
    dealer = await portalPage();
    const { page } = dealer;
    expect(await page.title()).toBe('Dealer portal · Smart Digital Key');

    const dealerEmail = email('dealer');
    await signUpInBrowser(page, dealerEmail, 'Dana Dealer');
    await grantDealer(t.app.ctx, dealerEmail);
    // A discoverable login: no e-mail, the authenticator offers the dealer's passkey.
    expect(await logInOnPortal(page)).toBe(`Dana Dealer <${dealerEmail}> · dealer`);

    await lookUp(page, vin.toLowerCase()); // the page upper-cases what was typed
    expect(await page.isVisible('#error')).toBe(false);
    expect(await page.textContent('#vehicle-vin')).toBe(vin);
    const before = await keyRows(page);
    expect(before).toHaveLength(2);
    expect(before.find((k) => k.role === 'main')).toMatchObject({ passkeyId: owner.passkeyId, keyId: owner.wallet.get(vin)!.keyId, window: 'always' });
    const sharedRow = before.find((k) => k.role === 'shared');
    expect(sharedRow).toMatchObject({ passkeyId: shared.passkeyId, keyId: shared.wallet.get(vin)!.keyId, perms: 'unlock' });
    expect(sharedRow!.window).toMatch(/^2026-11-25 12:00 UTC – 2026-12-02 12:00 UTC$/);

    // The confirm step: nothing is revoked until a reason is given and confirmed.
    await page.click(`#keys tbody tr[data-passkey-id="${shared.passkeyId}"] button`);
    await page.locator('#confirm-form').waitFor({ state: 'visible' });
    expect(await page.textContent('#confirm-text')).toContain(shared.passkeyId!);
    await page.click('#confirm-submit');
    expect(await shownError(page)).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await keyRows(page)).toHaveLength(2);
    await page.fill('#confirm-reason', 'Phone stolen, reported by the customer at the desk');
    await page.screenshot({ path: join(tmpdir(), 'dealerPortal-confirm.png'), fullPage: true });
    await page.click('#confirm-submit');
    await page.locator('#notice').waitFor({ state: 'visible' });
    expect(await page.textContent('#notice')).toMatch(/^Revoked 1 key\(s\)\. The vehicle is now at key epoch 0, state seq \d+\.$/);
    expect(await page.isVisible('#confirm-form')).toBe(false);

    const after = await keyRows(page);
    expect(after.map((k) => k.passkeyId)).toEqual([owner.passkeyId]);
    const [latest] = await auditRows(page);
    expect(latest).toMatchObject({ action: 'revoke', role: 'dealer', reason: 'lost-phone: Phone stolen, reported by the customer at the desk', keyIds: [shared.wallet.get(vin)!.keyId] });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // R6: the lost phone's passkey no longer works for the account; the main user's phone does.
    expect(await codeOf(shared.logIn())).toBe('PASSKEY_DISABLED');
    await owner.refresh(vin);
    // The session token stayed in the page's memory: nothing in storage or cookies.
    expect(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]')).toEqual([0, 0, '']);
    expect(dealer.errors).toEqual([]);
  });

  it('a dealer wipes every key of a vehicle with a reason and a confirm step', async () => {
    const { vin, owner } = await vehicleWithSharedKey();
    const { page } = dealer;
    await lookUp(page, vin);
    expect(await keyRows(page)).toHaveLength(2);
    await page.click('#revoke-all');
    expect(await page.textContent('#confirm-text')).toContain('(2 now)');
    await page.click('#confirm-cancel');
    expect(await page.isVisible('#confirm-form')).toBe(false);
    await page.click('#revoke-all');
    // Step-up (issue 9 §3): the login is now 6 minutes old, so the portal asks the passkey again (the
    // virtual authenticator verifies the user) and repeats the wipe with the new session.
    t.clock.advance(6 * 60_000);
    await page.fill('#confirm-reason', 'Vehicle sold at the dealership');
    await page.click('#confirm-submit');
    await page.locator('#notice').waitFor({ state: 'visible' });
    expect(await keyRows(page)).toHaveLength(0);
    expect(await page.isVisible('#keys-empty')).toBe(true);
    const [latest] = await auditRows(page);
    expect(latest).toMatchObject({ action: 'wipe', role: 'dealer', reason: 'dealer-revoked-all: Vehicle sold at the dealership', epoch: '1' });
    expect(latest!.keyIds).toHaveLength(2);
    expect(await codeOf(owner.refresh(vin))).toMatch(/^(REVOKED|EPOCH_STALE|KEY_NOT_FOUND)$/);
    expect(dealer.errors).toEqual([]);
  });

  it('a non-dealer logged into the portal is refused a look-up (FORBIDDEN), and a bad VIN never leaves the page', async () => {
    const { vin } = await vehicleWithSharedKey();
    const { page, errors } = await portalPage();
    const address = email('customer');
    await signUpInBrowser(page, address, 'Carl Customer');
    expect(await logInOnPortal(page, address)).toBe(`Carl Customer <${address}> · not a dealer account`);

    const dealerCalls: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/v1/dealer/')) dealerCalls.push(req.url());
    });
    await page.fill('#vin', 'WVWZZZ1JZ3W38652I'); // 17 characters, but I is never in a VIN
    await page.click('#vin-button');
    expect(await shownError(page)).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(dealerCalls).toEqual([]);

    await lookUp(page, vin);
    expect(await shownError(page)).toEqual({ code: 'FORBIDDEN', message: 'This caller may not do this' });
    expect(dealerCalls.length).toBeGreaterThan(0);
    expect(await page.isVisible('#vehicle')).toBe(false);
    expect(errors).toEqual([]);
  });
});

describe('dealer portal headers', () => {
  const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

  it('/dealer/* carries the strict CSP, X-Frame-Options and Referrer-Policy', async () => {
    expect(DEALER_PORTAL_HEADERS['content-security-policy']).toBe(CSP);
    for (const [path, type] of [
      ['/dealer/', 'text/html'],
      ['/dealer/index.html', 'text/html'],
      ['/dealer/portal.js', 'text/javascript'],
      ['/dealer/portal.css', 'text/css'],
    ] as const) {
      const res = await fetch(t.baseUrl + path);
      expectPortalHeaders(res, path, type, CSP);
    }
    const bare = await fetch(`${t.baseUrl}/dealer`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/dealer/');
    // serve-static's redirect page sets its own, stricter CSP (default-src 'none'); ours add the rest.
    expect(bare.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(bare.headers.get('x-frame-options')).toBe('DENY');
    expect(bare.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('only the static files are served: no source file, no path traversal, other methods get the API error', async () => {
    for (const path of ['/dealer/dealerPortal.ts', '/dealer/%2e%2e/dealerPortal.ts', '/dealer/..%2fdealerPortal.ts', '/dealer/.hidden']) {
      const res = await rawCall(t.baseUrl, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.json?.error?.code, path).toBe('NOT_FOUND');
    }
    const post = await rawCall(t.baseUrl, 'POST', '/dealer/', { body: {} });
    expect(post.status).toBe(404);
    expect(post.json?.error?.code).toBe('NOT_FOUND');
  });

  it("the API routes keep the API's own headers, not the portal's: /v1/*, /healthz and unknown routes", async () => {
    for (const [path, status] of [
      ['/v1/openapi.json', 200],
      ['/healthz', 200],
      ['/v1/me', 401],
      ['/v1/dealer/vehicles/WVWZZZ1JZ3W386752/keys', 401],
      ['/nowhere', 404],
    ] as const) {
      const res = await rawCall(t.baseUrl, 'GET', path);
      expect(res.status, path).toBe(status);
      // helmet's answer for an API: a CSP that allows nothing, never the portal's script and style sources.
      expect(res.headers.get('content-security-policy'), path).toMatch(/default-src 'none'/);
      expect(res.headers.get('content-security-policy'), path).not.toMatch(/script-src 'self'|style-src 'self'/);
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
  });

  it('the browser script writes data with textContent only and keeps the token out of storage', () => {
    const script = readFileSync(new URL('../../server/portal/static/portal.js', import.meta.url), 'utf8');
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|localStorage|sessionStorage|document\.cookie|indexedDB|\beval\(/);
    const html = readFileSync(new URL('../../server/portal/static/index.html', import.meta.url), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=|https?:\/\//);
  });
});
