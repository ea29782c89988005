/**
 * The vehicle sync API: a vehicle, authenticated by a short-lived token signed with its own key
 * (single-use `jti`), reads its latest state manifest or keeps a server-sent-events stream open that
 * carries each new manifest as it is made, on whichever instance it was made; and reports the seq it
 * applied (its acknowledgement), which tells dealers whether a change reached the car.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { epochSeconds } from '../../shared/clock.js';
import { claimedVin, verifyVehicleRequestToken } from '../../shared/credential/vehicleRequestToken.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AppContext } from '../appContext.js';
import { bearerToken } from '../http/authenticate.js';
import type { Caller } from '../http/caller.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { appliedManifestSchema } from '../sync/appliedManifests.js';
import { acknowledgeManifest } from '../sync/acknowledgeManifest.js';
import type { ManifestHub } from '../vehicles/manifestHub.js';
import { streamManifests } from '../vehicles/manifestStream.js';
import { useVehicleTokenOnce } from '../vehicles/vehicleTokenUses.js';

/** Authenticate a vehicle request: its own signature, fresh, and never seen before. */
export function vehicleApiAuthenticator(ctx: AppContext) {
  return async (req: IncomingMessage): Promise<Caller> => {
    const token = bearerToken(req);
    if (!token) throw new DigitalKeyError('UNAUTHENTICATED');
    const vin = claimedVin(token);
    const vehicle = await ctx.vehicles.find(vin);
    if (!vehicle) throw new DigitalKeyError('UNAUTHENTICATED');
    const { jti, exp } = await verifyVehicleRequestToken({ token, vin, publicJwk: vehicle.vehiclePublicJwk, issuer: ctx.config.ISSUER, nowSeconds: epochSeconds(ctx.clock) });
    const fresh = await useVehicleTokenOnce(ctx.store, { vin, jti, exp, nowSeconds: epochSeconds(ctx.clock) });
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
      summary: 'Server-sent events: first the issuer keys to trust (event "trust", {tokens}: a trust update signed by each issuer key, docs/operations.md), then the current manifest, then each new one as it is made (event "manifest", id = seq); every SYNC_HEARTBEAT an event "heartbeat" carries the current seq {seq}, after any manifest the car missed',
      tags: ['vehicle'],
      errors: ['VEHICLE_NOT_FOUND'],
      auth: 'vehicle',
      responses: { 200: { description: 'text/event-stream' } },
      handler: async ({ caller, res }) => {
        if (caller.kind !== 'vehicle') throw new DigitalKeyError('UNAUTHENTICATED');
        await streamManifests({ ctx, hub, vin: caller.vin, res, heartbeatMs: ctx.config.SYNC_HEARTBEAT * 1000, closing });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/vehicle-api/acks',
      operationId: 'vehicleAcknowledge',
      summary: 'The car reports the seq of the state manifest it applied (after each manifest and each heartbeat): the server keeps the newest seq, when it was first reported, and when the car was last seen',
      tags: ['vehicle'],
      errors: ['VEHICLE_NOT_FOUND'],
      auth: 'vehicle',
      body: z.object({ seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict(),
      responses: { 200: { description: 'What the server now knows of the car', schema: appliedManifestSchema } },
      handler: async ({ caller, body }) => {
        if (caller.kind !== 'vehicle') throw new DigitalKeyError('UNAUTHENTICATED');
        return { body: await acknowledgeManifest(ctx, { vin: caller.vin, seq: body.seq }) };
      },
    }),
  ];
}
