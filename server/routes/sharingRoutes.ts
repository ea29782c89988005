/**
 * Sharing for the phone app (R3, DESIGN.md §5): the main user invites, an account accepts with one
 * of its passkeys. Each handler parses the request, calls the operation, and maps its result to HTTP.
 */
import { z } from 'zod';
import { permsSchema } from '../../shared/commands.js';
import { base64UrlIdSchema, uuidSchema, vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { emailSchema, issuedSchema, vinParams } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { acceptInvitation } from '../sharing/acceptInvitation.js';
import { createInvitation } from '../sharing/createInvitation.js';
import { invitationPreviewSchema, invitationView, invitationViewSchema, listOpenInvitations, previewInvitation, revokeInvitation } from '../sharing/openInvitations.js';
import type { SubscriptionGate } from '../subscriptions/subscriptionGate.js';

const codeParams = z.object({ code: z.string().regex(/^[A-Za-z0-9_-]{32}$/).meta({ examples: ['Qm4vT8yK2pLr7XcN0aWd5sEf9hJu3ZbG'] }) });

export function sharingRoutes(ctx: AppContext, services: { gate: SubscriptionGate }): RouteDefinition[] {
  const deps = { ...ctx, ...services };
  return [
    defineRoute({
      method: 'post',
      path: '/v1/vehicles/:vin/invitations',
      operationId: 'inviteSharedUser',
      summary: 'Invite a shared user with a profile: commands and an optional validity window (main user only; R3)',
      tags: ['sharing'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'SHARED_KEY_LIMIT', 'PRESENCE_REQUIRED'],
      auth: 'session',
      params: vinParams,
      body: z
        .object({
          perms: permsSchema,
          notBefore: z.number().int().nonnegative().optional(),
          notAfter: z.number().int().positive().optional(),
          email: emailSchema.optional(),
        })
        .refine((b) => b.notBefore === undefined || b.notAfter === undefined || b.notAfter > b.notBefore, 'notAfter must be after notBefore'),
      responses: { 201: { description: 'Invitation', schema: z.object({ invitationId: uuidSchema, code: z.string(), expiresAt: z.number().int() }) } },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        return { status: 201, body: await createInvitation(deps, { vin: params.vin, accountId: me.accountId, ...body }) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/invitations/:code/accept',
      operationId: 'acceptInvitation',
      summary: "Accept an invitation with one of the caller's passkeys: a shared key with exactly the invitation's profile",
      tags: ['sharing'],
      errors: ['INVITATION_INVALID', 'EMAIL_NOT_VERIFIED', 'PASSKEY_NOT_FOUND', 'KEY_EXISTS', 'SHARED_KEY_LIMIT', 'STANDARD_SERVICES_INACTIVE', 'SUBSCRIPTION_INACTIVE', 'VEHICLE_NOT_FOUND', 'CONFLICT'],
      auth: 'session',
      params: codeParams,
      body: z.object({ passkeyId: base64UrlIdSchema }),
      responses: {
        201: {
          description: 'The shared key and its first credential; for a window that starts more than CREDENTIAL_TTL from now, no credential yet but `credentialFrom` (seconds), when the phone may ask for it',
          schema: issuedSchema.partial({ credential: true, expiresAt: true, responseKey: true, advertisingKey: true }).extend({ credentialFrom: z.number().int().optional() }),
        },
      },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        return { status: 201, body: await acceptInvitation(deps, { code: params.code, accountId: me.accountId, passkeyId: body.passkeyId }) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/invitations/:code',
      operationId: 'previewInvitation',
      summary: 'What an invitation offers, for its acceptance page: who invites, which car, which commands, which window (the code is the authority; it is not used up)',
      tags: ['sharing'],
      errors: ['INVITATION_INVALID'],
      auth: 'none',
      params: codeParams,
      responses: { 200: { description: 'The invitation', schema: invitationPreviewSchema } },
      handler: async ({ params }) => ({ body: await previewInvitation(deps, { code: params.code }) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/vehicles/:vin/invitations',
      operationId: 'listInvitations',
      summary: "The vehicle's open invitations: not accepted, not expired, made in the current key epoch (main user only)",
      tags: ['sharing'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER'],
      auth: 'session',
      params: vinParams,
      responses: { 200: { description: 'Open invitations', schema: z.object({ invitations: z.array(invitationViewSchema) }) } },
      handler: async ({ caller, params }) => {
        const invitations = await listOpenInvitations(deps, { vin: params.vin, accountId: requireAccount(caller).accountId });
        return { body: { invitations: invitations.map(invitationView) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/vehicles/:vin/invitations/:invitationId',
      operationId: 'revokeInvitation',
      summary: 'Revoke an open invitation: its code stops working at once (main user only)',
      tags: ['sharing'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'NOT_FOUND'],
      auth: 'session',
      params: z.object({ vin: vinSchema, invitationId: uuidSchema }),
      responses: { 204: { description: 'Revoked' } },
      handler: async ({ caller, params }) => {
        await revokeInvitation(deps, { vin: params.vin, invitationId: params.invitationId, accountId: requireAccount(caller).accountId });
        return { status: 204 };
      },
    }),
  ];
}
