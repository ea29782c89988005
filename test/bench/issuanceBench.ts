/**
 * Credential issuance rate against raw signing measured in the same run: (a) node `crypto.sign`
 * P-256 (IEEE P1363) of the exact Sig_structure bytes a credential signs — the baseline, what any
 * ES256 issuer pays per credential; (c0) the claims schema check alone; (c1) `issueKeyCredential`
 * with a signer that returns a fixed 64 bytes (everything but the signature: schema, the passkey's
 * COSE key read and compressed, the deterministic CBOR of the claims, the Sig_structure and the
 * COSE_Sign1); (c) `issueKeyCredential` with a LocalIssuerKey; (d) an end-to-end credential refresh
 * over HTTP (`POST /v1/keys/{keyId}/credential`) against the real app on the memory store, with
 * bounded concurrency, beside the HTTP floor of the same app (`GET /healthz`). Ratios are to (a).
 */
import { createPrivateKey, generateKeyPairSync, randomUUID, sign as nodeSign, type JsonWebKey } from 'node:crypto';
import { decodeCoseSign1, HEADER } from '../../shared/cose/coseSign1.js';
import { encodeDeterministic } from '../../shared/cose/strictCbor.js';
import { COMMANDS } from '../../shared/commands.js';
import { LocalIssuerKey, type IssuerSigningKey } from '../../shared/credential/issuerKey.js';
import { issueKeyCredential, keyCredentialClaimsSchema, type KeyCredentialClaims } from '../../shared/credential/keyCredential.js';
import { randomVin, startTestServer } from '../support/testServer.js';
import { fmt, measureInterleaved, percentile, type BenchSection, type CaseResult, type OpsCase } from './benchSupport.js';

/** In-flight requests of the HTTP loops. */
const CONCURRENCY = 16;

/** A passkey as WebAuthn registration stores it: a P-256 COSE key (77 bytes), base64url. */
function passkeyCose(): string {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const key = new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]);
  return Buffer.from(encodeDeterministic(key)).toString('base64url');
}

export const issuanceBench: BenchSection = {
  name: 'issuance',
  description: 'credential issuance (CWT in COSE_Sign1) vs raw ES256 signing (node:crypto), in-process and over HTTP',
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
      cnf: { wa: { pk: passkeyCose() } },
    };
    // The baseline signs exactly what a credential's signature covers (RFC 9052 §4.4).
    const credential = await issueKeyCredential({ key: issuerKey, claims });
    const message = decodeCoseSign1(credential, { allowedLabels: [HEADER.alg, HEADER.kid, HEADER.typ] });
    const sigStructure = encodeDeterministic(['Signature1', message.protectedBytes, new Uint8Array(0), message.payload]);
    const fixedSignature = new Uint8Array(64);
    const unsigned: IssuerSigningKey = { kid: issuerKey.kid, alg: 'ES256', publicJwk: issuerKey.publicJwk, sign: () => Promise.resolve(fixedSignature) };

    const t = await stage('start the app on the memory store, one main user with a key', () => startTestServer({ issuerKey }));
    let measured: Map<string, CaseResult>;
    try {
      const v = await t.provision();
      const phone = await t.mainUserWithKey(v.vin, v.odometerKm);
      const keyId = phone.wallet.get(v.vin)!.keyId;
      const refresh = () => phone.api.request('POST', `/v1/keys/${keyId}/credential`, {});
      await refresh(); // a broken setup fails here, not inside the loop
      const cases: OpsCase[] = [
        { name: 'a', fn: () => nodeSign('sha256', sigStructure, { key: privateKey, dsaEncoding: 'ieee-p1363' }) },
        { name: 'c0', fn: () => keyCredentialClaimsSchema.parse(claims) },
        { name: 'c1', fn: () => issueKeyCredential({ key: unsigned, claims }) },
        { name: 'c', fn: () => issueKeyCredential({ key: issuerKey, claims }) },
        { name: 'd', fn: refresh, concurrency: CONCURRENCY, latency: true, durationMs: httpDurationMs },
        { name: 'e', fn: () => phone.api.request('GET', '/healthz'), concurrency: CONCURRENCY, latency: true, durationMs: httpDurationMs },
      ];
      measured = await measureInterleaved(cases, {
        ...loop,
        eachTrial: (trial, run) => stage(`trial ${trial + 1}/${loop.trials}: (a) (c0) (c1) (c) (d) (e), ${trial === 0 ? 'after a warm-up of each, ' : ''}${loop.durationMs} ms each, HTTP ${httpDurationMs} ms`, run),
      });
    } finally {
      await t.close();
    }
    const [rawNode, schemaOnly, unsignedIssue, issue, http, floor] = ['a', 'c0', 'c1', 'c', 'd', 'e'].map((n) => measured.get(n)!) as [
      CaseResult, CaseResult, CaseResult, CaseResult, CaseResult, CaseResult,
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
            row('(a) raw node crypto.sign P-256 of the Sig_structure', rawNode),
            row('(c0) zod claims check alone', schemaOnly),
            row('(c1) issueKeyCredential, signature not computed', unsignedIssue),
            row('(c) issueKeyCredential', issue),
            row(`(d) HTTP credential refresh, ${CONCURRENCY} in flight`, http),
            row(`(e) HTTP GET /healthz, ${CONCURRENCY} in flight`, floor),
          ],
        },
        { title: `HTTP latency (ms), ${CONCURRENCY} in flight, median trial`, rows: [latencyRow('(d) credential refresh', http), latencyRow('(e) GET /healthz', floor)] },
        { title: 'Credential size', rows: [{ format: 'COSE_Sign1 CWT', bytes: credential.length, 'base64url characters (as the API carries it)': Buffer.from(credential).toString('base64url').length, 'signed bytes (Sig_structure)': sigStructure.length }] },
      ],
      results: {
        baseline: 'rawNodeCryptoSign (of the Sig_structure, one at a time)',
        format: 'cwt+cose_sign1',
        concurrency: CONCURRENCY,
        credentialBytes: credential.length,
        rawNodeCryptoSign: rawNode,
        claimsSchemaParse: schemaOnly,
        issueKeyCredentialUnsigned: unsignedIssue,
        issueKeyCredential: issue,
        httpRefresh: { ...http, store: 'memory' },
        httpHealthz: floor,
        trials: loop.trials,
        ratios: {
          'c/a': issue.ratioToBaseline,
          'c1/a': unsignedIssue.ratioToBaseline,
          'd/a': http.ratioToBaseline,
          'd/e': percentile(http.trialsOpsPerSec.map((d, i) => d / floor.trialsOpsPerSec[i]!).sort((x, y) => x - y), 50),
        },
      },
      notes: [
        'issueKeyCredential signs with node’s synchronous crypto.sign on the event loop, as (a) does: c/a below 1 is the cost of everything else (schema, COSE key, deterministic CBOR, one promise), which (c1) measures alone.',
        '(d) and (e) run the HTTP client (fetch) and the server in one process on one event loop: the client’s cost is inside the figures.',
        '(d) refreshes one key of one vehicle; the state manifest in each answer comes from the 5 s per-(VIN, seq) signature cache (the bench clock does not move), so each request signs one credential, not two.',
      ],
    };
  },
};
