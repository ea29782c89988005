/**
 * The owner's overview (issue 8): the vehicles the account is main user of or holds a key of, and
 * the account's own keys on every vehicle with their holder's name and phone label.
 */
import { z } from 'zod';
import { vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { keyDetails, keyDetailsSchema } from '../keys/keyDetails.js';
import { vehiclesOfAccount } from '../vehicles/accountVehicles.js';

export function myVehicleRoutes(ctx: AppContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me/vehicles',
      operationId: 'listMyVehicles',
      summary: 'The vehicles the account is main user of, or holds a shared key of',
      tags: ['vehicles'],
      errors: [],
      auth: 'session',
      responses: {
        200: {
          description: 'Vehicles',
          schema: z.object({
            vehicles: z.array(z.object({ vin: vinSchema, role: z.enum(['main', 'shared']), standardServicesActive: z.boolean(), since: z.number().int().nullable() })),
          }),
        },
      },
      handler: async ({ caller }) => {
        const me = requireAccount(caller);
        const held = await vehiclesOfAccount(ctx, me.accountId);
        return {
          body: {
            vehicles: held.map(({ vehicle, role }) => ({
              vin: vehicle.vin,
              role,
              standardServicesActive: vehicle.standardServices.active,
              since: role === 'main' ? (vehicle.mainUser?.since ?? null) : null,
            })),
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/me/keys',
      operationId: 'listMyKeys',
      summary: "The account's own live keys on every vehicle, with the holder's name and the phone's label",
      tags: ['keys'],
      errors: [],
      auth: 'session',
      responses: { 200: { description: 'Keys', schema: z.object({ keys: z.array(keyDetailsSchema) }) } },
      handler: async ({ caller }) => {
        const me = requireAccount(caller);
        const held = await vehiclesOfAccount(ctx, me.accountId);
        return { body: { keys: await keyDetails(ctx, held.flatMap((h) => h.keys)) } };
      },
    }),
  ];
}
