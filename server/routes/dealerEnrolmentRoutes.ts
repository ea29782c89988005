/**
 * A dealer's enrolment from an operator's invitation link (`npm run operator -- invite-dealer`):
 * preview the invitation, then register the dealer's passkey, which creates the dealer account and
 * uses the invitation up. No session before: the link is the credential. The operations in
 * dealer/enrolDealer.ts decide.
 */
import { z } from 'zod';
import { base64UrlIdSchema, uuidSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { DEALER_INVITATION_TOKEN_PATTERN } from '../dealer/dealerInvitations.js';
import { finishDealerEnrolment, previewDealerInvitation, startDealerEnrolment } from '../dealer/enrolDealer.js';
import { passkeyLabelSchema } from '../http/apiSchemas.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { registrationOptionsSchema, registrationResponseSchema } from '../http/webauthnSchemas.js';

const tokenParams = z.object({ token: z.string().regex(DEALER_INVITATION_TOKEN_PATTERN).meta({ examples: ['q3XbT9mKc2Lr7XcN0aWd5sEf9hJu3ZbGQm4vT8yK2pL'] }) });

export function dealerEnrolmentRoutes(ctx: AppContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/dealer-invitations/:token',
      operationId: 'previewDealerInvitation',
      summary: 'Which address a dealer invitation is for and until when it can be used (it is not used up)',
      tags: ['dealer'],
      errors: ['INVITATION_INVALID'],
      auth: 'none',
      params: tokenParams,
      responses: { 200: { description: 'The invitation', schema: z.object({ email: z.string(), expiresAt: z.number().int() }) } },
      handler: async ({ params }) => ({ body: await previewDealerInvitation(ctx, params.token) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/dealer-invitations/:token/options',
      operationId: 'startDealerEnrolment',
      summary: "Start a dealer's enrolment: passkey creation options (UV required) for the dealer account the invitation creates; the invitation is not used up yet. An address that already has an account is refused (the operator's grant-dealer makes it a dealer)",
      tags: ['dealer'],
      errors: ['INVITATION_INVALID', 'ACCOUNT_EXISTS'],
      auth: 'none',
      params: tokenParams,
      body: z.object({ displayName: z.string().trim().min(1).max(100) }).strict(),
      responses: { 200: { description: 'Creation options for the dealer passkey', schema: z.object({ challengeId: uuidSchema, options: registrationOptionsSchema }) } },
      handler: async ({ params, body }) => ({ body: await startDealerEnrolment(ctx, { token: params.token, displayName: body.displayName }) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/dealer-invitations/:token/passkeys',
      operationId: 'finishDealerEnrolment',
      summary: 'Register the dealer passkey: uses the invitation up (exactly one of concurrent enrolments succeeds), creates the dealer account with its verified address; returns a session',
      tags: ['dealer'],
      errors: ['CHALLENGE_EXPIRED', 'REGISTRATION_FAILED', 'USER_NOT_VERIFIED', 'INVITATION_INVALID', 'ACCOUNT_EXISTS', 'CONFLICT'],
      auth: 'none',
      params: tokenParams,
      body: z.object({ challengeId: uuidSchema, response: registrationResponseSchema, label: passkeyLabelSchema.exactOptional() }).strict(),
      responses: { 201: { description: 'Dealer enrolled', schema: z.object({ accountId: uuidSchema, passkeyId: base64UrlIdSchema, token: z.string() }) } },
      handler: async ({ params, body }) => ({ status: 201, body: await finishDealerEnrolment(ctx, { token: params.token, ...body }) }),
    }),
  ];
}
