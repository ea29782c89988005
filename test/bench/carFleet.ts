/**
 * The connected cars of propagationBench, run as a child process it forks: each car holds its own
 * P-256 key, opens the vehicle sync channel (`GET /v1/vehicle-api/events`) with a token it signs
 * itself, reads it with readServerSentEvents, and reports every manifest whose seq grew, stamped
 * with `process.hrtime.bigint()` (CLOCK_MONOTONIC: the same clock as the parent's on Linux).
 *
 * Why a child: both ends of 10,000 loopback connections in one process need 20,000+ descriptors,
 * above this machine's `ulimit -n` (20,000); and the fleet's memory stays apart from the servers'.
 * node:http (one socket per car, no keep-alive pool) is lighter than fetch for 10k idle streams.
 * IPC is the default JSON serialization (times as decimal strings): Node 20's 'advanced' IPC
 * deserializer can stall when a chunk leaves under 4 bytes of a message (nodejs/node#55834), which
 * hung this bench once.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Agent, request, type ClientRequest } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { JWK } from 'jose';
import { readServerSentEvents } from '../../ble-sim/vehicle/serverSentEvents.js';
import { signVehicleRequestToken } from '../../shared/credential/vehicleRequestToken.js';
import { collectGarbage } from './benchSupport.js';

/** What the parent asks. */
export type FleetRequest =
  | { type: 'keys'; vins: string[] }
  | { type: 'connect'; cars: Array<{ vin: string; baseUrl: string }>; issuer: string; nowSeconds: number; concurrency: number }
  | { type: 'clock' }
  | { type: 'memory' }
  | { type: 'loopDelay'; collectGarbage: boolean }
  | { type: 'close' };

/** What the fleet tells the parent. */
export type FleetMessage =
  | { type: 'publicKeys'; keys: Array<{ vin: string; publicJwk: JWK }> }
  | { type: 'progress'; done: number; total: number }
  | { type: 'connected'; opened: number; failed: number; errors: string[] }
  | { type: 'manifest'; vin: string; seq: number; atNs: string }
  | { type: 'clock'; childNs: string }
  | { type: 'memory'; rss: number; heapUsed: number; external: number; open: number; dropped: number }
  | { type: 'loopDelay'; p99Ms: number; maxMs: number }
  | { type: 'closed'; dropped: number }
  | { type: 'error'; message: string };

/** Longest wait for a car's first manifest after it asked for the stream. */
const FIRST_EVENT_TIMEOUT_MS = 30_000;
const PROGRESS_EVERY = 250;

interface Car {
  key: KeyObject;
  req: ClientRequest | null;
  /** Highest seq seen on the stream (-1 before the first manifest). */
  lastSeq: number;
}

const cars = new Map<string, Car>();
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
let closing = false;
let dropped = 0;
/** This process's event-loop delay since the last `loopDelay` request: a late car stamps its manifests late. */
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

function send(message: FleetMessage): void {
  process.send?.(message);
}

/** Open one car's stream; resolves at its first manifest (the current state). */
function connectCar(vin: string, car: Car, baseUrl: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const req = request(`${baseUrl}/v1/vehicle-api/events`, { agent, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
    const timer = setTimeout(() => req.destroy(new Error('no first manifest in time')), FIRST_EVENT_TIMEOUT_MS);
    req.on('error', (err) => settle(err));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        settle(new Error(`HTTP ${res.statusCode}`));
        return;
      }
      car.req = req;
      const read = async () => {
        for await (const event of readServerSentEvents(Readable.toWeb(res) as ReadableStream<Uint8Array>)) {
          if (event.event !== 'manifest') continue;
          const atNs = process.hrtime.bigint();
          const { seq } = JSON.parse(event.data) as { seq: number };
          if (car.lastSeq < 0) {
            car.lastSeq = seq;
            settle();
          } else if (seq > car.lastSeq) {
            car.lastSeq = seq;
            send({ type: 'manifest', vin, seq, atNs: atNs.toString() });
          }
        }
      };
      read()
        .catch(() => undefined)
        .finally(() => {
          car.req = null;
          if (!closing && settled) dropped++;
          settle(new Error('the stream ended before its first manifest'));
        });
    });
    req.end();
  });
}

async function handle(message: FleetRequest): Promise<void> {
  switch (message.type) {
    case 'keys': {
      const keys = message.vins.map((vin, i) => {
        const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        cars.set(vin, { key: privateKey, req: null, lastSeq: -1 });
        if ((i + 1) % (PROGRESS_EVERY * 4) === 0) send({ type: 'progress', done: i + 1, total: message.vins.length });
        return { vin, publicJwk: publicKey.export({ format: 'jwk' }) as JWK };
      });
      send({ type: 'publicKeys', keys });
      return;
    }
    case 'connect': {
      const list = message.cars;
      let next = 0;
      let done = 0;
      let failed = 0;
      const errors = new Set<string>();
      const lane = async () => {
        while (next < list.length && !closing) {
          const { vin, baseUrl } = list[next++]!;
          const car = cars.get(vin);
          try {
            if (!car) throw new Error(`no key for ${vin}`);
            const token = await signVehicleRequestToken({ vin, privateKey: car.key, issuer: message.issuer, nowSeconds: message.nowSeconds });
            await connectCar(vin, car, baseUrl, token);
          } catch (err) {
            failed++;
            if (errors.size < 5) errors.add((err as Error).message);
          }
          done++;
          if (done % PROGRESS_EVERY === 0 || done === list.length) send({ type: 'progress', done, total: list.length });
        }
      };
      await Promise.all(Array.from({ length: Math.min(message.concurrency, list.length) }, lane));
      send({ type: 'connected', opened: done - failed, failed, errors: [...errors] });
      return;
    }
    case 'clock':
      send({ type: 'clock', childNs: process.hrtime.bigint().toString() });
      return;
    case 'memory': {
      const m = process.memoryUsage();
      const open = [...cars.values()].filter((c) => c.req !== null).length;
      send({ type: 'memory', rss: m.rss, heapUsed: m.heapUsed, external: m.external, open, dropped });
      return;
    }
    case 'loopDelay': {
      const reply: FleetMessage = { type: 'loopDelay', p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 };
      // Before a timed phase: the garbage of opening thousands of streams is not collected in it
      // (and the collection is over before the parent hears back and starts the phase).
      if (message.collectGarbage) collectGarbage();
      loopDelay.reset();
      send(reply);
      return;
    }
    case 'close': {
      closing = true;
      loopDelay.disable();
      for (const car of cars.values()) car.req?.destroy();
      agent.destroy();
      send({ type: 'closed', dropped });
      // Nothing is left to keep this process alive once the IPC channel goes.
      process.disconnect?.();
      return;
    }
  }
}

process.on('message', (message: FleetRequest) => {
  handle(message).catch((err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
});
