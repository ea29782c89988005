/**
 * The API artifacts app developers build on: docs/openapi.json and the phone's typed client types
 * (ble-sim/phone/generatedApiTypes.ts) must be exactly what the route definitions generate, and the
 * document must pass Redocly's recommended lint rules.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ARTIFACT_FILES, staleApiArtifacts } from '../../server/http/apiArtifacts.js';
import { rawCall } from '../support/httpCalls.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

const run = promisify(execFile);

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('the checked-in API artifacts', () => {
  it('are what the routes generate (run `npm run api:generate` after changing a route)', async () => {
    expect(await staleApiArtifacts()).toEqual([]);
  });

  it('docs/openapi.json is the served document, but for its server (relative there, ISSUER when served)', async () => {
    const served = (await rawCall(t.baseUrl, 'GET', '/v1/openapi.json')).json as Record<string, unknown>;
    const published = JSON.parse(await readFile(API_ARTIFACT_FILES.document, 'utf8')) as Record<string, unknown>;
    expect(served.servers).toEqual([{ url: t.config.ISSUER }]);
    expect({ ...published, servers: served.servers }).toEqual(served);
  });

  it('docs/openapi.json passes `redocly lint` with the recommended rules: no error, no warning', { timeout: 60_000 }, async () => {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'api:lint'], { env: { ...process.env, NO_COLOR: '1' } });
    const output = stdout + stderr;
    expect(output).toContain('Your API description is valid');
    expect(output).not.toMatch(/You have \d+ warnings?/);
    expect(output).not.toMatch(/\d+ errors?/);
  });
});
