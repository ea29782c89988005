/**
 * The dealer API (R6, R13): revoke the keys of a lost phone or all keys of a vehicle, with a
 * reason; find a vehicle or a customer; look up a vehicle's keys, subscription and car status, and
 * its audit trail (paged, or as CSV). A dealer can never issue or share a key.
 */
import { z } from 'zod';
import { base64UrlIdSchema, vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { vinParams } from '../http/apiSchemas.js';
import { bearerToken, requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { revokeLostPasskey } from '../keys/revokeLostPasskey.js';
import { revokeAllKeysByDealer } from '../keys/revokeAllKeysByDealer.js';
import { auditEntrySchema, readAuditTrail } from '../vehicles/auditTrail.js';
import { dealerAuditCsv, dealerAuditPage, dealerAuditPageSchema } from '../dealer/dealerAuditPage.js';
import { dealerSearch, dealerSearchResultSchema } from '../dealer/dealerSearch.js';
import { dealerVehicleView, dealerVehicleViewSchema } from '../dealer/dealerVehicleView.js';
import { requireStepUp } from '../dealer/requireStepUp.js';

const reason = z.string().trim().min(3).max(500);

export function dealerRoutes(ctx: AppContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/dealer/vehicles/:vin/revocations',
      operationId: 'dealerRevoke',
      summary: "Revoke a lost phone's keys and disable its passkey (scope passkey, R6), or wipe every key of the vehicle (scope all). Step-up: the session must come from a passkey check (UV) at most 5 minutes old, else 401 UNAUTHENTICATED with detail.stepUp \"required\": log in again and repeat",
      tags: ['dealer'],
      errors: ['VEHICLE_NOT_FOUND', 'PASSKEY_NOT_FOUND', 'KEY_NOT_FOUND', 'CONFLICT'],
      auth: 'dealer',
      params: vinParams,
      body: z.discriminatedUnion('scope', [
        z.object({ scope: z.literal('all'), reason }),
        z.object({ scope: z.literal('passkey'), passkeyId: base64UrlIdSchema, reason }),
      ]),
      responses: { 200: { description: 'Revoked', schema: z.object({ revokedKeyIds: z.array(z.string()), epoch: z.number().int(), seq: z.number().int() }) } },
      handler: async ({ caller, params, body, req }) => {
        const dealer = requireAccount(caller);
        requireStepUp(ctx, { sessionToken: bearerToken(req) });
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
      summary: "Look up a vehicle: its main user, each key's holder, device label, role, perms, window, created and last used, the subscription (read-only), and whether the car applied the latest state (reached / waiting, last seen)",
      tags: ['dealer'],
      errors: ['VEHICLE_NOT_FOUND'],
      auth: 'dealer',
      params: vinParams,
      responses: { 200: { description: 'The vehicle as a dealer sees it', schema: dealerVehicleViewSchema } },
      handler: async ({ params }) => ({ body: await dealerVehicleView(ctx, { vin: params.vin }) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/dealer/search',
      operationId: 'dealerSearch',
      summary: 'Find a vehicle by VIN (whitespace removed, upper-cased) or a customer by e-mail, with the vehicles the customer is main user of or holds a key for',
      tags: ['dealer'],
      errors: [],
      auth: 'dealer',
      query: z.object({ q: z.string().min(1).max(254) }).strict(),
      responses: { 200: { description: 'What the query found', schema: dealerSearchResultSchema } },
      handler: async ({ query }) => ({ body: await dealerSearch(ctx, { q: query.q }) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/dealer/vehicles/:vin/audit/page',
      operationId: 'dealerAuditPage',
      summary: "A page of the vehicle's audit trail, newest first, with each actor's name and whether the car applied the entry's state",
      tags: ['dealer'],
      errors: ['VEHICLE_NOT_FOUND'],
      auth: 'dealer',
      params: vinParams,
      query: z.object({ offset: z.coerce.number().int().min(0).max(100_000).default(0), limit: z.coerce.number().int().min(1).max(100).default(20) }).strict(),
      responses: { 200: { description: 'The page and the total number of entries', schema: dealerAuditPageSchema } },
      handler: async ({ params, query }) => ({ body: await dealerAuditPage(ctx, { vin: params.vin, offset: query.offset, limit: query.limit }) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/dealer/vehicles/:vin/audit/export',
      operationId: 'dealerAuditExport',
      summary: "The vehicle's audit trail as CSV (text/csv; newest first; times in ISO 8601 UTC)",
      tags: ['dealer'],
      errors: ['VEHICLE_NOT_FOUND'],
      auth: 'dealer',
      params: vinParams,
      responses: { 200: { description: 'text/csv' } },
      handler: async ({ params, res }) => {
        const csv = await dealerAuditCsv(ctx, { vin: params.vin });
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-length': Buffer.byteLength(csv), 'content-disposition': `attachment; filename="audit-${params.vin}.csv"` });
        res.end(csv);
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
        return { body: { vin: params.vin, entries: await readAuditTrail(ctx, params.vin, { limit: query.limit }) } };
      },
    }),
  ];
}
