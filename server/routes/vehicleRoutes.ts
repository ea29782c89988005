/**
 * Vehicles and keys for the phone app (DESIGN.md §5): claim a vehicle (R2, R4d, R12), activate
 * Standard Services (R1), get a main key for one of the caller's passkeys, list keys, refresh a
 * credential (R8).
 */
import { z } from 'zod';
import { COMMANDS } from '../../shared/commands.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { base64UrlIdSchema, uuidSchema, vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { activateStandardServices } from '../domain/activateStandardServices.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import { claimVehicle } from '../domain/claimVehicle.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { issuedSchema, keyView, keyViewSchema, odometerKmSchema, qrTokenSchema, vinParams } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { createKey } from '../keys/createKey.js';
import { credentialForKey } from '../keys/credentialForKey.js';
import { wipeWrites } from '../keys/wipeVehicleKeys.js';
import type { VehicleHooks } from '../vehicles/vehicleHooks.js';

export function vehicleRoutes(ctx: AppContext, hooks: VehicleHooks): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/vehicles/:vin/claims',
      operationId: 'claimVehicle',
      summary: 'Claim a vehicle as its main user by odometer reading (only a vehicle nobody holds; 5 wrong readings a day) or QR token, accepting the terms (R2); a claim by another account wipes every key (R4d) and notifies the previous main user (R12)',
      tags: ['vehicles'],
      errors: ['VEHICLE_NOT_FOUND', 'TERMS_NOT_ACCEPTED', 'CLAIM_REJECTED', 'RATE_LIMITED', 'CONFLICT'],
      auth: 'session',
      params: vinParams,
      body: z.intersection(
        z.discriminatedUnion('method', [
          z.object({ method: z.literal('odometer'), odometerKm: odometerKmSchema }),
          z.object({ method: z.literal('qr'), qrToken: qrTokenSchema }),
        ]),
        z.object({ acceptTerms: z.boolean() }),
      ),
      responses: { 201: { description: 'The caller is the main user', schema: z.object({ vin: vinSchema, role: z.literal('main'), wiped: z.boolean() }) } },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        const proof = body.method === 'odometer' ? { method: 'odometer' as const, odometerKm: body.odometerKm } : { method: 'qr' as const, qrToken: body.qrToken };
        const claim = (current: VehicleRecord) =>
          claimVehicle(current, {
            accountId: me.accountId,
            proof,
            acceptTerms: body.acceptTerms,
            nowMs: ctx.clock.now(),
            odometerToleranceKm: ctx.config.ODOMETER_TOLERANCE_KM,
          });
        // Only a claim that would succeed and replace a main user schedules the subscription release.
        const preview = claim(await ctx.vehicles.get(params.vin));
        if (preview.kind === 'claimed' && preview.previousMainUser) await hooks.beforeMainUserLeaves(params.vin);
        const { before, vehicle, result } = await ctx.vehicles.update(params.vin, (current) => {
          const outcome = claim(current);
          if (outcome.kind === 'rejected' || !outcome.wiped) return { vehicle: outcome.vehicle, result: outcome };
          // R4d: a claim by another account wipes every key, in the same commit as the new main user.
          const writes = wipeWrites(ctx, current, outcome.vehicle, {
            reason: 'claimed-by-another',
            actor: { accountId: me.accountId, role: 'claimant' },
            detail: { previousMainUser: outcome.previousMainUser },
          });
          // R4b: the previous main user's subscription ends in the same commit (it is not transferable).
          return { vehicle: hooks.mainUserLeaves(outcome.vehicle, 'main-user-changed'), writes, result: outcome };
        });
        // A wrong odometer reading is counted (committed above), then refused.
        if (result.kind === 'rejected') throw new DigitalKeyError('CLAIM_REJECTED');
        if (vehicle.seq !== before.seq) await ctx.manifests.publish(vehicle);
        if (result.previousMainUser) await hooks.mainUserReplaced({ vin: params.vin, previousMainUser: result.previousMainUser, newMainUser: me.accountId });
        return { status: 201, body: { vin: params.vin, role: 'main' as const, wiped: result.wiped } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/vehicles/:vin/standard-services',
      operationId: 'activateStandardServices',
      summary: 'Activate Standard Services on the vehicle (R1); main user only',
      tags: ['vehicles'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'CONFLICT'],
      auth: 'session',
      params: vinParams,
      body: z.object({}),
      responses: { 200: { description: 'Active', schema: z.object({ vin: vinSchema, active: z.literal(true) }) } },
      handler: async ({ caller, params }) => {
        const me = requireAccount(caller);
        await ctx.vehicles.update(params.vin, (current) => ({
          vehicle: activateStandardServices(current, { accountId: me.accountId, nowMs: ctx.clock.now() }),
          result: null,
        }));
        return { body: { vin: params.vin, active: true as const } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/vehicles/:vin/keys',
      operationId: 'createMainKey',
      summary: "Get a main key for one of the caller's passkeys (main user only; R1)",
      tags: ['keys'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'PASSKEY_NOT_FOUND', 'KEY_EXISTS', 'STANDARD_SERVICES_INACTIVE', 'SUBSCRIPTION_INACTIVE', 'CONFLICT'],
      auth: 'session',
      params: vinParams,
      body: z.object({ passkeyId: base64UrlIdSchema }),
      responses: { 201: { description: 'The key and its first credential', schema: issuedSchema } },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        const { key } = await createKey(ctx, {
          vin: params.vin,
          accountId: me.accountId,
          passkeyId: body.passkeyId,
          role: 'main',
          perms: [...COMMANDS],
          admit: (vehicle) => {
            assertMainUser(vehicle, me.accountId);
            hooks.assertKeysAllowed(vehicle);
            return vehicle;
          },
        });
        const issued = await credentialForKey(ctx, { keyId: key.keyId, accountId: me.accountId, assertKeysAllowed: hooks.assertKeysAllowed });
        return { status: 201, body: issued };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/vehicles/:vin/keys',
      operationId: 'listVehicleKeys',
      summary: "List the vehicle's keys: the main user sees all, a shared user only their own",
      tags: ['keys'],
      errors: ['VEHICLE_NOT_FOUND'],
      auth: 'session',
      params: vinParams,
      responses: { 200: { description: 'Keys', schema: z.object({ keys: z.array(keyViewSchema), epoch: z.number().int() }) } },
      handler: async ({ caller, params }) => {
        const me = requireAccount(caller);
        const vehicle = await ctx.vehicles.get(params.vin);
        const keys = await ctx.vehicles.keys(params.vin, vehicle.epoch);
        const isMain = vehicle.mainUser?.accountId === me.accountId;
        const visible = isMain ? keys : keys.filter((k) => k.accountId === me.accountId);
        if (!isMain && visible.length === 0) throw new DigitalKeyError('FORBIDDEN');
        return { body: { keys: visible.map(keyView), epoch: vehicle.epoch } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/keys/:keyId/credential',
      operationId: 'refreshCredential',
      summary: "Refresh a key's credential (its holder only; R8) with the vehicle's current state manifest",
      tags: ['keys'],
      errors: ['KEY_NOT_FOUND', 'REVOKED', 'EPOCH_STALE', 'STANDARD_SERVICES_INACTIVE', 'SUBSCRIPTION_INACTIVE'],
      auth: 'session',
      params: z.object({ keyId: uuidSchema }),
      body: z.object({}),
      responses: { 200: { description: 'A fresh credential', schema: issuedSchema } },
      handler: async ({ caller, params }) => {
        const me = requireAccount(caller);
        return { body: await credentialForKey(ctx, { keyId: params.keyId, accountId: me.accountId, assertKeysAllowed: hooks.assertKeysAllowed }) };
      },
    }),
  ];
}
