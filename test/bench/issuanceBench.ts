/**
 * Credential issuance rate against raw signing measured in the same run: (a) jose `SignJWT` ES256,
 * (b) node `crypto.sign` P-256 (IEEE P1363), (c) `issueKeyCredential` with a LocalIssuerKey (claims
 * schema check + our compact JWS), (d) an end-to-end credential refresh over HTTP
 * (`POST /v1/keys/{keyId}/credential`) against the real app on the memory store, with bounded
 * concurrency, beside the HTTP floor of the same app (`GET /healthz`). Ratios are to (a).
 */
import { createPrivateKey, randomBytes, randomUUID, sign as nodeSign, type JsonWebKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { COMMANDS } from '../../shared/commands.js';
import { LocalIssuerKey } from '../../shared/credential/issuerKey.js';
import { KEY_CREDENTIAL_TYP, issueKeyCredential, keyCredentialClaimsSchema, type KeyCredentialClaims } from '../../shared/credential/keyCredential.js';
import { randomVin, startTestServer } from '../support/testServer.js';
import { fmt, measureInterleaved, percentile, type BenchSection, type CaseResult, type OpsCase } from './benchSupport.js';

/** In-flight requests of the HTTP loops (and of the concurrent jose row, for comparison). */
const CONCURRENCY = 16;

export const issuanceBench: BenchSection = {
  name: 'issuance',
  description: 'credential issuance vs raw ES256 signing (jose, node:crypto), in-process and over HTTP',
  async run({ quick, stage }) {
    const loop = { warmupMs: quick ? 200 : 500, durationMs: quick ? 500 : 1500, trials: quick ? 1 : 3 };
    const httpDurationMs = quick ? 1000 : 2500;

    const issuerKey = await LocalIssuerKey.generate();
    const privateKey = createPrivateKey({ key: issuerKey.exportPrivateJwk() as JsonWebKey, format: 'jwk' });
    const nowSeconds = Math.floor(Date.now() / 1000);
    // The claims of a main-key credential, sized as the server makes them (a 32-byte passkey id, a
    // 77-byte COSE P-256 key).
    const claims: KeyCredentialClaims = {
      iss: 'http://localhost:8080',
      sub: randomUUID(),
      aud: randomVin(),
      iat: nowSeconds,
      nbf: nowSeconds,
      exp: nowSeconds + 86_400,
      role: 'main',
      perms: [...COMMANDS],
      ep: 0,
      cnf: { wa: { id: randomBytes(32).toString('base64url'), pk: randomBytes(77).toString('base64url') } },
    };
    const header = { alg: 'ES256', typ: KEY_CREDENTIAL_TYP, kid: issuerKey.kid };
    const signingInput = Buffer.from(
      `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`,
    );
    const joseSign = () => new SignJWT(claims).setProtectedHeader(header).sign(privateKey);

    const t = await stage('start the app on the memory store, one main user with a key', () => startTestServer({ issuerKey }));
    let measured: Map<string, CaseResult>;
    try {
      const v = await t.provision();
      const phone = await t.mainUserWithKey(v.vin, v.odometerKm);
      const keyId = phone.wallet.get(v.vin)!.keyId;
      const refresh = () => phone.api.request('POST', `/v1/keys/${keyId}/credential`, {});
      await refresh(); // a broken setup fails here, not inside the loop
      const cases: OpsCase[] = [
        { name: 'a', fn: joseSign },
        { name: 'a16', fn: joseSign, concurrency: CONCURRENCY },
        { name: 'b', fn: () => nodeSign('sha256', signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' }) },
        { name: 'c0', fn: () => keyCredentialClaimsSchema.parse(claims) },
        { name: 'c', fn: () => issueKeyCredential({ key: issuerKey, claims }) },
        { name: 'd', fn: refresh, concurrency: CONCURRENCY, latency: true, durationMs: httpDurationMs },
        { name: 'e', fn: () => phone.api.request('GET', '/healthz'), concurrency: CONCURRENCY, latency: true, durationMs: httpDurationMs },
      ];
      measured = await measureInterleaved(cases, {
        ...loop,
        eachTrial: (trial, run) => stage(`trial ${trial + 1}/${loop.trials}: (a) (a16) (b) (c0) (c) (d) (e), ${trial === 0 ? 'after a warm-up of each, ' : ''}${loop.durationMs} ms each, HTTP ${httpDurationMs} ms`, run),
      });
    } finally {
      await t.close();
    }
    const [rawJose, rawJoseConcurrent, rawNode, schemaOnly, issue, http, floor] = ['a', 'a16', 'b', 'c0', 'c', 'd', 'e'].map((n) => measured.get(n)!) as [
      CaseResult, CaseResult, CaseResult, CaseResult, CaseResult, CaseResult, CaseResult,
    ];

    const row = (name: string, r: CaseResult) => ({
      operation: name,
      'ops/s': r.opsPerSec,
      'µs/op': 1e6 / r.opsPerSec,
      'ratio to (a)': r.ratioToBaseline,
      'trials ops/s': r.trialsOpsPerSec.map((x) => fmt(x)).join(' / '),
    });
    const latencyRow = (name: string, r: CaseResult) => ({ request: name, n: r.latencyMs!.n, p50: r.latencyMs!.p50, p90: r.latencyMs!.p90, p99: r.latencyMs!.p99, max: r.latencyMs!.max });
    return {
      tables: [
        {
          title: 'Issuance rate (median trial; ratio to (a) = median of per-trial ratios, all measured in this run, trials interleaved)',
          rows: [
            row('(a) raw jose SignJWT ES256, 1 at a time', rawJose),
            row(`(a16) raw jose SignJWT, ${CONCURRENCY} in flight`, rawJoseConcurrent),
            row('(b) raw node crypto.sign P-256', rawNode),
            row('(c0) zod claims check alone', schemaOnly),
            row('(c) issueKeyCredential', issue),
            row(`(d) HTTP credential refresh, ${CONCURRENCY} in flight`, http),
            row(`(e) HTTP GET /healthz, ${CONCURRENCY} in flight`, floor),
          ],
        },
        { title: `HTTP latency (ms), ${CONCURRENCY} in flight, median trial`, rows: [latencyRow('(d) credential refresh', http), latencyRow('(e) GET /healthz', floor)] },
      ],
      results: {
        baseline: 'rawJoseSignJwt (one at a time)',
        concurrency: CONCURRENCY,
        rawJoseSignJwt: rawJose,
        rawJoseSignJwtConcurrent: rawJoseConcurrent,
        rawNodeCryptoSign: rawNode,
        claimsSchemaParse: schemaOnly,
        issueKeyCredential: issue,
        httpRefresh: { ...http, store: 'memory' },
        httpHealthz: floor,
        trials: loop.trials,
        ratios: {
          'c/a': issue.ratioToBaseline,
          'd/a': http.ratioToBaseline,
          'b/a': rawNode.ratioToBaseline,
          'a16/a': rawJoseConcurrent.ratioToBaseline,
          'd/e': percentile(http.trialsOpsPerSec.map((d, i) => d / floor.trialsOpsPerSec[i]!).sort((x, y) => x - y), 50),
        },
      },
      notes: [
        'jose 6 signs through WebCrypto, an async job on the libuv thread pool: one at a time it waits for the hop, with several in flight it uses both cores. issueKeyCredential signs with node’s synchronous crypto.sign on the event loop.',
        '(d) and (e) run the HTTP client (fetch) and the server in one process on one event loop: the client’s cost is inside the figures.',
        '(d) refreshes one key of one vehicle; the state manifest in each answer comes from the 5 s per-(VIN, seq) signature cache (the bench clock does not move), so each request signs one credential, not two.',
      ],
    };
  },
};
