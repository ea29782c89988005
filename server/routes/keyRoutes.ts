/**
 * Digital keys for the phone app (DESIGN.md §5): a main key for one of the caller's passkeys (R1),
 * the keys the caller may see, revoking one key (R3), refreshing a credential (R8). Each handler
 * parses the request, calls the operation named for the rule, and maps its result to HTTP.
 */
import { z } from 'zod';
import { base64UrlIdSchema, uuidSchema, vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { issuedSchema, vinParams } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { createMainKey } from '../keys/createMainKey.js';
import { credentialForKey } from '../keys/credentialForKey.js';
import { keyDetails, keyDetailsSchema } from '../keys/keyDetails.js';
import { listVehicleKeys } from '../keys/listVehicleKeys.js';
import { revokeKeyByUser } from '../keys/revokeKeyByUser.js';
import type { SubscriptionGate } from '../subscriptions/subscriptionGate.js';

export function keyRoutes(ctx: AppContext, services: { gate: SubscriptionGate }): RouteDefinition[] {
  const deps = { ...ctx, ...services };
  return [
    defineRoute({
      method: 'post',
      path: '/v1/vehicles/:vin/keys',
      operationId: 'createMainKey',
      summary: "Get a main key for one of the caller's passkeys (main user only; R1)",
      tags: ['keys'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'PASSKEY_NOT_FOUND', 'KEY_EXISTS', 'STANDARD_SERVICES_INACTIVE', 'SUBSCRIPTION_INACTIVE', 'PRESENCE_REQUIRED', 'CONFLICT'],
      auth: 'session',
      params: vinParams,
      body: z.object({ passkeyId: base64UrlIdSchema }),
      responses: { 201: { description: 'The key and its first credential', schema: issuedSchema } },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        return { status: 201, body: await createMainKey(deps, { vin: params.vin, accountId: me.accountId, passkeyId: body.passkeyId }) };
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
      responses: { 200: { description: "Keys, with the holder's display name and the phone's label", schema: z.object({ keys: z.array(keyDetailsSchema), epoch: z.number().int() }) } },
      handler: async ({ caller, params }) => {
        const me = requireAccount(caller);
        const { keys, epoch } = await listVehicleKeys(deps, { vin: params.vin, accountId: me.accountId });
        return { body: { keys: await keyDetails(deps, keys), epoch } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/vehicles/:vin/keys/:keyId',
      operationId: 'revokeKey',
      summary: 'Revoke one key: the main user any key, a shared user only their own (R3)',
      tags: ['keys'],
      errors: ['VEHICLE_NOT_FOUND', 'KEY_NOT_FOUND', 'CONFLICT'],
      auth: 'session',
      params: z.object({ vin: vinSchema, keyId: uuidSchema }),
      responses: { 200: { description: 'Revoked', schema: z.object({ keyId: uuidSchema, seq: z.number().int() }) } },
      handler: async ({ caller, params }) => {
        const me = requireAccount(caller);
        const { vehicle, keyId } = await revokeKeyByUser(deps, { vin: params.vin, keyId: params.keyId, accountId: me.accountId });
        return { body: { keyId, seq: vehicle.seq } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/keys/:keyId/credential',
      operationId: 'refreshCredential',
      summary: "Refresh a key's credential (its holder only; R8) with the vehicle's current state manifest",
      tags: ['keys'],
      errors: ['KEY_NOT_FOUND', 'REVOKED', 'NOT_YET_VALID', 'EXPIRED', 'STANDARD_SERVICES_INACTIVE', 'SUBSCRIPTION_INACTIVE', 'PRESENCE_REQUIRED'],
      auth: 'session',
      params: z.object({ keyId: uuidSchema }),
      body: z.object({}),
      responses: { 200: { description: 'A fresh credential', schema: issuedSchema } },
      readAhead: (params) => deps.vehicles.homeOfKey(params.keyId),
      handler: async ({ caller, params, readAhead }) => {
        const me = requireAccount(caller);
        return { body: await credentialForKey(deps, { keyId: params.keyId, accountId: me.accountId, known: me.records, ...(readAhead ? { home: readAhead } : {}) }) };
      },
    }),
  ];
}
