/**
 * Account recovery for the owner (R15): ask for a recovery link by e-mail, redeem a dealer code or
 * a link by registering a new passkey, and prove presence at a car after an e-mail recovery. The
 * operations in recovery/ and accounts/presence.ts decide.
 */
import { z } from 'zod';
import { base64UrlIdSchema, uuidSchema, vinSchema } from '../../shared/ids.js';
import { emailTokenSchema } from '../accounts/emailLinks.js';
import { provePresence } from '../accounts/presence.js';
import type { AppContext } from '../appContext.js';
import { emailSchema, passkeyLabelSchema, qrTokenSchema } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { registrationOptionsSchema, registrationResponseSchema } from '../http/webauthnSchemas.js';
import { finishRecovery, startRecovery } from '../recovery/recoverAccount.js';
import { requestRecoveryEmail } from '../recovery/sendRecoveryEmail.js';

export function recoveryRoutes(ctx: AppContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/recovery/emails',
      operationId: 'requestRecoveryEmail',
      summary: "Ask for a recovery link: it goes to the address only if it is an account's verified address; the answer is the same either way (R15)",
      tags: ['recovery'],
      errors: [],
      auth: 'none',
      body: z.object({ email: emailSchema }).strict(),
      responses: { 202: { description: 'Accepted', schema: z.object({}) } },
      handler: async ({ body }) => {
        await requestRecoveryEmail(ctx, body.email);
        return { status: 202, body: {} };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/recovery/options',
      operationId: 'startRecovery',
      summary: 'Start redeeming a dealer recovery code or an e-mail recovery link: passkey creation options (UV required); the code is not used up yet. Wrong codes are rate limited per client (R15)',
      tags: ['recovery'],
      errors: ['RECOVERY_INVALID'],
      auth: 'none',
      body: z.union([z.object({ code: z.string().min(1).max(64) }).strict(), z.object({ emailToken: emailTokenSchema }).strict()]),
      responses: {
        200: {
          description: 'Creation options for the new passkey',
          schema: z.object({ challengeId: uuidSchema, accountId: uuidSchema, method: z.enum(['dealer-code', 'email']), options: registrationOptionsSchema }),
        },
      },
      handler: async ({ body, req }) => ({ body: await startRecovery(ctx, { proof: body, client: req.socket.remoteAddress ?? 'unknown' }) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/recovery/passkeys',
      operationId: 'finishRecovery',
      summary: 'Register the new passkey: uses the code or link up (exactly one of concurrent redemptions succeeds), ends every other session, notifies the account; returns a session (R15)',
      tags: ['recovery'],
      errors: ['CHALLENGE_EXPIRED', 'REGISTRATION_FAILED', 'USER_NOT_VERIFIED', 'RECOVERY_INVALID', 'CONFLICT'],
      auth: 'none',
      body: z.object({ challengeId: uuidSchema, response: registrationResponseSchema, label: passkeyLabelSchema.exactOptional() }).strict(),
      responses: {
        201: { description: 'New passkey registered', schema: z.object({ accountId: uuidSchema, passkeyId: base64UrlIdSchema, token: z.string(), presenceRequired: z.boolean() }) },
      },
      handler: async ({ body }) => ({ status: 201, body: await finishRecovery(ctx, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/presence-proofs',
      operationId: 'provePresence',
      summary: 'Prove presence at a car the account is main user of, by the QR code inside it: lifts the main-key restriction an e-mail recovery leaves (R15)',
      tags: ['recovery'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'CLAIM_REJECTED', 'CONFLICT'],
      auth: 'session',
      body: z.object({ vin: vinSchema, qrToken: qrTokenSchema }).strict(),
      responses: { 200: { description: 'Presence proven', schema: z.object({ presenceRequired: z.literal(false) }) } },
      handler: async ({ caller, body }) => {
        await provePresence(ctx, { accountId: requireAccount(caller).accountId, vin: body.vin, qrToken: body.qrToken });
        return { body: { presenceRequired: false as const } };
      },
    }),
  ];
}
