/**
 * The vehicle's telematics sync channel: keeps a server-sent-events connection to the vehicle API,
 * authenticated by a fresh token signed with the car's own key each time it connects, and hands every
 * manifest to the vehicle (which applies only newer, valid ones). It reconnects with capped,
 * jittered exponential backoff, so a server restart or maintenance window (R7) only delays news.
 * After each manifest it applied and each heartbeat it acknowledges the seq it holds (POST
 * /v1/vehicle-api/acks, a fresh signed token each time), so the server knows what reached the car.
 */
import type { JWK } from 'jose';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { signVehicleRequestToken } from '../../shared/credential/vehicleRequestToken.js';
import { readServerSentEvents } from './serverSentEvents.js';

/** The data of the events the vehicle API sends on the sync channel (JSON, validated before use). */
const closingEventSchema = z.object({ retryInMs: z.number().min(0).max(60_000) });
const heartbeatEventSchema = z.object({ seq: z.number() });
const manifestEventSchema = z.object({ seq: z.number(), manifest: z.string() });
const trustEventSchema = z.object({ tokens: z.array(z.string()).min(1).max(4) });

export interface VehicleSyncOptions {
  baseUrl: string;
  vin: string;
  /** The car's provisioned private key (P-256 JWK). */
  privateKey: JWK;
  /** The issuer id (the audience of the car's tokens derives from it). */
  issuer: string;
  clock: Clock;
  /** Apply a manifest; errors are reported, never fatal to the channel. */
  applyManifest: (manifest: string) => Promise<unknown>;
  /** Apply the issuer's trust update (sent when the channel opens): the issuer keys the car trusts from now on. */
  applyTrustUpdate?: (tokens: string[]) => Promise<{ applied: boolean; kids: string[] }>;
  onEvent?: (event: SyncEvent) => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Randomness for jitter (tests pass a fixed one). */
  random?: () => number;
}

export type SyncEvent =
  | { type: 'connected' }
  | { type: 'manifest'; seq: number }
  | { type: 'heartbeat'; seq: number }
  | { type: 'rejected'; seq: number; error: string }
  | { type: 'trust'; applied: boolean; kids: string[] }
  | { type: 'trust-rejected'; error: string }
  | { type: 'acknowledged'; seq: number }
  | { type: 'ack-failed'; seq: number; error: string }
  | { type: 'disconnected'; error?: string; retryInMs: number };

export class VehicleSync {
  readonly #opts: VehicleSyncOptions;
  #running = false;
  #abort: AbortController | null = null;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  /** A draining server's `closing` event says when to come back (used once, instead of the backoff). */
  #retryHintMs: number | null = null;
  /** The highest seq the server has delivered. */
  lastSeq = -1;
  connected = false;

  constructor(opts: VehicleSyncOptions) {
    this.#opts = opts;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#abort?.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const initial = this.#opts.initialBackoffMs ?? 250;
    const max = this.#opts.maxBackoffMs ?? 30_000;
    const random = this.#opts.random ?? Math.random;
    let backoff = initial;
    while (this.#running) {
      let error: string | undefined;
      try {
        await this.#connectOnce(() => {
          backoff = initial;
        });
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      this.connected = false;
      if (!this.#running) break;
      const wait = this.#retryHintMs ?? backoff;
      this.#retryHintMs = null;
      const retryInMs = Math.round(wait / 2 + random() * (wait / 2));
      this.#opts.onEvent?.({ type: 'disconnected', ...(error ? { error } : {}), retryInMs });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryInMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      backoff = Math.min(max, backoff * 2);
    }
  }

  /** A fresh request token signed with the car's key (each is good for one request). */
  #token(): Promise<string> {
    return signVehicleRequestToken({
      vin: this.#opts.vin,
      privateKey: this.#opts.privateKey,
      issuer: this.#opts.issuer,
      nowSeconds: Math.floor(this.#opts.clock.now() / 1000),
    });
  }

  /** Tell the server the seq the car holds; a failure is reported, never fatal (the next one repeats it). */
  async #acknowledge(seq: number): Promise<void> {
    try {
      const res = await fetch(new URL('/v1/vehicle-api/acks', this.#opts.baseUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${await this.#token()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ seq }),
        signal: this.#abort?.signal ?? null,
      });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`acknowledgement refused: HTTP ${res.status}`);
      this.#opts.onEvent?.({ type: 'acknowledged', seq });
    } catch (err) {
      this.#opts.onEvent?.({ type: 'ack-failed', seq, error: err instanceof Error ? err.message : String(err) });
    }
  }

  async #connectOnce(onConnected: () => void): Promise<void> {
    const token = await this.#token();
    this.#abort = new AbortController();
    const res = await fetch(new URL('/v1/vehicle-api/events', this.#opts.baseUrl), {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: this.#abort.signal,
    });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      throw new Error(`sync refused: HTTP ${res.status}`);
    }
    this.connected = true;
    onConnected();
    this.#opts.onEvent?.({ type: 'connected' });
    for await (const event of readServerSentEvents(res.body)) {
      if (event.event === 'closing') {
        // A hint out of range (or none) is ignored: the backoff decides alone.
        const hint = closingEventSchema.safeParse(JSON.parse(event.data));
        if (hint.success) this.#retryHintMs = hint.data.retryInMs;
        continue;
      }
      if (event.event === 'heartbeat') {
        // The server sends any manifest the car missed before the heartbeat that names its seq; a
        // seq still ahead of ours means that manifest did not reach us: reconnect for it.
        const { seq } = heartbeatEventSchema.parse(JSON.parse(event.data));
        this.#opts.onEvent?.({ type: 'heartbeat', seq });
        if (seq > this.lastSeq) break;
        if (this.lastSeq >= 0) await this.#acknowledge(this.lastSeq);
        continue;
      }
      if (event.event === 'trust') {
        const { tokens } = trustEventSchema.parse(JSON.parse(event.data));
        if (!this.#opts.applyTrustUpdate) continue;
        try {
          this.#opts.onEvent?.({ type: 'trust', ...(await this.#opts.applyTrustUpdate(tokens)) });
        } catch (err) {
          this.#opts.onEvent?.({ type: 'trust-rejected', error: err instanceof Error ? err.message : String(err) });
        }
        continue;
      }
      if (event.event !== 'manifest') continue;
      const { seq, manifest } = manifestEventSchema.parse(JSON.parse(event.data));
      try {
        await this.#opts.applyManifest(manifest);
        this.lastSeq = Math.max(this.lastSeq, seq);
        this.#opts.onEvent?.({ type: 'manifest', seq });
        await this.#acknowledge(this.lastSeq);
      } catch (err) {
        this.#opts.onEvent?.({ type: 'rejected', seq, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
