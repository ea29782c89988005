/**
 * The dealer API (R6, R13): revoke the keys of a lost phone or all keys of a vehicle, with a
 * reason; look up a vehicle's keys and its audit trail. A dealer can never issue or share a key.
 */
import { z } from 'zod';
import { base64UrlIdSchema, uuidSchema, vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { keyView, keyViewSchema, vinParams } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { revokeLostPasskey } from '../keys/revokeLostPasskey.js';
import { revokeAllKeysByDealer } from '../keys/revokeAllKeysByDealer.js';
import { auditEntrySchema, readAuditTrail } from '../vehicles/auditTrail.js';
import { carSyncStatus, carSyncStatusSchema } from '../sync/carSyncStatus.js';

const reason = z.string().trim().min(3).max(500);

export function dealerRoutes(ctx: AppContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/dealer/vehicles/:vin/revocations',
      operationId: 'dealerRevoke',
      summary: "Revoke a lost phone's keys and disable its passkey (scope passkey, R6), or wipe every key of the vehicle (scope all)",
      tags: ['dealer'],
      errors: ['VEHICLE_NOT_FOUND', 'PASSKEY_NOT_FOUND', 'KEY_NOT_FOUND', 'CONFLICT'],
      auth: 'dealer',
      params: vinParams,
      body: z.discriminatedUnion('scope', [
        z.object({ scope: z.literal('all'), reason }),
        z.object({ scope: z.literal('passkey'), passkeyId: base64UrlIdSchema, reason }),
      ]),
      responses: { 200: { description: 'Revoked', schema: z.object({ revokedKeyIds: z.array(z.string()), epoch: z.number().int(), seq: z.number().int() }) } },
      handler: async ({ caller, params, body }) => {
        const dealer = requireAccount(caller);
        if (body.scope === 'passkey') {
          return { body: await revokeLostPasskey(ctx, { vin: params.vin, passkeyId: body.passkeyId, dealer: dealer.accountId, reason: body.reason }) };
        }
        return { body: await revokeAllKeysByDealer(ctx, { vin: params.vin, dealer: dealer.accountId, reason: body.reason }) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/dealer/vehicles/:vin/keys',
      operationId: 'dealerListKeys',
      summary: "Look up a vehicle's keys, and whether the car applied the vehicle's latest state (reached / waiting, last seen)",
      tags: ['dealer'],
      errors: ['VEHICLE_NOT_FOUND'],
      auth: 'dealer',
      params: vinParams,
      responses: {
        200: {
          description: 'Keys',
          schema: z.object({ vin: vinSchema, epoch: z.number().int(), seq: z.number().int(), mainUser: uuidSchema.nullable(), keys: z.array(keyViewSchema), car: carSyncStatusSchema }),
        },
      },
      handler: async ({ params }) => {
        const vehicle = await ctx.vehicles.get(params.vin);
        const keys = await ctx.vehicles.keys(params.vin, vehicle.epoch);
        const car = await carSyncStatus(ctx, { vin: params.vin, seq: vehicle.seq });
        return { body: { vin: params.vin, epoch: vehicle.epoch, seq: vehicle.seq, mainUser: vehicle.mainUser?.accountId ?? null, keys: keys.map(keyView), car } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/dealer/vehicles/:vin/audit',
      operationId: 'dealerAuditTrail',
      summary: "A vehicle's audit trail of revocations and wipes (R13), newest last",
      tags: ['dealer'],
      errors: ['VEHICLE_NOT_FOUND'],
      auth: 'dealer',
      params: vinParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      responses: { 200: { description: 'Audit entries, oldest first', schema: z.object({ vin: vinSchema, entries: z.array(auditEntrySchema) }) } },
      handler: async ({ params, query }) => {
        await ctx.vehicles.get(params.vin);
        return { body: { vin: params.vin, entries: await readAuditTrail(ctx.store, params.vin, { limit: query.limit }) } };
      },
    }),
  ];
}
