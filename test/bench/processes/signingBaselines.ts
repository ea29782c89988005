/**
 * Raw ES256 signing, in a process of its own (the issuance bench starts it pinned to one core with
 * `taskset -c 0` where there is taskset): what one core signs per second with jose (a compact JWS
 * of credential-sized claims, `SignJWT` with a WebCrypto key: one at a time, and 16 in flight) and
 * with node:crypto (`crypto.sign`, P-256, IEEE P1363, of a 300-byte message). Prints one JSON line:
 * `{ "jose": {"sequential": ops/s, "inFlight16": ops/s}, "nodeCrypto": ops/s, "cpus": [...] }`.
 *
 * Usage: node --import tsx test/bench/processes/signingBaselines.ts <durationMs>
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';

const durationMs = Number(process.argv[2] ?? 2000);

/** Operations per second of `fn` with `inFlight` at once, over `ms` (after a warm-up of a fifth of it). */
async function rate(fn: () => unknown, inFlight: number, ms: number): Promise<number> {
  const run = async (runMs: number) => {
    const deadline = performance.now() + runMs;
    let ops = 0;
    const worker = async () => {
      while (performance.now() < deadline) {
        const r = fn();
        if (r instanceof Promise) await r;
        ops++;
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: inFlight }, worker));
    return (ops / (performance.now() - start)) * 1000;
  };
  await run(ms / 5);
  return run(ms);
}

const { privateKey } = await generateKeyPair('ES256');
const claims = { iss: 'http://localhost:8080', sub: randomUUID(), aud: 'WVWZZZ1JZXW000001', role: 'main', perms: ['unlock', 'lock', 'start', 'trunk'], ep: 0 };
const jose = () => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'sdk-key+jwt' }).setIssuedAt().setExpirationTime('24h').sign(privateKey);
const nodeKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const message = Buffer.alloc(300, 7);

const result = {
  jose: { sequential: await rate(jose, 1, durationMs), inFlight16: await rate(jose, 16, durationMs) },
  nodeCrypto: await rate(() => sign('sha256', message, { key: nodeKey, dsaEncoding: 'ieee-p1363' }), 1, durationMs),
};
console.log(JSON.stringify(result));
