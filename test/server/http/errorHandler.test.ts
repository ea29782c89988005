/**
 * The HTTP layer's own failures are the caller's fault (issue 12, HTTP edges): a body its
 * Content-Encoding cannot decode, an unsupported encoding, a path whose percent-encoding does not
 * decode. Each answers 4xx VALIDATION_FAILED in the standard error body, never a 500, and is logged
 * as a refusal, not an error — so an anonymous caller cannot fill the error log.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { createApp, type App } from '../../../server/app.js';
import { loadConfig } from '../../../server/config.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';

/** Every log line the app writes, parsed. */
const lines: Array<{ level: number; msg: string }> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
    done();
  },
});
const ERROR_LEVEL = 50;

let app: App;
let port: number;
let close: () => Promise<void>;
beforeAll(async () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
  app = createApp({ config: loadConfig({}), store: new MemoryStore({ clock }), clock, issuerKey: await LocalIssuerKey.generate(), logger: pino({ level: 'info' }, sink) });
  const server = createServer(app.listener).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
  close = async () => {
    await new Promise((resolve) => server.close(resolve));
    await app.close();
  };
});
afterAll(async () => {
  await close?.();
});

/** A request exactly as given (fetch would encode the path and refuse some headers). */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = Buffer.from(JSON.stringify({ email: 'edge@example.com', displayName: 'Edge' }));
const asJson = (encoding: string) => ({ 'content-type': 'application/json', 'content-encoding': encoding });

describe('bad encodings and bad paths: 4xx VALIDATION_FAILED, never a 500, never an error log line', () => {
  it.each([
    ['a gzip body that is not gzip', asJson('gzip'), json, 400],
    ['a deflate body that is not deflate', asJson('deflate'), json, 400],
    ['a br body that is not brotli', asJson('br'), json, 400],
    ['a gzip body cut short', asJson('gzip'), gzipSync(json).subarray(0, 20), 400],
    ['brotli labelled gzip', asJson('gzip'), brotliCompressSync(json), 400],
    ['an unknown Content-Encoding', asJson('bogus'), json, 415],
    ['an unknown charset', { 'content-type': 'application/json; charset=klingon' }, json, 415],
  ])('POST /v1/accounts with %s', async (_what, headers, body, status) => {
    const before = lines.length;
    const res = await send('POST', '/v1/accounts', headers, body);
    expect(res).toEqual({ status, body: { error: { code: 'VALIDATION_FAILED', message: expect.any(String) } } });
    expect(lines.slice(before).filter((l) => l.level >= ERROR_LEVEL)).toEqual([]);
  });

  it.each([['/v1/vehicles/%E0%A4%A/keys'], ['/v1/invitations/%ZZ'], ['/v1/vehicles/%FF/keys']])('GET %s (bad percent-encoding)', async (path) => {
    const before = lines.length;
    const res = await send('GET', path);
    expect(res).toEqual({ status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'the path is not valid percent-encoding' } } });
    expect(lines.slice(before).filter((l) => l.level >= ERROR_LEVEL)).toEqual([]);
  });

  it('a well-encoded gzip body still works', async () => {
    const res = await send('POST', '/v1/accounts', asJson('gzip'), gzipSync(json));
    expect(res.status).toBe(201);
  });
});
