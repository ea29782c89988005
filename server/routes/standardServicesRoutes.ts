/**
 * Standard Services for the phone app (R1, DESIGN.md §5): the main user activates them, or ends
 * them — the Smart Digital Key needs them, so ending them ends the subscription and wipes every key
 * (R4b). Each handler parses the request, calls the operation, and maps its result to HTTP.
 */
import { z } from 'zod';
import { vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { vinParams } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import type { SubscriptionService } from '../subscriptions/subscriptionService.js';
import { activateStandardServices } from '../vehicles/activateStandardServices.js';

export function standardServicesRoutes(ctx: AppContext, subscriptions: Pick<SubscriptionService, 'endStandardServices'>): RouteDefinition[] {
  return [
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
        await activateStandardServices(ctx, { vin: params.vin, accountId: me.accountId });
        return { body: { vin: params.vin, active: true as const } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/vehicles/:vin/standard-services',
      operationId: 'endStandardServices',
      summary: 'End Standard Services (main user only): the Smart Digital Key needs them (R1), so the subscription ends and every key is wiped (R4b)',
      tags: ['vehicles'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'CONFLICT'],
      auth: 'session',
      params: vinParams,
      body: z.object({}),
      responses: { 200: { description: 'Ended; every key wiped', schema: z.object({ vin: vinSchema, active: z.literal(false), revokedKeyIds: z.array(z.string()), epoch: z.number().int(), seq: z.number().int() }) } },
      handler: async ({ caller, params }) => {
        const me = requireAccount(caller);
        const { vehicle, revokedKeyIds } = await subscriptions.endStandardServices({ vin: params.vin, accountId: me.accountId });
        ctx.logger.info({ vin: params.vin }, 'standard services ended');
        return { body: { vin: params.vin, active: false as const, revokedKeyIds, epoch: vehicle.epoch, seq: vehicle.seq } };
      },
    }),
  ];
}
