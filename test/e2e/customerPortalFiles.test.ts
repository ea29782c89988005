/**
 * The customer portal's files and headers, without a browser: /account/ and its bundles at /assets/
 * carry the portals' strict CSP; the built page has no inline script or style; only built files are
 * served; and the browser code never writes HTML from strings or keeps the token at rest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST_DIR } from '../../server/portal/customerPortal.js';
import { PORTAL_HEADERS } from '../../server/portal/staticPortal.js';
import { rawCall } from '../support/httpCalls.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { expectPortalHeaders } from '../support/portalHeaders.js';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

/** The built page and the files it names (vitest's global setup builds web/ first). */
function builtPage(): { html: string; assets: string[] } {
  const html = readFileSync(join(WEB_DIST_DIR, 'account', 'index.html'), 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  return { html, assets };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|tsx)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

describe('customer portal files and headers (no browser needed)', () => {
  it('/account/ and every bundle it loads carry the strict CSP, X-Frame-Options, Referrer-Policy and no-store', async () => {
    expect(PORTAL_HEADERS['content-security-policy']).toBe(CSP);
    const { assets } = builtPage();
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    const types: Record<string, string> = { js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };
    for (const [path, type] of [['/account/', 'text/html'], ['/account/index.html', 'text/html'], ...assets.map((a) => [a, types[a.split('.').pop()!]!])] as const) {
      const res = await fetch(t.baseUrl + path);
      expectPortalHeaders(res, path, type, CSP);
    }
    const bare = await fetch(`${t.baseUrl}/account`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/account/');
  });

  it('the built page has no inline script, inline style, event-handler attribute or outside URL (CSP would refuse them)', () => {
    const { html } = builtPage();
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/account-[\w-]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|https?:\/\/|data:/);
    for (const asset of builtPage().assets.filter((a) => a.endsWith('.js') || a.endsWith('.css'))) {
      const text = readFileSync(join(WEB_DIST_DIR, asset), 'utf8');
      // No code from elsewhere at run time: everything the page runs is in its own bundle.
      expect(text, asset).not.toMatch(/\bimport\(\s*["']https?:|@import\s+url\(\s*["']?https?:/);
    }
  });

  it('only built files are served: no source, no path traversal, no dotfile; other methods get the API error', async () => {
    for (const path of ['/account/App.tsx', '/account/main.tsx', '/account/..%2f..%2fpackage.json', '/assets/.built', '/account/.hidden', '/assets/../vite.config.ts', '/web/account/index.html']) {
      const res = await rawCall(t.baseUrl, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.json?.error?.code, path).toBe('NOT_FOUND');
    }
    const post = await rawCall(t.baseUrl, 'POST', '/account/', { body: {} });
    expect(post.status).toBe(404);
    expect(post.json?.error?.code).toBe('NOT_FOUND');
  });

  it('the portal code builds no HTML from strings and keeps the session token in memory only', () => {
    const files = sourceFiles(new URL('../../web/', import.meta.url).pathname).filter((f) => !f.includes('/dist/'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|dangerouslySetInnerHTML|document\.write|localStorage|sessionStorage|document\.cookie|indexedDB|\beval\(|new Function\(/);
    }
  });
});
