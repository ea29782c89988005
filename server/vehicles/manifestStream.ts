/**
 * One car's sync connection: a server-sent-events stream of its state manifests. It opens with the
 * current manifest, passes on each new one as any instance makes it, and every heartbeat it reads the
 * vehicle's current seq: a manifest the car has not had (a publish lost between instances) is sent
 * then, and the heartbeat itself carries the seq (`event: heartbeat`), so a car catches up within one
 * heartbeat whatever happened to pub/sub.
 *
 * Everything a connection holds — its hub listener, its heartbeat timer, its response — is released
 * exactly once, whenever the connection ends: before the handshake finished (while the store is
 * slow), during it, or after.
 */
import type { ServerResponse } from 'node:http';
import type { Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import type { ManifestHub } from './manifestHub.js';

export interface ManifestStreamOptions {
  ctx: Pick<AppContext, 'vehicles' | 'manifests' | 'logger' | 'trustUpdates'>;
  hub: ManifestHub;
  vin: Vin;
  res: ServerResponse;
  heartbeatMs: number;
  /** Aborts when the server drains: the stream then gets an SSE `retry:` hint and a `closing` event, and ends. */
  closing?: AbortSignal;
}

/** When the server drains (shutdown), how long a car should wait before reconnecting (another instance, or this one restarted). */
export const RECONNECT_HINT_MS = 2_000;

/** Serve the stream until the connection ends; resolves once the handshake is done (or abandoned). */
export async function streamManifests(opts: ManifestStreamOptions): Promise<void> {
  const { ctx, hub, vin, res } = opts;
  let released = false;
  const held: Array<() => void> = [];
  const release = () => {
    if (released) return;
    released = true;
    for (const free of held.splice(0)) free();
    if (!res.writableEnded) res.destroy();
  };
  /** Keep `free` until release; free it at once if the connection already ended. */
  const hold = (free: () => void) => {
    if (released) free();
    else held.push(free);
  };
  res.once('close', release);
  const onClosing = () => {
    if (!released && res.headersSent) res.end(`retry: ${RECONNECT_HINT_MS}\nevent: closing\ndata: ${JSON.stringify({ retryInMs: RECONNECT_HINT_MS })}\n\n`);
    release();
  };
  opts.closing?.addEventListener('abort', onClosing, { once: true });
  hold(() => opts.closing?.removeEventListener('abort', onClosing));
  if (res.destroyed || res.socket === null || res.socket.destroyed) {
    release();
    return;
  }

  let lastSeq = -1;
  const send = (seq: number, manifest: string) => {
    if (released || seq <= lastSeq) return;
    lastSeq = seq;
    res.write(`id: ${seq}\nevent: manifest\ndata: ${JSON.stringify({ vin, seq, manifest })}\n\n`);
  };
  /** Send the current manifest if the car has not had it; returns the current seq. */
  const catchUp = async (): Promise<number> => {
    const vehicle = await ctx.vehicles.get(vin);
    if (vehicle.seq > lastSeq && !released) send(vehicle.seq, await ctx.manifests.sign(vehicle));
    return vehicle.seq;
  };

  // Listen before reading the current state, so nothing made in between is missed.
  hold(await hub.listen(vin, (event) => send(event.seq, event.manifest)));
  if (released) return;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  try {
    // First the issuer keys to trust (a rotation reaches the car before anything signed with a new key).
    const tokens = await ctx.trustUpdates.tokens();
    if (!released) res.write(`event: trust\ndata: ${JSON.stringify({ tokens })}\n\n`);
    await catchUp();
  } catch (err) {
    // Headers are sent: the error can only end the stream; the car reconnects with backoff.
    ctx.logger.warn({ err, vin }, 'sync stream ended during its handshake');
    release();
    return;
  }
  if (released) return;
  if (opts.closing?.aborted) {
    onClosing();
    return;
  }

  let beating = false;
  const heartbeat = setInterval(() => {
    if (beating || released) return;
    beating = true;
    catchUp()
      .then((seq) => {
        if (!released) res.write(`event: heartbeat\ndata: ${JSON.stringify({ seq })}\n\n`);
      })
      .catch((err: unknown) => {
        ctx.logger.warn({ err, vin }, 'sync heartbeat could not read the vehicle');
        if (!released) res.write(': keep-alive\n\n');
      })
      .finally(() => {
        beating = false;
      });
  }, opts.heartbeatMs);
  heartbeat.unref();
  hold(() => clearInterval(heartbeat));
}
