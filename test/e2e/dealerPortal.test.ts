/**
 * The dealer desk (web/dealer, served at /dealer/) in a real browser (Debian's Chromium, driven by
 * playwright-core) with a CDP virtual authenticator: a dealer logs in, finds a customer by e-mail,
 * identifies the lost phone by its holder and device label, revokes it with a reason after a fresh
 * passkey check (step-up), sees the key gone, the audit entry and "reached the car" from a car synced
 * to the server, issues a recovery code and exports the audit trail; wipes another vehicle's keys
 * after the step-up window passed; a non-dealer is told at login; a new dealer is enrolled from the
 * link the operator CLI prints (spawned against this server's operator endpoint). Each view passes axe and the
 * keyboard check at 1280×800 and 390×844. The security headers are on /dealer/* only.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedKey, PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { Air } from '../../ble-sim/air/air.js';
import { AirBindings } from '../../ble-sim/noble/airBindings.js';
import { createNoble } from '../../ble-sim/noble/createNoble.js';
import { sendCommand } from '../../ble-sim/phone/phoneCentral.js';
import { createVehicle, type Vehicle } from '../../ble-sim/vehicle/createVehicle.js';
import { VehicleSync } from '../../ble-sim/vehicle/vehicleSync.js';
import { readAccountAudit } from '../../server/accounts/accountAudit.js';
import { grantDealer } from '../../server/operator/grantDealer.js';
import { startOperatorEndpoint } from '../../server/operator/operatorEndpoint.js';
import { DEALER_PORTAL_HEADERS } from '../../server/portal/dealerPortal.js';
import { codeOf, rawCall } from '../support/httpCalls.js';
import { checkPage, launchChromium, newPerson, PHONE, type Person } from '../support/portalBrowser.js';
import { startTestServer, TEST_ORIGIN, TEST_RP_ID, type TestServer } from '../support/testServer.js';
import { expectPortalHeaders } from '../support/portalHeaders.js';
import { spawnProcess } from '../support/spawnedProcess.js';

let t: TestServer;
/** The origin the browser uses: WebAuthn wants `localhost` (the RP id), not 127.0.0.1. */
let origin: string;
let browser: Browser;
const people: Person[] = [];
const syncs: VehicleSync[] = [];
const cars: Vehicle[] = [];
const air = new Air({ seed: 17 });
let carDir: string;

beforeAll(async () => {
  t = await startTestServer({ env: (port) => ({ RP_ORIGINS: `${TEST_ORIGIN},http://localhost:${port}`}) });
  origin = `http://localhost:${new URL(t.baseUrl).port}`;
  browser = await launchChromium();
  carDir = await mkdtemp(join(tmpdir(), 'sdk-desk-cars-'));
});
afterAll(async () => {
  for (const s of syncs) await s.stop();
  for (const car of cars) await car.stop();
  if (carDir) await rm(carDir, { recursive: true, force: true });
  for (const p of people) await p.context.close().catch(() => undefined);
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

/** A person at the desk: a fresh browser profile with a platform authenticator that verifies the user. */
async function deskPage(): Promise<Person> {
  const person = await newPerson(browser, { now: t.clock.now() });
  people.push(person);
  await person.page.goto(`${origin}/dealer/`);
  return person;
}

/** Sign up through the API from the page (`POST /v1/accounts`, a passkey by the browser's authenticator, `POST …/passkeys`). */
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
      const created = (await post('/v1/accounts', { email: address, displayName })) as { accountId: string; enrollmentToken: string; options: { challenge: string; user: { id: string }; excludeCredentials?: Array<{ id: string }> } };
      const o = created.options;
      const nav = (globalThis as unknown as BrowserGlobals).navigator;
      const credential = await nav.credentials.create({
        publicKey: { ...o, challenge: toBuffer(o.challenge), user: { ...o.user, id: toBuffer(o.user.id) }, excludeCredentials: (o.excludeCredentials ?? []).map((c) => ({ ...c, id: toBuffer(c.id) })) },
      });
      if (!credential) throw new Error('no credential');
      const enrolled = (await post(`/v1/accounts/${created.accountId}/passkeys`, {
        enrollmentToken: created.enrollmentToken,
        response: {
          id: credential.id,
          rawId: toB64Url(credential.rawId),
          type: credential.type,
          response: { clientDataJSON: toB64Url(credential.response.clientDataJSON), attestationObject: toB64Url(credential.response.attestationObject), transports: credential.response.getTransports() },
          clientExtensionResults: credential.getClientExtensionResults(),
        },
      })) as { passkeyId: string };
      return enrolled.passkeyId;
    },
    { address, displayName },
  );
}

async function logInAtDesk(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log in with a passkey' }).click();
}

/** A vehicle whose car is synced to the server, with a main user and a shared user (unlock only, a week) on a "Pixel 8". */
async function vehicleWithSharedKey(): Promise<{ vin: string; owner: PhoneApp; ownerEmail: string; shared: PhoneApp }> {
  const { vin, odometerKm, vehiclePrivateJwk, linkSecret } = await t.provision();
  const ownerEmail = email('owner');
  const owner = await t.mainUserWithKey(vin, odometerKm, ownerEmail);
  await owner.api.request('PATCH', `/v1/me/passkeys/${owner.passkeyId}`, { label: 'Galaxy S24' });
  const nowS = Math.floor(t.clock.now() / 1000);
  const { code } = await owner.api.request<{ code: string }>('POST', `/v1/vehicles/${vin}/invitations`, { perms: ['unlock'], notBefore: nowS, notAfter: nowS + 7 * 86_400 });
  const shared = t.phone();
  await shared.signUp(email('shared'), 'Anna Peeters');
  await shared.api.request('PATCH', `/v1/me/passkeys/${shared.passkeyId}`, { label: 'Pixel 8' });
  const issued = await shared.api.request<IssuedKey>('POST', `/v1/invitations/${code}/accept`, { passkeyId: shared.passkeyId });
  shared.wallet.put(vin, issued);
  // The car itself, on the simulated air, synced to the server: it applies each manifest, then acknowledges it.
  const car = createVehicle({ vin, linkSecret, trust: t.app.ctx.trust, rpId: TEST_RP_ID, origins: [TEST_ORIGIN], stateFile: join(carDir, `${vin}.json`), clock: t.clock, air });
  await car.start();
  cars.push(car);
  const sync = new VehicleSync({ baseUrl: t.baseUrl, vin, privateKey: vehiclePrivateJwk, issuer: t.config.ISSUER, clock: t.clock, applyManifest: (m) => car.applyManifest(m), applyTrustUpdate: (tokens) => car.applyTrustUpdate(tokens), initialBackoffMs: 20, maxBackoffMs: 200 });
  sync.start();
  syncs.push(sync);
  return { vin, owner, ownerEmail, shared };
}

async function search(page: Page, q: string): Promise<void> {
  await page.getByLabel('VIN or customer e-mail').fill(q);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
}

/** The key cards: one per key, with the passkey and key ids the page put on it. */
async function keyCards(page: Page) {
  return page.$$eval('#keys > li', (cards) =>
    cards.map((c) => {
      const data = (c as unknown as { dataset: Record<string, string> }).dataset;
      const text = (sel: string) => c.querySelector(sel)?.textContent ?? '';
      return { keyId: data.keyId, passkeyId: data.passkeyId, title: text('h3'), role: text('.role'), perms: text('.perms'), window: text('.window'), button: text('button') };
    }),
  );
}

/** The audit entries on screen, newest first. */
async function auditEntries(page: Page) {
  return page.$$eval('#audit > li', (items) => items.map((i) => ({ action: (i as unknown as { dataset: Record<string, string> }).dataset.action, text: i.textContent ?? '' })));
}

async function focusedName(page: Page): Promise<string> {
  return page.evaluate('document.activeElement ? document.activeElement.tagName + ":" + (document.activeElement.textContent ?? "") : ""');
}

describe('dealer desk in Chromium', () => {
  let dealer: Person;

  it('R6, R13, R15: a dealer finds the customer by e-mail, revokes the lost Pixel 8 after a passkey check, sees it reach the car, issues a recovery code and exports the audit', async () => {
    const { vin, owner, ownerEmail, shared } = await vehicleWithSharedKey();
    dealer = await deskPage();
    const { page } = dealer;
    expect(await page.title()).toBe('Log in to the dealer desk · Dealer desk');
    await checkPage(page, 'desk-login');

    const dealerEmail = email('dealer');
    await signUpInBrowser(page, dealerEmail, 'Dana Dealer');
    await grantDealer(t.app.ctx, dealerEmail);
    await logInAtDesk(page); // a discoverable login: the authenticator offers the dealer's passkey
    await page.getByRole('heading', { name: 'Find a vehicle or a customer' }).waitFor();
    expect(await page.textContent('#who')).toBe(`Signed in as Dana Dealer <${dealerEmail}>`);
    await checkPage(page, 'desk-search');

    // By the customer's e-mail, typed with spaces and capitals.
    await search(page, `  ${ownerEmail.toUpperCase()} `);
    await page.getByRole('button', { name: `Open vehicle ${vin}` }).click();
    await page.getByRole('heading', { name: vin, level: 1 }).waitFor();
    expect(await page.textContent('#customer')).toBe(`Owner <${ownerEmail}> (${(await owner.api.request<{ emailVerified: boolean }>('GET', '/v1/me')).emailVerified ? 'verified' : 'not verified'})`);
    expect(await page.textContent('#subscription')).toMatch(/free trial \(\d+ days of trial left\)/);
    const before = await keyCards(page);
    expect(before).toHaveLength(2);
    expect(before.find((k) => k.role === 'main user')).toMatchObject({ passkeyId: owner.passkeyId, keyId: owner.wallet.get(vin)!.keyId, title: 'Galaxy S24 · Owner', window: 'always' });
    const lost = before.find((k) => k.role === 'shared');
    expect(lost).toMatchObject({ passkeyId: shared.passkeyId, keyId: shared.wallet.get(vin)!.keyId, perms: 'unlock', title: 'Pixel 8 · Anna Peeters', button: 'Revoke Pixel 8 of Anna Peeters' });
    expect(lost!.window).toMatch(/^25 Nov 2026, 13:00 CET – 2 Dec 2026, 13:00 CET$/);
    // Every action button has its own accessible name.
    const names = await page.$$eval('button', (bs) => bs.map((b) => b.textContent ?? ''));
    expect(new Set(names).size).toBe(names.length);
    await checkPage(page, 'desk-vehicle');

    // The confirm step: nothing is revoked until a reason is given and the passkey checked again.
    const revokeLost = page.getByRole('button', { name: 'Revoke Pixel 8 of Anna Peeters' });
    await revokeLost.click();
    const dialog = page.getByRole('alertdialog', { name: 'Revoke Pixel 8 of Anna Peeters' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('its passkey can no longer log in');
    await checkPage(page, 'desk-revoke-dialog');
    // Escape closes it, and focus goes back to the button that opened it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focusedName(page)).toBe('BUTTON:Revoke Pixel 8 of Anna Peeters');
    await revokeLost.click();
    await dialog.getByRole('button', { name: 'Check passkey and revoke' }).click();
    expect(await dialog.getByRole('alert').textContent()).toBe('Give a reason of at least 3 characters.');
    expect(await keyCards(page)).toHaveLength(2);
    await dialog.getByLabel('Reason (kept in the audit trail)').fill('Phone stolen, reported by the customer at the desk');
    // The passkey check fails (the authenticator does not verify the user): said in words, nothing revoked, try again.
    await dealer.cdp.send('WebAuthn.setUserVerified', { authenticatorId: dealer.authenticatorId, isUserVerified: false });
    await dialog.getByRole('button', { name: 'Check passkey and revoke' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The passkey prompt was closed or timed out.' }).waitFor();
    expect(await keyCards(page)).toHaveLength(2);
    await dealer.cdp.send('WebAuthn.setUserVerified', { authenticatorId: dealer.authenticatorId, isUserVerified: true });
    await dialog.getByRole('button', { name: 'Check passkey and revoke' }).click();
    await page.getByRole('status').filter({ hasText: '1 key revoked.' }).waitFor();
    await dialog.waitFor({ state: 'detached' });
    expect(await focusedName(page)).toBe('H2:Keys'); // the opener is gone: focus goes to the list's heading, never to <body>

    const after = await keyCards(page);
    expect(after.map((k) => k.passkeyId)).toEqual([owner.passkeyId]);
    // The car on the sync channel applied the revocation and said so.
    await expect
      .poll(async () => {
        await page.click('#car-refresh');
        return page.textContent('#car-status');
      }, { timeout: 10_000 })
      .toMatch(/^Reached the car at \d+ \w+ 2026, \d\d:\d\d CET\.$/);
    await page.locator('#audit > li').filter({ hasText: 'reached the car' }).first().waitFor();
    const [latest] = await auditEntries(page);
    expect(latest!.action).toBe('revoke');
    expect(latest!.text).toContain('Dana Dealer (dealer)');
    expect(latest!.text).toContain('Key revoked');
    expect(latest!.text).toContain('lost phone: Phone stolen, reported by the customer at the desk');
    expect(latest!.text).toContain('reached the car');

    // The customer is told the truth: the car refuses the lost phone now, over BLE.
    const { state: _state, advertising, ...key } = shared.credentialFor(vin);
    const refused = await sendCommand({ noble: createNoble(new AirBindings(air)), advertising: { ...advertising, clock: t.clock }, vin, cmd: 'unlock', ...key, authenticator: shared.authenticator, rpId: TEST_RP_ID, origin: TEST_ORIGIN, timeoutMs: 5000 });
    expect(refused.response.code).toBe('REVOKED');

    // R6: the lost phone's passkey no longer works for the account; the main user's phone does.
    expect(await codeOf(shared.logIn())).toBe('PASSKEY_DISABLED');
    await owner.refresh(vin);

    // R15: the owner's identity was checked at the desk: a one-time code, audited with the reason.
    await page.getByRole('button', { name: 'Issue a recovery code for Owner' }).click();
    const codeDialog = page.getByRole('dialog', { name: 'Issue a recovery code for Owner' });
    await codeDialog.getByLabel('Reason (kept in the audit trail)').fill('Identity card checked at the desk');
    await codeDialog.getByRole('button', { name: 'Issue a recovery code for Owner' }).click();
    await codeDialog.waitFor({ state: 'detached' });
    expect(await page.textContent('#recovery-result')).toMatch(/^Recovery code \(shown once, valid until .+\): [0-9A-Z]{4}(-[0-9A-Z]{4}){4}$/);
    expect((await readAccountAudit(t.app.ctx, owner.accountId!, 10)).map((e) => e.reason)).toContain('Identity card checked at the desk');

    // The audit trail as CSV.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the audit trail (CSV)' }).click()]);
    expect(download.suggestedFilename()).toBe(`audit-${vin}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('at,action,actorRole,actorAccountId,actorName,reason,note,keyIds,epoch,seq,reachedCar');
    expect(csv).toContain('Dana Dealer,"lost-phone: Phone stolen, reported by the customer at the desk"');

    // The session token stayed in the page's memory: nothing in storage or cookies.
    expect(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]')).toEqual([0, 0, '']);
    expect(dealer.errors).toEqual([]);
  });

  it('a dealer wipes every key of a vehicle found by a pasted VIN, at phone size, after the step-up window passed', async () => {
    const { vin, owner } = await vehicleWithSharedKey();
    const { page } = dealer;
    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: 'Find a vehicle or a customer' }).click();
    const dealerCalls: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/v1/dealer/search')) dealerCalls.push(req.url());
    });
    await search(page, 'WVWZZZ1JZ3W38652I'); // 17 characters, but I is never in a VIN: it never leaves the page
    expect(await page.getByRole('alert').textContent()).toMatch(/^This is neither an e-mail address nor a VIN/);
    expect(dealerCalls).toEqual([]);
    await search(page, ` ${vin.slice(0, 9).toLowerCase()} ${vin.slice(9)} `); // the desk never cuts a VIN before trimming it
    await page.getByRole('heading', { name: vin, level: 1 }).waitFor();
    await page.locator('#keys > li').first().waitFor();
    expect(await keyCards(page)).toHaveLength(2);
    expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    await page.click('#revoke-all');
    const dialog = page.getByRole('alertdialog', { name: 'Revoke every key of this vehicle' });
    expect(await dialog.textContent()).toContain('The main user keeps the vehicle and can request a new key from their own phone.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    // Step-up: the login is now 6 minutes old; the desk asks the passkey again (the authenticator verifies the user).
    t.clock.advance(6 * 60_000);
    await page.click('#revoke-all');
    await dialog.getByLabel('Reason (kept in the audit trail)').fill('Vehicle sold at the dealership');
    await dialog.getByRole('button', { name: 'Check passkey and revoke' }).click();
    await page.getByRole('status').filter({ hasText: '2 keys revoked.' }).waitFor();
    // The list reloads after the answer: wait for it to show no key (a snapshot right after the notice could race it).
    await page.locator('#keys-empty').waitFor({ timeout: 10_000 });
    await expect.poll(async () => (await auditEntries(page))[0]?.action, { timeout: 10_000 }).toBe('wipe');
    const [latest] = await auditEntries(page);
    expect(latest!.text).toContain('Every key ended');
    expect(latest!.text).toContain('a dealer ended every key — Vehicle sold at the dealership');
    expect(await codeOf(owner.refresh(vin))).toMatch(/^(REVOKED|EPOCH_STALE|KEY_NOT_FOUND)$/);
    await page.setViewportSize({ width: 1280, height: 800 });
    await checkPage(page, 'desk-vehicle-wiped');
    expect(dealer.errors).toEqual([]);
  });

  it('a non-dealer is told at login and logged out, before any look-up', async () => {
    const person = await deskPage();
    const { page, errors } = person;
    const dealerCalls: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/v1/dealer/')) dealerCalls.push(req.url());
    });
    await signUpInBrowser(page, email('customer'), 'Carl Customer');
    await logInAtDesk(page);
    await page.locator('#not-dealer').waitFor();
    expect(await page.textContent('#not-dealer')).toBe('This account is not a dealer account. Ask your operator for a dealer invitation; you have been logged out.');
    expect(await page.isVisible('#who')).toBe(false);
    expect(dealerCalls).toEqual([]);
    await checkPage(page, 'desk-not-dealer');
    expect(errors).toEqual([]);
  });

  it("a new dealer is enrolled from the operator's invitation link: the CLI prints it, the desk registers the passkey (after a cancelled prompt) and lands on the search", async () => {
    // The operator CLI, spawned as an operator runs it, against this server's operator endpoint (as with npm run dev).
    const dataDir = await mkdtemp(join(tmpdir(), 'sdk-operator-'));
    const endpointToken = randomBytes(32).toString('base64url');
    const endpoint = await startOperatorEndpoint(t.app.ctx, { token: endpointToken });
    try {
      await writeFile(join(dataDir, 'dev-operator.json'), JSON.stringify({ url: endpoint.url, token: endpointToken, pid: process.pid }), { mode: 0o600 });
      const address = email('new-dealer');
      const cli = spawnProcess('node_modules/.bin/tsx', ['server/operator/main.ts', 'invite-dealer', '--email', address, '--name', 'Eva Enrol'], { env: { REDIS_URL: undefined, SDK_DATA_DIR: dataDir } });
      expect(await cli.exited, cli.output()).toBe(0);
      const printed = /(\S+\/dealer\/#\/enrol\/[A-Za-z0-9_-]{43})$/m.exec(cli.output())?.[1];
      expect(printed, cli.output()).toMatch(new RegExp(`^${t.config.PORTAL_URL}/dealer/#/enrol/`));
      const link = new URL(printed!);

      const person = await newPerson(browser, { now: t.clock.now() });
      people.push(person);
      const { page, errors } = person;
      await page.goto(`${origin}${link.pathname}${link.hash}`);
      await page.getByRole('heading', { name: 'Become a dealer' }).waitFor();
      expect(await page.textContent('#enrol-for')).toMatch(new RegExp(`^This invitation makes ${address} a dealer\\. It can be used once, until \\d+ \\w+ 2026, \\d\\d:\\d\\d CET\\.$`));
      await checkPage(page, 'desk-enrol');
      await page.getByLabel('Your name, as customers and colleagues see it').fill('Eva Enrol');
      await page.getByLabel('Name of this device').fill('Desk PC');

      // A cancelled passkey prompt is said in words and offers to try again; nothing is used up.
      await person.cdp.send('WebAuthn.setUserVerified', { authenticatorId: person.authenticatorId, isUserVerified: false });
      await page.getByRole('button', { name: 'Create my dealer passkey' }).click();
      await page.getByRole('alert').filter({ hasText: 'The passkey prompt was closed or timed out.' }).waitFor();
      await checkPage(page, 'desk-enrol-cancelled');
      await person.cdp.send('WebAuthn.setUserVerified', { authenticatorId: person.authenticatorId, isUserVerified: true });
      await page.getByRole('button', { name: 'Try again' }).click();

      await page.getByRole('heading', { name: 'Find a vehicle or a customer' }).waitFor();
      expect(await page.textContent('#who')).toBe(`Signed in as Eva Enrol <${address}>`);
      expect(await page.evaluate('location.hash')).toBe('');
      const account = await t.app.ctx.accounts.findByEmail(address);
      expect(account).toMatchObject({ dealer: true, emailVerified: true, displayName: 'Eva Enrol' });
      expect((await readAccountAudit(t.app.ctx, account!.accountId)).map((e) => e.action)).toEqual(['dealer-enrolled']);
      expect(errors).toEqual([]);

      // The link was used up: opened again, it says so in a sentence.
      const again = await newPerson(browser, { now: t.clock.now() });
      people.push(again);
      await again.page.goto(`${origin}${link.pathname}${link.hash}`);
      await again.page.locator('#enrol-refused').waitFor();
      expect(await again.page.textContent('#enrol-refused')).toBe('This invitation link was already used or has expired. Ask the operator for a new one.');
      await checkPage(again.page, 'desk-enrol-used');
    } finally {
      await new Promise((resolve) => endpoint.server.close(resolve));
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('dealer desk headers', () => {
  const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

  it('/dealer/* and its bundles carry the strict CSP, X-Frame-Options and Referrer-Policy', async () => {
    expect(DEALER_PORTAL_HEADERS['content-security-policy']).toBe(CSP);
    const html = await (await fetch(`${t.baseUrl}/dealer/`)).text();
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1];
    const style = /<link rel="stylesheet" crossorigin href="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/assets\//);
    expect(style).toMatch(/^\/assets\//);
    for (const [path, type] of [
      ['/dealer/', 'text/html'],
      ['/dealer/index.html', 'text/html'],
      [script!, 'text/javascript'],
      [style!, 'text/css'],
    ] as const) {
      expectPortalHeaders(await fetch(t.baseUrl + path), path, type, CSP);
    }
    const bare = await fetch(`${t.baseUrl}/dealer`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/dealer/');
    // serve-static's redirect page sets its own, stricter CSP (default-src 'none'); ours add the rest.
    expect(bare.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(bare.headers.get('x-frame-options')).toBe('DENY');
    expect(bare.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('only the built files are served: no source file, no path traversal, other methods get the API error', async () => {
    for (const path of ['/dealer/main.tsx', '/dealer/DealerDesk.tsx', '/dealer/..%2fdealerPortal.ts', '/dealer/..%2f..%2fpackage.json', '/dealer/.hidden']) {
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

  it('the desk writes data as text only and keeps the token out of storage; its page has no inline code', () => {
    const dir = new URL('../../web/dealer/', import.meta.url);
    for (const name of readdirSync(dir).filter((f) => /\.tsx?$/.test(f))) {
      const source = readFileSync(new URL(name, dir), 'utf8');
      expect(source, name).not.toMatch(/innerHTML|dangerouslySetInnerHTML|outerHTML|insertAdjacentHTML|document\.write|localStorage|sessionStorage|document\.cookie|indexedDB|\beval\(/);
    }
    const html = readFileSync(new URL('../../web/dist/dealer/index.html', import.meta.url), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=|https?:\/\//);
  });
});
