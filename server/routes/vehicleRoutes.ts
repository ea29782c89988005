/**
 * Vehicles for the phone app (DESIGN.md §5): claim a vehicle as its main user (R2, R4d, R12), and
 * remove it from the account or relinquish the usage rights (R4a, R4c). Each handler parses the
 * request, calls the operation named for the rule, and maps its result to HTTP.
 */
import { z } from 'zod';
import { uuidSchema, vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { odometerKmSchema, qrTokenSchema, vinParams } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import type { Outbox } from '../notifications/outbox.js';
import type { SubscriptionGate } from '../subscriptions/subscriptionGate.js';
import { claimVehicle } from '../vehicles/claimVehicle.js';
import { removeVehicle } from '../vehicles/removeVehicle.js';

const wipeResultSchema = z.object({ vin: vinSchema, revokedKeyIds: z.array(uuidSchema), epoch: z.number().int(), seq: z.number().int() });

export function vehicleRoutes(ctx: AppContext, services: { gate: SubscriptionGate; outbox: Outbox }): RouteDefinition[] {
  const deps = { ...ctx, ...services };
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
        const claimed = await claimVehicle(deps, { vin: params.vin, accountId: me.accountId, proof, acceptTerms: body.acceptTerms });
        return { status: 201, body: { vin: claimed.vin, role: claimed.role, wiped: claimed.wiped } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/me/vehicles/:vin',
      operationId: 'removeVehicle',
      summary: 'Remove the vehicle from the account (R4a), or relinquish the usage rights (R4c): every key is wiped',
      tags: ['vehicles'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'CONFLICT'],
      auth: 'session',
      params: vinParams,
      body: z.object({ reason: z.enum(['remove', 'relinquish']).default('remove') }),
      responses: { 200: { description: 'Removed; every key wiped', schema: wipeResultSchema } },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        const { vehicle, revokedKeyIds } = await removeVehicle(deps, { vin: params.vin, accountId: me.accountId, reason: body.reason });
        return { body: { vin: params.vin, revokedKeyIds, epoch: vehicle.epoch, seq: vehicle.seq } };
      },
    }),
  ];
}
