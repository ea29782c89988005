/**
 * The issuance bench's load generator, in a process of its own so its work is not the server's:
 * autocannon against `POST /v1/keys/{keyId}/credential`, each request for the next of the given
 * holders (their key and session token, round robin). Reads its job as JSON on standard input,
 * prints autocannon's summary as one JSON line (and its own CPU time).
 *
 * Job: `{ "url": "http://127.0.0.1:8080", "holders": [{ "keyId": "…", "token": "…" }], "connections": 32, "durationS": 10 }`;
 * with `"floor": true`, `GET /healthz` instead (the same server's HTTP floor: no store, no crypto).
 */
import { text } from 'node:stream/consumers';
import autocannon from 'autocannon';

interface Job {
  url: string;
  holders: Array<{ keyId: string; token: string }>;
  connections: number;
  durationS: number;
  floor?: boolean;
}

const job = JSON.parse(await text(process.stdin)) as Job;
let next = 0;

/** The next holder's refresh, round robin. */
function nextHolder(req: autocannon.Request): autocannon.Request {
  const holder = job.holders[next++ % job.holders.length]!;
  return { ...req, path: `/v1/keys/${holder.keyId}/credential`, headers: { ...req.headers, authorization: `Bearer ${holder.token}`, 'content-type': 'application/json' }, body: '{}' };
}
const cpuBefore = process.cpuUsage();
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.durationS,
  requests: job.floor ? [{ method: 'GET', path: '/healthz' }] : [{ method: 'POST', setupRequest: nextHolder }],
});
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    requests: result.requests.total,
    durationS: result.duration,
    reqPerSec: result.requests.total / result.duration,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    loadGeneratorCpuS: (cpu.user + cpu.system) / 1e6,
  }),
);
