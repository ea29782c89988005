/**
 * The customer portal (/account/) in Debian's Chromium, as people use it: the owner story from
 * sign-up to a shared user's key being revoked, in two browser profiles; the subscription centre and
 * payment cards; the lost-phone story (R6, R15) ending with a new key unlocking the simulated car
 * over BLE while the old phone is refused; e-mail recovery refused a main key until the QR proof;
 * every page checked with axe-core and by keyboard (Tab reaches every control, focus shows) at
 * 1280×800 and 390×844; dialogs by keyboard; three languages.
 * With PORTAL_SCREENSHOTS=1, screenshots of every checked page go to the OS temp dir
 * (test/support/portalBrowser.ts: SCREENSHOTS).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { VirtualAuthenticator } from '../../ble-sim/phone/virtualAuthenticator.js';
import { grantDealer } from '../../server/operator/grantDealer.js';
import { startFullStack, type FullStack } from '../support/fullStack.js';
import { codeOf } from '../support/httpCalls.js';
import { CapturingMailer, checkPage, launchChromium, newPerson, passkeysOf, type Person } from '../support/portalBrowser.js';
import { TEST_ORIGIN, TEST_RP_ID } from '../support/testServer.js';

const STORY_TIMEOUT = 300_000;

let stack: FullStack;
let browser: Browser;
/** The origin the browser uses: WebAuthn wants `localhost` (the RP id), not 127.0.0.1. */
let origin: string;
const mailer = new CapturingMailer();
const people: Person[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startFullStack({ mailer, env: (port) => ({ RP_ORIGINS: `${TEST_ORIGIN},http://localhost:${port}` }) });
  origin = `http://localhost:${new URL(stack.t.baseUrl).port}`;
});
afterAll(async () => {
  for (const p of people) await p.context.close().catch(() => undefined);
  await browser?.close();
  await stack?.cleanup();
});

let n = 0;
const email = (who: string) => `${who}-${++n}@example.com`;

async function person(opts: Parameters<typeof newPerson>[1] = {}): Promise<Person> {
  const p = await newPerson(browser, { now: stack.t.clock.now(), ...opts });
  people.push(p);
  return p;
}

/**
 * The owner API of docs/owner-api.md lands route by route: a test whose routes the server does not
 * serve yet is reported as skipped, naming them, and runs as soon as they are served.
 */
function needsRoutes(skip: (condition: boolean, note?: string) => void, ...routes: string[]): void {
  const served = new Set(stack.t.app.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`));
  const missing = routes.filter((r) => !served.has(r));
  skip(missing.length > 0, `not served yet: ${missing.join(', ')}`);
}

const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name }).waitFor();
const notice = async (page: Page) => (await page.getByRole('status').last().textContent()) ?? '';
const text = async (page: Page, selector: string) => ((await page.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ').trim();

async function open(page: Page, hash: string, title: string | RegExp): Promise<void> {
  await page.goto(`${origin}/account/${hash}`);
  await heading(page, title);
}

/** Sign up on the portal with this browser's passkey; ends on My vehicles. */
async function signUp(page: Page, who: { name: string; email: string; device: string }): Promise<void> {
  await open(page, '#/signup', 'Sign up');
  await page.getByLabel('Your name').fill(who.name);
  await page.getByLabel('E-mail address').fill(who.email);
  await page.getByLabel('Name of this device').fill(who.device);
  await page.getByRole('button', { name: 'Create account with a passkey' }).click();
  await heading(page, 'My vehicles');
}

/** Claim by odometer (confirming the R4d warning), activate Standard Services. */
async function claimByOdometer(page: Page, vin: string, odometerKm: number): Promise<void> {
  await page.getByLabel('VIN (vehicle identification number)').fill(vin);
  await page.getByLabel(/With the odometer reading/).check();
  await page.getByLabel('Odometer reading in km').fill(String(odometerKm));
  await page.getByLabel(/I accept the terms of use/).check();
  await page.getByRole('button', { name: 'Claim vehicle' }).click();
  await page.getByRole('button', { name: 'Claim and end every existing key' }).click();
  await page.locator(`li[data-vin="${vin}"]`).waitFor();
  await page.getByRole('button', { name: `Activate Standard Services ${vin}` }).click();
  await page.locator(`li[data-vin="${vin}"] .standard-services`, { hasText: 'Active' }).waitFor();
}

async function startTrialAndGetKey(page: Page, vin: string): Promise<void> {
  await page.getByRole('link', { name: `Subscription ${vin}` }).click();
  await heading(page, `Subscription of ${vin}`);
  await page.getByRole('button', { name: 'Choose Free trial' }).click();
  await page.getByRole('button', { name: 'Start free trial' }).click();
  await page.locator('#subscription-summary', { hasText: 'Free trial:' }).waitFor();
  await page.getByRole('link', { name: 'Back to my vehicles' }).click();
  await page.getByRole('link', { name: `Keys and sharing ${vin}` }).click();
  await heading(page, `Keys and sharing of ${vin}`);
  await page.getByRole('button', { name: 'Get a key on this device' }).click();
  await page.locator('#key-list li[data-role="main"]').waitFor();
}

/** A simulated phone holding the browser's passkey (moved from Chromium's virtual authenticator), logged in. */
async function phoneWithBrowserPasskey(p: Person, passkeyId?: string): Promise<PhoneApp> {
  const passkeys = await passkeysOf(p);
  const passkey = passkeyId ? passkeys.find((k) => k.credentialId === passkeyId) : passkeys[0];
  if (!passkey) throw new Error('no passkey in the browser');
  const authenticator = new VirtualAuthenticator();
  authenticator.importPasskey(passkey);
  const app = new PhoneApp({ baseUrl: stack.t.baseUrl, rpId: TEST_RP_ID, origin: TEST_ORIGIN, authenticator });
  await app.logIn();
  return app;
}

/** The phone fetches a fresh credential for the key its passkey holds on the vehicle. */
async function takeKey(app: PhoneApp, vin: string): Promise<string> {
  const { keys } = await app.api.request<{ keys: Array<{ keyId: string; passkeyId: string }> }>('GET', `/v1/vehicles/${vin}/keys`);
  const key = keys.find((k) => k.passkeyId === app.passkeyId);
  if (!key) throw new Error('the phone holds no key for the vehicle');
  app.wallet.put(vin, await app.api.request('POST', `/v1/keys/${key.keyId}/credential`, {}));
  return key.keyId;
}

describe('customer portal in Chromium', () => {
  it(
    'R2, R4d, R9: the owner story — sign up, verify the e-mail, claim after the warning (by keyboard), Standard Services, the trial, a key; the inbox; Mijn Profiel',
    async ({ skip }) => {
      needsRoutes(skip, 'GET /v1/me/vehicles', 'PATCH /v1/me', 'POST /v1/email-verifications', 'GET /v1/me/notifications', 'PATCH /v1/me/passkeys/:passkeyId');
      const { vin, odometerKm } = await stack.provisionCar();
      const anna = { name: 'Anna Peeters', email: email('anna'), device: 'Pixel 8' };
      const owner = await person();
      const { page } = owner;

      await open(page, '#/login', 'Log in');
      await checkPage(page, 'login');
      await open(page, '#/signup', 'Sign up');
      await checkPage(page, 'signup');
      // A missing name and a bad address are said next to their fields, before anything is sent.
      await page.getByLabel('E-mail address').fill('anna@');
      await page.getByRole('button', { name: 'Create account with a passkey' }).click();
      expect(await text(page, '.field-error >> nth=0')).toBe('Enter your name, as people you share a key with will see it.');
      expect(await text(page, '.field-error >> nth=1')).toBe('Enter an e-mail address such as name@example.com.');
      await signUp(page, anna);

      // The address is verified from the link the outbox e-mailed.
      await page.locator('#email-banner', { hasText: `Please verify ${anna.email}` }).waitFor();
      await page.goto(origin + mailer.link(anna.email, 'verify-email'));
      await page.getByText(`Thank you: ${anna.email} is verified.`).waitFor();
      await checkPage(page, 'verify-email');
      await page.getByRole('link', { name: 'Go to my vehicles' }).click();
      await heading(page, 'My vehicles');
      expect(await page.locator('#email-banner').count()).toBe(0);

      // Claim: a VIN typed with spaces in lower case is read; the terms are required; the R4d
      // warning is spelled out before anything happens, and the dialog is keyboard-safe.
      await page.getByLabel('VIN (vehicle identification number)').fill(` ${vin.slice(0, 8).toLowerCase()} ${vin.slice(8)} `);
      await page.getByLabel(/With the odometer reading/).check();
      await page.getByLabel('Odometer reading in km').fill(String(odometerKm));
      await page.getByRole('button', { name: 'Claim vehicle' }).click();
      expect(await text(page, '#claim-form .field-error')).toBe('Accept the terms of use to claim the vehicle.');
      await page.getByLabel(/I accept the terms of use/).check();
      const claimButton = page.getByRole('button', { name: 'Claim vehicle' });
      await claimButton.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('alertdialog', { name: `Claim ${vin}?` });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('Every digital key of this vehicle ends at once, shared keys included');
      await checkPage(page, 'claim-dialog');
      // Focus starts on Cancel, Tab cycles inside the dialog, Escape closes it and focus returns.
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press('Tab');
        expect(await page.evaluate('!!document.activeElement.closest("dialog")')).toBe(true);
      }
      await page.keyboard.press('Shift+Tab');
      expect(await page.evaluate('!!document.activeElement.closest("dialog")')).toBe(true);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Claim vehicle');
      expect(await page.locator(`li[data-vin="${vin}"]`).count()).toBe(0);
      // By keyboard again, to the end: Enter opens the dialog, Tab to the confirm button, Enter claims.
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Claim and end every existing key');
      await page.keyboard.press('Enter');
      await page.locator(`li[data-vin="${vin}"]`).waitFor();
      expect(await notice(page)).toBe(`You are now the main user of ${vin}. Activate Standard Services to use the Smart Digital Key.`);
      await checkPage(page, 'vehicles');
      // Giving up the usage rights (like removing the vehicle) is spelled out first; Cancel keeps everything.
      await page.getByRole('button', { name: `Give up usage rights ${vin}` }).click();
      const giveUp = page.getByRole('alertdialog', { name: `Give up your usage rights for ${vin}?` });
      await giveUp.waitFor();
      await checkPage(page, 'give-up-rights-dialog');
      await giveUp.getByRole('button', { name: 'Cancel' }).click();
      await giveUp.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: `Activate Standard Services ${vin}` }).click();
      await page.locator(`li[data-vin="${vin}"] .standard-services`, { hasText: 'Active' }).waitFor();

      // The trial (R9): first registered 2026-03-01, today (the server's clock) 2026-11-25: 96 days left.
      await page.getByRole('link', { name: `Subscription ${vin}` }).click();
      await heading(page, `Subscription of ${vin}`);
      expect(await text(page, '#subscription-summary')).toContain('A free trial is available: 96 days, until 1 March 2027');
      await page.getByRole('button', { name: 'Choose Free trial' }).click();
      await page.getByRole('button', { name: 'Start free trial' }).click();
      await page.locator('#subscription-summary', { hasText: 'Free trial: 96 days left, until 1 March 2027.' }).waitFor();
      await checkPage(page, 'subscription-trial');

      // A key on this device, listed with its holder and device; times in the user's zone (Brussels).
      await page.getByRole('link', { name: 'Back to my vehicles' }).click();
      await page.getByRole('link', { name: `Keys and sharing ${vin}` }).click();
      await heading(page, `Keys and sharing of ${vin}`);
      await page.getByRole('button', { name: 'Get a key on this device' }).click();
      const mainKey = page.locator('#key-list li[data-role="main"]');
      await mainKey.waitFor();
      expect(await text(page, '#key-list li[data-role="main"] h3')).toBe('You · this device');
      expect(await text(page, '#key-list li[data-role="main"] dl')).toContain('Created25 Nov 2026, 13:00 CET');

      // Notifications: e-mailed links are not kept in the inbox, so it starts empty.
      await page.getByRole('link', { name: /^Notifications/ }).click();
      await heading(page, 'Notifications');
      expect(await text(page, '#unread-summary')).toBe('You have read everything.');
      await checkPage(page, 'notifications-empty');

      // Mijn Profiel: the passkey with its label; rename it in a dialog; the language by profile.
      await page.getByRole('link', { name: 'My profile' }).click();
      await heading(page, 'My profile');
      expect(await text(page, '#passkey-list li')).toMatch(/^Pixel 8This deviceAdded on 25 November 2026 · not used to log in yet/);
      await checkPage(page, 'profile');
      await page.getByRole('button', { name: 'Rename Pixel 8' }).click();
      await page.getByRole('dialog', { name: 'Rename passkey' }).waitFor();
      await page.keyboard.press('Control+A');
      await page.keyboard.type('Pixel 8 Pro');
      await page.keyboard.press('Enter');
      await page.getByRole('dialog').waitFor({ state: 'detached' });
      await page.locator('#passkey-list li strong', { hasText: 'Pixel 8 Pro' }).waitFor();
      // Removing a passkey warns that its car keys end at once (as R6 does for a lost phone) and, for
      // this device's passkey, that it logs out; Cancel keeps it.
      await page.getByRole('button', { name: 'Remove Pixel 8 Pro' }).click();
      const removePasskey = page.getByRole('alertdialog', { name: 'Remove the passkey Pixel 8 Pro?' });
      await removePasskey.waitFor();
      expect(await removePasskey.textContent()).toContain('Every car key of this passkey ends at once, on every vehicle, as when a lost phone is reported.');
      await checkPage(page, 'remove-passkey-dialog');
      await removePasskey.getByRole('button', { name: 'Cancel' }).click();
      await removePasskey.waitFor({ state: 'detached' });
      await page.locator('#profile-language').selectOption('fr');
      await page.getByRole('button', { name: 'Save' }).click();
      await heading(page, 'Mon profil');
      // The page sets <html lang> in an effect right after it renders the heading: wait for it, bounded.
      await page.waitForFunction("document.documentElement.lang === 'fr'", undefined, { timeout: 5000 });

      expect(owner.errors).toEqual([]);
      // The token stayed in memory: nothing in storage or cookies.
      expect(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]')).toEqual([0, 0, '']);
    },
    STORY_TIMEOUT,
  );

  it(
    'R3: sharing — the owner invites with a profile and a window; the invited person sees who, which car and what, signs up in a second browser and accepts; the owner revokes the shared key',
    async ({ skip }) => {
      needsRoutes(skip, 'GET /v1/me/vehicles', 'GET /v1/invitations/:code', 'GET /v1/vehicles/:vin/invitations', 'GET /v1/me/keys');
      const { vin, odometerKm } = await stack.provisionCar();
      const owner = await person();
      const { page } = owner;
      await signUp(page, { name: 'Anna Peeters', email: email('anna'), device: 'Pixel 8' });
      await claimByOdometer(page, vin, odometerKm);
      await startTrialAndGetKey(page, vin);

      // Invite with a profile (unlock only) and a window.
      await page.getByRole('checkbox', { name: 'lock', exact: true }).uncheck();
      await page.getByLabel('Valid until (optional)').fill('2027-01-15T18:00');
      await page.getByRole('button', { name: 'Create invitation' }).click();
      const url = await text(page, '#invitation-url');
      expect(url).toMatch(new RegExp(`^${origin}/account/#/invitation/[A-Za-z0-9_-]{32}$`));
      await page.locator('#pending-invitations li').waitFor();
      expect(await text(page, '#pending-invitations li')).toContain('unlock · until 15 Jan 2027, 18:00 CET');
      await checkPage(page, 'keys-owner');

      // The invited person, in another browser: sees who invites, the car, the commands and the
      // window; signs up first and comes back to accept.
      const invited = await person({ locale: 'en-GB' });
      await invited.page.goto(url);
      await heading(invited.page, 'Invitation to share a car key');
      await invited.page.getByText('Anna Peeters invites you to use their car with your phone.').waitFor();
      expect(await text(invited.page, '#invitation dl')).toContain(`${vin}`);
      expect(await text(invited.page, '#invitation dl')).toContain('Allowedunlock');
      expect(await text(invited.page, '#invitation dl')).toContain('Validuntil 15 Jan 2027, 18:00 CET');
      await checkPage(invited.page, 'invitation-anonymous');
      await invited.page.getByRole('link', { name: 'Sign up to accept' }).click();
      await heading(invited.page, 'Sign up');
      await invited.page.getByLabel('Your name').fill('Bert Janssens');
      await invited.page.getByLabel('E-mail address').fill(email('bert'));
      await invited.page.getByLabel('Name of this device').fill('Galaxy S24');
      await invited.page.getByRole('button', { name: 'Create account with a passkey' }).click();
      await heading(invited.page, 'Invitation to share a car key');
      await invited.page.getByRole('button', { name: 'Accept the key' }).waitFor();
      await checkPage(invited.page, 'invitation-logged-in');
      await invited.page.getByRole('button', { name: 'Accept the key' }).click();
      await invited.page.getByText(`You have a key for ${vin}.`).waitFor();
      await invited.page.getByRole('link', { name: 'See my keys' }).click();
      await heading(invited.page, 'My keys');
      await invited.page.locator('#key-list li[data-role="shared"]').waitFor();
      expect(await text(invited.page, '#key-list li h3')).toBe('You · this device');
      await checkPage(invited.page, 'my-keys-shared');

      // The owner sees the shared key with its holder's name and device, and revokes it (R3).
      await page.getByRole('link', { name: 'My vehicles', exact: true }).click();
      await page.getByRole('link', { name: `Keys and sharing ${vin}` }).click();
      const sharedKey = page.locator('#key-list li[data-role="shared"]');
      await sharedKey.waitFor();
      expect(await text(page, '#key-list li[data-role="shared"] h3')).toBe('Bert Janssens · Galaxy S24');
      expect(await page.locator('#pending-invitations li').count()).toBe(0);
      await page.getByRole('button', { name: 'Revoke the key of Bert Janssens (Galaxy S24)' }).click();
      const revoke = page.getByRole('alertdialog', { name: 'Revoke the key of Bert Janssens?' });
      expect(await revoke.textContent()).toContain(`Bert Janssens can no longer open or start ${vin} with this key, from now on.`);
      await checkPage(page, 'revoke-dialog');
      await page.getByRole('button', { name: 'Revoke key' }).click();
      await sharedKey.waitFor({ state: 'detached' });
      expect(await notice(page)).toBe('The key was revoked. The car refuses it from its next update.');
      // Focus went back to a sensible place: the removed row's list heading.
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Keys');

      // The shared user's own list is empty now.
      await invited.page.getByRole('link', { name: 'My vehicles', exact: true }).click();
      await invited.page.getByRole('link', { name: 'My keys' }).click();
      await heading(invited.page, 'My keys');
      await invited.page.locator('#no-keys').waitFor();

      expect(owner.errors).toEqual([]);
      expect(invited.errors).toEqual([]);
    },
    STORY_TIMEOUT,
  );

  it(
    'R10, R11: the subscription centre — a card with inline Luhn feedback, a paid plan at its price, auto-renew, the refund shown before cancelling, the payment history',
    async ({ skip }) => {
      needsRoutes(skip, 'GET /v1/me/vehicles');
      const { vin, odometerKm } = await stack.provisionCar({ firstRegistration: '2024-01-15' });
      const owner = await person();
      const { page } = owner;
      await signUp(page, { name: 'Chris Claes', email: email('chris'), device: 'Laptop' });
      await claimByOdometer(page, vin, odometerKm);

      await page.getByRole('link', { name: `Subscription ${vin}` }).click();
      await heading(page, `Subscription of ${vin}`);
      expect(await text(page, '#subscription-summary')).toContain('The free trial ended one year after the first registration.');
      expect(await text(page, '#no-card')).toContain('you have no card yet');
      expect(await page.getByRole('button', { name: 'Choose Yearly plan' }).isDisabled()).toBe(true);
      await page.getByRole('link', { name: 'Add a card' }).click();

      await heading(page, 'Payment cards');
      const number = page.getByLabel('Card number');
      await number.fill('4242 4242 4242 4241');
      expect(await text(page, '#add-card .field-error')).toBe('This number has a typing error: one of the digits is wrong. Check it against your card.');
      expect(await number.getAttribute('aria-invalid')).toBe('true');
      await checkPage(page, 'cards-luhn-error');
      await number.fill('4242 4242 4242 4242');
      expect(await text(page, '#add-card .field-ok')).toBe('Visa: the number looks right.');
      await page.getByLabel('Expiry date (MM/YY)').fill('13/30');
      await page.getByRole('button', { name: 'Add card' }).click();
      expect(await text(page, '#add-card .field-error')).toBe('Write the month and year as MM/YY, for example 08/29.');
      await page.getByLabel('Expiry date (MM/YY)').fill('08/30');
      await page.getByRole('button', { name: 'Add card' }).click();
      await page.locator('#card-list li').waitFor();
      expect(await text(page, '#card-list li h3')).toMatch(/ending in 4242Primary/);
      await checkPage(page, 'cards');

      await page.goto(`${origin}/account/#/vehicles/${vin}/subscription`);
      await heading(page, `Subscription of ${vin}`);
      await page.getByRole('button', { name: 'Choose Yearly plan' }).click();
      const pay = page.getByRole('dialog', { name: 'Start the Yearly plan?' });
      expect(await pay.textContent()).toContain('You pay €49.90 now, in advance, with the card ending in 4242.');
      await page.getByRole('button', { name: 'Pay €49.90' }).click();
      await page.locator('#subscription-summary', { hasText: 'Yearly plan, paid until 25 November 2027.' }).waitFor();
      expect(await text(page, '#payments li')).toContain('Paid€49.90ending in 4242');
      await page.getByLabel('Renew automatically').uncheck();
      await page.getByText('Automatic renewal is off: the plan ends at the end of the paid period.').waitFor();
      await checkPage(page, 'subscription-yearly');

      // R11: the refund is shown before confirming; cancelling a yearly plan in its first month
      // refunds the 11 unused whole months (4990 × 11 / 12 = 4574 cents).
      await page.getByRole('button', { name: 'Cancel plan…' }).click();
      const cancel = page.getByRole('alertdialog', { name: 'Cancel this plan?' });
      await cancel.waitFor();
      expect(await text(page, '#quote-ends')).toBe('It ends on 25 December 2026; your keys work until then.');
      expect(await text(page, '#quote-refund')).toBe('You get €45.74 back on the card that paid.');
      await checkPage(page, 'cancel-dialog');
      await page.getByRole('button', { name: 'Keep my plan' }).click();
      await cancel.waitFor({ state: 'detached' });
      // The 14-day withdrawal is offered too, with its own refund (all but the day used).
      await page.getByRole('button', { name: 'Withdraw (14 days)…' }).click();
      expect(await text(page, '#quote-ends')).toBe('It ends now.');
      expect(await text(page, '#quote-refund')).toMatch(/^You get €49\.\d\d back on the card that paid\.$/);
      await page.getByRole('button', { name: 'Withdraw', exact: true }).click();
      await page.getByText('You withdrew from your plan.').waitFor();
      await page.locator('#payments li', { hasText: 'Refunded' }).waitFor();
      expect(owner.errors).toEqual([]);
    },
    STORY_TIMEOUT,
  );

  it(
    'R6, R15: the lost phone — a dealer revokes it and issues a code; the owner redeems it in a fresh browser, gets a new key that unlocks the car over BLE, and the old phone is refused',
    async ({ skip }) => {
      needsRoutes(skip, 'GET /v1/me/vehicles', 'POST /v1/dealer/accounts/:accountId/recovery-codes', 'POST /v1/recovery/options', 'POST /v1/recovery/passkeys', 'GET /v1/me/notifications');
      const { vin, odometerKm } = await stack.provisionCar();
      const ownerEmail = email('dana');
      const first = await person();
      await signUp(first.page, { name: 'Dana Desmet', email: ownerEmail, device: 'Old phone' });
      await claimByOdometer(first.page, vin, odometerKm);
      await startTrialAndGetKey(first.page, vin);

      // The passkey moves onto a simulated phone, which unlocks the car over BLE.
      const oldPhone = stack.phone(await phoneWithBrowserPasskey(first));
      await takeKey(oldPhone.app, vin);
      expect((await oldPhone.send(vin, 'unlock')).response).toMatchObject({ ok: true, code: 'OK' });

      // The phone is lost: a dealer revokes it (R6) and, having checked the owner's identity, issues a code (R15).
      const dealer = stack.t.phone();
      const dealerEmail = email('dealer');
      await dealer.signUp(dealerEmail, 'Desk');
      await grantDealer(stack.t.app.ctx, dealerEmail);
      await dealer.logIn();
      await dealer.api.request('POST', `/v1/dealer/vehicles/${vin}/revocations`, { scope: 'passkey', passkeyId: oldPhone.app.passkeyId, reason: 'phone lost, owner at the desk' });
      const { code } = await dealer.api.request<{ code: string }>('POST', `/v1/dealer/accounts/${oldPhone.app.accountId}/recovery-codes`, { reason: 'identity card checked' });

      // A fresh browser (the new phone): the old passkey no longer logs in; the code does.
      const fresh = await person({ viewport: { width: 390, height: 844 } });
      const { page } = fresh;
      await open(page, '#/recover', 'Recover your account');
      await checkPage(page, 'recover');
      await page.getByLabel('Recovery code').fill('ABCD-EFGH');
      await page.getByRole('button', { name: 'Register a new passkey with the code' }).click();
      expect(await text(page, '.field-error')).toMatch(/^A recovery code has 20 letters and digits/);
      await page.getByLabel('Recovery code').fill(code.toLowerCase());
      await page.getByLabel('Name of this device').fill('New phone');
      await page.getByRole('button', { name: 'Register a new passkey with the code' }).click();
      await heading(page, 'My vehicles');
      await page.getByRole('link', { name: `Keys and sharing ${vin}` }).click();
      await heading(page, `Keys and sharing of ${vin}`);
      await page.locator('#no-keys').waitFor();
      await page.getByRole('button', { name: 'Get a key on this device' }).click();
      await page.locator('#key-list li[data-role="main"] h3', { hasText: 'You · this device' }).waitFor();
      // The account's inbox says it was recovered, with the unread count in the menu.
      await page.locator('#unread-count').waitFor();
      await page.getByRole('link', { name: /^Notifications/ }).click();
      await heading(page, 'Notifications');
      await page.locator('#notification-list li.unread[data-kind="recovery-used"]').waitFor();
      expect(await text(page, '#unread-summary')).toMatch(/^\d+ unread notifications?\.$/);
      await checkPage(page, 'notifications');
      await page.getByRole('button', { name: 'Mark all as read' }).click();
      await page.locator('#unread-summary', { hasText: 'You have read everything.' }).waitFor();
      expect(await page.locator('#unread-count').count()).toBe(0);

      // The new key unlocks the car; the car learns the revocation from the new phone's manifest,
      // and the old phone's credential is refused.
      const newPhone = stack.phone(await phoneWithBrowserPasskey(fresh));
      expect(newPhone.app.accountId).toBe(oldPhone.app.accountId);
      await takeKey(newPhone.app, vin);
      expect((await newPhone.send(vin, 'unlock')).response).toMatchObject({ ok: true, code: 'OK' });
      expect((await oldPhone.send(vin, 'unlock', { withState: false })).response).toMatchObject({ ok: false, code: 'REVOKED' });
      // The code was single-use, and the old passkey stays dead (R15: recovery revives nothing).
      expect(await codeOf(dealer.api.request('POST', '/v1/recovery/options', { code }))).toBe('RECOVERY_INVALID');
      expect(await codeOf(oldPhone.app.logIn())).toBe('PASSKEY_DISABLED');
      expect(fresh.errors).toEqual([]);
    },
    STORY_TIMEOUT,
  );

  it(
    'R15: after an e-mail recovery link the owner gets no main key until the QR code inside the car proves presence',
    async ({ skip }) => {
      needsRoutes(skip, 'GET /v1/me/vehicles', 'POST /v1/email-verifications', 'POST /v1/recovery/emails', 'POST /v1/recovery/options', 'POST /v1/recovery/passkeys', 'POST /v1/me/presence-proofs');
      const { vin, odometerKm, qrToken } = await stack.provisionCar();
      const ownerEmail = email('eva');
      const first = await person();
      await signUp(first.page, { name: 'Eva Maes', email: ownerEmail, device: 'Phone' });
      await first.page.goto(origin + mailer.link(ownerEmail, 'verify-email'));
      await first.page.getByText(`Thank you: ${ownerEmail} is verified.`).waitFor();
      await first.page.getByRole('link', { name: 'Go to my vehicles' }).click();
      await claimByOdometer(first.page, vin, odometerKm);
      await startTrialAndGetKey(first.page, vin);

      // A new browser asks for a link by e-mail (the answer never says whether the address is known).
      const fresh = await person({ locale: 'nl-BE' });
      const { page } = fresh;
      await open(page, '#/recover', 'Uw account herstellen');
      await page.getByLabel('E-mailadres').fill(ownerEmail);
      await page.getByRole('button', { name: 'Stuur mij een herstellink' }).click();
      await page.getByText(`Als ${ownerEmail} het bevestigde adres van een account is, is er een link onderweg.`, { exact: false }).waitFor();
      await page.goto(origin + mailer.link(ownerEmail, 'recover'));
      await heading(page, 'Uw account herstellen');
      await checkPage(page, 'recover-link-nl');
      await page.getByLabel('Naam van dit toestel').fill('Nieuwe telefoon');
      await page.getByRole('button', { name: 'Nieuwe passkey registreren' }).click();
      await heading(page, 'Mijn voertuigen');
      await page.locator('#presence').waitFor();
      await checkPage(page, 'presence-nl');

      // No main key yet: the refusal is a sentence, not a code.
      await page.getByRole('link', { name: `Sleutels en delen ${vin}` }).click();
      await page.getByRole('button', { name: 'Een sleutel op dit toestel krijgen' }).click();
      await page.getByRole('alert').filter({ hasText: 'U herstelde uw account via e-mail.' }).waitFor();

      // The QR code inside the car: a wrong one is refused next to its field, the right one proves presence.
      await page.getByRole('link', { name: 'Mijn voertuigen', exact: true }).click();
      await page.locator('#presence').getByLabel('Chassisnummer (VIN)').fill(vin);
      await page.locator('#presence').getByLabel('Code van de QR-code').fill('x'.repeat(24));
      await page.getByRole('button', { name: 'Bevestigen met de QR-code' }).click();
      expect(await text(page, '#presence .field-error')).toBe('Deze code hoort niet bij dit voertuig. Controleer het chassisnummer en de code.');
      await page.locator('#presence').getByLabel('Code van de QR-code').fill(qrToken);
      await page.getByRole('button', { name: 'Bevestigen met de QR-code' }).click();
      await page.getByText('Dank u: u kunt weer sleutels krijgen.').waitFor();
      expect(await page.locator('#presence').count()).toBe(0);
      await page.getByRole('link', { name: `Sleutels en delen ${vin}` }).click();
      await page.getByRole('button', { name: 'Een sleutel op dit toestel krijgen' }).click();
      await page.locator('#key-list li[data-role="main"] h3', { hasText: 'U · dit toestel' }).waitFor();
      expect(fresh.errors).toEqual([]);
    },
    STORY_TIMEOUT,
  );

  it('speaks Dutch, French or English from the browser, and a page that needs a login says so', async () => {
    for (const [locale, title] of [['nl-BE', 'Aanmelden'], ['fr-BE', 'Se connecter'], ['de-DE', 'Log in']] as const) {
      const p = await person({ locale });
      await open(p.page, '#/login', title);
      expect(await p.page.evaluate('document.documentElement.lang')).toBe(locale === 'de-DE' ? 'en' : locale.slice(0, 2));
      await p.context.close();
    }
    const p = await person({ locale: 'fr-BE' });
    await open(p.page, '#/cards', 'Se connecter');
    await p.page.getByText('Connectez-vous pour ouvrir cette page. Vous y reviendrez ensuite.').waitFor();
    await open(p.page, '#/nowhere', 'Page introuvable');
    await checkPage(p.page, 'not-found-fr');
    expect(p.errors).toEqual([]);
  }, STORY_TIMEOUT);
});
