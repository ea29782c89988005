/**
 * The vehicle sync API: a vehicle, authenticated by a short-lived token signed with its own key
 * (single-use `jti`), reads its latest state manifest or keeps a server-sent-events stream open that
 * carries each new manifest as it is made, on whichever instance it was made.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { epochSeconds } from '../../shared/clock.js';
import { claimedVin, verifyVehicleRequestToken } from '../../shared/credential/vehicleRequestToken.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AppContext } from '../appContext.js';
import { bearerToken } from '../http/authenticate.js';
import type { Caller } from '../http/caller.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { storeKeys } from '../store/storeKeys.js';
import type { ManifestHub } from '../vehicles/manifestHub.js';

const HEARTBEAT_MS = 15_000;
/** When the server drains (shutdown), how long a car should wait before reconnecting (another instance, or this one restarted). */
const RECONNECT_HINT_MS = 2_000;

/** Authenticate a vehicle request: its own signature, fresh, and never seen before. */
export function vehicleApiAuthenticator(ctx: AppContext) {
  return async (req: Request): Promise<Caller> => {
    const token = bearerToken(req);
    if (!token) throw new DigitalKeyError('UNAUTHENTICATED');
    const vin = claimedVin(token);
    const vehicle = await ctx.vehicles.find(vin);
    if (!vehicle) throw new DigitalKeyError('UNAUTHENTICATED');
    const { jti, exp } = await verifyVehicleRequestToken({ token, vin, publicJwk: vehicle.vehiclePublicJwk, issuer: ctx.config.ISSUER, nowSeconds: epochSeconds(ctx.clock) });
    const ttlMs = Math.max(1, exp - epochSeconds(ctx.clock) + 10) * 1000;
    const fresh = await ctx.store.set(storeKeys.vehicleTokenUse(vin, jti), '1', { ttlMs, ifAbsent: true });
    if (!fresh) throw new DigitalKeyError('UNAUTHENTICATED', 'this vehicle token was already used');
    return { kind: 'vehicle', vin };
  };
}

/**
 * `closing` aborts when the server drains: each open stream then gets an SSE `retry:` hint and a
 * `closing` event (`{retryInMs}`) and is ended, so cars reconnect elsewhere instead of hanging.
 */
export function vehicleApiRoutes(ctx: AppContext, hub: ManifestHub, closing: AbortSignal = new AbortController().signal): RouteDefinition[] {
  const manifestSchema = z.object({ vin: z.string(), seq: z.number().int(), manifest: z.string() });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/vehicle-api/state',
      operationId: 'vehicleState',
      summary: "The vehicle's latest signed state manifest",
      tags: ['vehicle'],
      errors: ['VEHICLE_NOT_FOUND'],
      auth: 'vehicle',
      responses: { 200: { description: 'The manifest', schema: manifestSchema } },
      handler: async ({ caller }) => {
        if (caller.kind !== 'vehicle') throw new DigitalKeyError('UNAUTHENTICATED');
        const vehicle = await ctx.vehicles.get(caller.vin);
        return { body: { vin: vehicle.vin, seq: vehicle.seq, manifest: await ctx.manifests.sign(vehicle) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/vehicle-api/events',
      operationId: 'vehicleEvents',
      summary: 'Server-sent events: the current manifest, then each new one as it is made (event "manifest", id = seq)',
      tags: ['vehicle'],
      errors: ['VEHICLE_NOT_FOUND'],
      auth: 'vehicle',
      responses: { 200: { description: 'text/event-stream' } },
      handler: async ({ caller, req, res }) => {
        if (caller.kind !== 'vehicle') throw new DigitalKeyError('UNAUTHENTICATED');
        const vin = caller.vin;
        let lastSeq = -1;
        const send = (seq: number, manifest: string) => {
          if (seq <= lastSeq) return;
          lastSeq = seq;
          res.write(`id: ${seq}\nevent: manifest\ndata: ${JSON.stringify({ vin, seq, manifest })}\n\n`);
        };
        // Subscribe before reading the current state, so nothing made in between is missed.
        const stop = await hub.listen(vin, (event) => send(event.seq, event.manifest));
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        res.flushHeaders();
        const vehicle = await ctx.vehicles.get(vin);
        send(vehicle.seq, await ctx.manifests.sign(vehicle));
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        heartbeat.unref();
        const onClosing = () => {
          res.end(`retry: ${RECONNECT_HINT_MS}\nevent: closing\ndata: ${JSON.stringify({ retryInMs: RECONNECT_HINT_MS })}\n\n`);
        };
        if (closing.aborted) onClosing();
        else closing.addEventListener('abort', onClosing, { once: true });
        req.on('close', () => {
          clearInterval(heartbeat);
          closing.removeEventListener('abort', onClosing);
          stop();
        });
      },
    }),
  ];
}
