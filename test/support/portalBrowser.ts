/**
 * Browser tests of the web portals in Debian's Chromium (playwright-core, never a downloaded
 * browser): one browser per test file, a fresh context per person with a CDP virtual authenticator
 * that verifies the user (R14), the passkey's private key read back from it (to move it onto the
 * simulated phone that talks to the car), axe-core and keyboard checks at a desktop and a phone
 * viewport, and screenshots to look at.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Mailer } from '../../server/notifications/outbox.js';

export const CHROMIUM = '/usr/bin/chromium';
export const STEP_TIMEOUT = 10_000;
/** Where screenshots go when `PORTAL_SCREENSHOTS=1` (the test names each file). */
export const SCREENSHOTS = join(tmpdir(), 'sdk-portal-screenshots');

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** Launch Debian's Chromium headless, or fail with a message that says what to install. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the portal's browser tests need Debian's chromium (apt-get install -y chromium; .ci/run does)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
}

export interface Person {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  /** Page errors and CSP refusals seen so far (a test expects none). */
  errors: string[];
}

/**
 * A new person: a fresh browser profile (no cookies, no storage) with one platform authenticator
 * that verifies the user, in a language and a time zone, at the server's time.
 */
export async function newPerson(
  browser: Browser,
  opts: { locale?: string; timezoneId?: string; viewport?: { width: number; height: number }; /** The server's time (its manual clock): the page lives at the same instant. */ now?: number } = {},
): Promise<Person> {
  const context = await browser.newContext({ viewport: opts.viewport ?? DESKTOP, locale: opts.locale ?? 'en-GB', timezoneId: opts.timezoneId ?? 'Europe/Brussels' });
  // Date.now() in the page (days left, "is this moment past?") must agree with the server's clock; timers run as usual.
  if (opts.now !== undefined) await context.clock.setFixedTime(opts.now);
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy|Refused to/i.test(msg.text())) errors.push(`console: ${msg.text()}`);
  });
  return { context, page, cdp, authenticatorId, errors };
}

/** A passkey as the CDP virtual authenticator holds it, private key included. */
export interface BrowserPasskey {
  credentialId: string;
  rpId: string;
  userHandle: string;
  privateKeyPkcs8: Uint8Array;
  signCount: number;
}

/** The passkeys of a person's authenticator (`WebAuthn.getCredentials`), ids in base64url. */
export async function passkeysOf(person: Person): Promise<BrowserPasskey[]> {
  const { credentials } = await person.cdp.send('WebAuthn.getCredentials', { authenticatorId: person.authenticatorId });
  return credentials.map((c) => ({
    credentialId: Buffer.from(c.credentialId, 'base64').toString('base64url'),
    rpId: c.rpId ?? 'localhost',
    userHandle: Buffer.from(c.userHandle ?? '', 'base64').toString('base64url'),
    privateKeyPkcs8: new Uint8Array(Buffer.from(c.privateKey, 'base64')),
    signCount: c.signCount,
  }));
}

/**
 * The page at both sizes: no sideways scroll, no serious or critical axe-core violation, and the
 * keyboard check ({@link checkKeyboard}); with `PORTAL_SCREENSHOTS=1` also a screenshot of each
 * (`<name>-1280.png`, `<name>-390.png` in {@link SCREENSHOTS}) to look at. Leaves the page at the
 * desktop size, with focus where it was.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow, `${name} at ${viewport.width} px scrolls sideways`).toBeLessThanOrEqual(0);
    const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(bad, `${name} at ${viewport.width} px`).toEqual([]);
    if (process.env.PORTAL_SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}-${viewport.width}.png`), fullPage: true });
    await checkKeyboard(page, `${name} at ${viewport.width} px`);
  }
  await page.setViewportSize(DESKTOP);
}

/*
 * The browser side of the keyboard check, as scripts (the tests compile without the DOM's types).
 * MARK_REACHABLE names, with a data-kbd attribute, every element a keyboard user must be able to
 * reach: visible, enabled, not inert (inside the open modal dialog when there is one), focusable in
 * the tab order; the radios of one group share a name, since Tab stops at one radio per group. It
 * keeps the focused element (data-kbd-focused) and the scroll position to put back afterwards.
 */
const MARK_REACHABLE = `(() => {
  for (const el of document.querySelectorAll('[data-kbd]')) el.removeAttribute('data-kbd');
  for (const el of document.querySelectorAll('[data-kbd-focused]')) el.removeAttribute('data-kbd-focused');
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.setAttribute('data-kbd-focused', '');
  window.__kbdScroll = [window.scrollX, window.scrollY];
  const scope = document.querySelector('dialog:modal') ?? document;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.type === 'radio' || el.type === 'checkbox' ? '[' + el.name + '=' + el.value + ']' : '') + ' "' + (el.getAttribute('aria-label') ?? el.textContent ?? '').replace(/\\s+/g, ' ').trim().slice(0, 60) + '"';
  const groups = new Map();
  const names = [];
  for (const el of scope.querySelectorAll('a[href], button, input:not([type="hidden"]), select, textarea, [tabindex]')) {
    if (el.tabIndex < 0 || el.disabled || el.closest('[inert]')) continue;
    const box = el.getBoundingClientRect();
    if (!el.checkVisibility({ visibilityProperty: true }) || box.width < 2 || box.height < 2) continue;
    if (el.type === 'radio' && el.name) {
      const key = el.form?.id + '/' + el.name;
      if (!groups.has(key)) { groups.set(key, 'radios ' + describe(el)); names.push(groups.get(key)); }
      el.setAttribute('data-kbd', groups.get(key));
      continue;
    }
    const name = describe(el) + ' #' + names.length;
    el.setAttribute('data-kbd', name);
    names.push(name);
  }
  return names;
})()`;

/** What has focus now: its data-kbd name (or a description) and whether a focus indicator shows. */
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return { name: el.getAttribute('data-kbd') ?? el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' (not expected in the tab order)', indicated: outline || style.boxShadow !== 'none' };
})()`;

const RESTORE_FOCUS = `(() => {
  const before = document.querySelector('[data-kbd-focused]');
  if (before) before.focus({ preventScroll: true });
  else document.activeElement?.blur();
  window.scrollTo(...window.__kbdScroll);
})()`;

/**
 * Keyboard use: pressing Tab from the top of the page reaches every element of
 * {@link MARK_REACHABLE}, and whatever gets focus shows a focus indicator (an outline or a box
 * shadow). Tab goes round the page (or the open dialog) until all were reached or twice as many
 * presses as elements went by; focus and scroll go back to where they were.
 */
async function checkKeyboard(page: Page, label: string): Promise<void> {
  const expected = (await page.evaluate(MARK_REACHABLE)) as string[];
  await page.evaluate('document.activeElement?.blur(); window.scrollTo(0, 0)');
  const missing = new Set(expected);
  const unmarked = new Set<string>();
  for (let press = 0; press < 2 * expected.length + 4 && missing.size > 0; press++) {
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate(FOCUSED)) as { name: string; indicated: boolean } | null;
    if (!focused) continue;
    missing.delete(focused.name);
    if (!focused.indicated) unmarked.add(focused.name);
  }
  await page.evaluate(RESTORE_FOCUS);
  expect([...missing], `${label}: not reached by Tab`).toEqual([]);
  expect([...unmarked], `${label}: focused without a visible focus indicator`).toEqual([]);
}

/** A mailer that keeps every message it is handed, to read e-mailed links from. */
export class CapturingMailer implements Mailer {
  readonly sent: Array<{ email: string | null; text: string }> = [];

  async send(...args: Parameters<Mailer['send']>): Promise<void> {
    this.sent.push({ email: args[0].email, text: JSON.stringify(args) });
  }

  /** The newest portal link of a kind (`verify-email`, `recover`) e-mailed to an address. */
  link(email: string, kind: 'verify-email' | 'recover'): string {
    const pattern = new RegExp(`/account/#/${kind}/([A-Za-z0-9_-]+)`);
    for (const message of [...this.sent].reverse()) {
      const match = message.email === email ? pattern.exec(message.text) : null;
      if (match) return `/account/#/${kind}/${match[1]}`;
    }
    throw new Error(`no ${kind} link was e-mailed to ${email}`);
  }
}
