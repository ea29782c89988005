/**
 * Accounts, passkeys and sessions (DESIGN.md §5): create an account and enroll its first passkey
 * with a single-use enrollment token; log in with a passkey (UV required) for a short session;
 * add a passkey for another phone.
 */
import { z } from 'zod';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { base64UrlIdSchema, uuidSchema } from '../../shared/ids.js';
import { endSession } from '../accounts/endedSessions.js';
import { enrollFirstPasskey } from '../accounts/enrollFirstPasskey.js';
import { finishAddPasskey } from '../accounts/finishAddPasskey.js';
import { finishLogin } from '../accounts/finishLogin.js';
import { authenticationOptions, registrationOptions } from '../accounts/relyingParty.js';
import { signUp } from '../accounts/signUp.js';
import type { AppContext } from '../appContext.js';
import { emailSchema, passkeyLabelSchema } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { authenticationOptionsSchema, authenticationResponseSchema, registrationOptionsSchema, registrationResponseSchema } from '../http/webauthnSchemas.js';

export function accountRoutes(ctx: AppContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/accounts',
      operationId: 'createAccount',
      summary: 'Sign up: returns a single-use enrollment token and passkey creation options (UV required), the same way whether or not the address already has an account (the address owner is told by e-mail); a verification link goes to a free address',
      tags: ['accounts'],
      errors: ['CONFLICT'],
      auth: 'none',
      body: z.object({ email: emailSchema, displayName: z.string().trim().min(1).max(100) }),
      responses: {
        201: {
          description: 'Account created',
          schema: z.object({ accountId: uuidSchema, enrollmentToken: z.string(), options: registrationOptionsSchema }),
        },
      },
      handler: async ({ body }) => {
        const account = await signUp(ctx, body);
        const options = await registrationOptions(ctx.rp, account);
        const enrollmentToken = await ctx.challenges.createEnrollment(account.accountId, options.challenge);
        return { status: 201, body: { accountId: account.accountId, enrollmentToken, options } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/accounts/:accountId/passkeys',
      operationId: 'enrollFirstPasskey',
      summary: "Enroll the account's first passkey with its enrollment token; returns a session",
      tags: ['accounts'],
      errors: ['CHALLENGE_EXPIRED', 'REGISTRATION_FAILED', 'USER_NOT_VERIFIED', 'NOT_FOUND', 'CONFLICT'],
      auth: 'none',
      params: z.object({ accountId: uuidSchema }),
      body: z.object({ enrollmentToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/), response: registrationResponseSchema, label: passkeyLabelSchema.exactOptional() }),
      responses: { 201: { description: 'Passkey enrolled', schema: z.object({ passkeyId: base64UrlIdSchema, token: z.string() }) } },
      handler: async ({ params, body }) => {
        return { status: 201, body: await enrollFirstPasskey(ctx, { accountId: params.accountId, enrollmentToken: body.enrollmentToken, response: body.response, label: body.label }) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/sessions/options',
      operationId: 'startLogin',
      summary: 'Start a passkey login: a single-use challenge (UV required)',
      tags: ['sessions'],
      errors: [],
      auth: 'none',
      body: z.object({ email: emailSchema.optional().describe('Accepted for compatibility; it changes nothing in the answer') }),
      responses: { 200: { description: 'Login options', schema: z.object({ challengeId: uuidSchema, options: authenticationOptionsSchema }) } },
      handler: async () => {
        // Passkeys are discoverable (resident), so no account's credential ids are ever listed: the
        // answer is the same for every e-mail, known or not — no account enumeration.
        const options = await authenticationOptions(ctx.rp);
        const challengeId = await ctx.challenges.create('login', options.challenge, null);
        return { body: { challengeId, options } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/sessions',
      operationId: 'finishLogin',
      summary: 'Finish a passkey login; returns a short-lived session token',
      tags: ['sessions'],
      errors: ['CHALLENGE_EXPIRED', 'AUTHENTICATION_FAILED', 'USER_NOT_VERIFIED', 'COUNTER_REGRESSION', 'PASSKEY_DISABLED', 'CONFLICT'],
      auth: 'none',
      body: z.object({ challengeId: uuidSchema, response: authenticationResponseSchema }),
      responses: { 200: { description: 'Logged in', schema: z.object({ token: z.string(), accountId: uuidSchema }) } },
      handler: async ({ body }) => {
        return { body: await finishLogin(ctx, { challengeId: body.challengeId, response: body.response }) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/sessions/current',
      operationId: 'logOut',
      summary: 'Log out: the calling session token stops working at once (it would otherwise live until it expires)',
      tags: ['sessions'],
      errors: [],
      auth: 'session',
      allowDealer: true,
      responses: { 204: { description: 'Logged out' } },
      handler: async ({ caller }) => {
        const me = requireAccount(caller);
        await endSession(ctx, { sessionId: me.sessionId, expiresAt: me.sessionExpiresAt });
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/passkeys/options',
      operationId: 'startAddPasskey',
      summary: 'Start adding a passkey for another phone',
      tags: ['accounts'],
      errors: [],
      auth: 'session',
      allowDealer: true,
      body: z.object({}),
      responses: { 200: { description: 'Creation options', schema: z.object({ challengeId: uuidSchema, options: registrationOptionsSchema }) } },
      handler: async ({ caller }) => {
        const me = requireAccount(caller);
        const account = await ctx.accounts.find(me.accountId);
        if (!account) throw new DigitalKeyError('UNAUTHENTICATED');
        const options = await registrationOptions(ctx.rp, account);
        const challengeId = await ctx.challenges.create('add-passkey', options.challenge, account.accountId);
        return { body: { challengeId, options } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/passkeys',
      operationId: 'finishAddPasskey',
      summary: 'Finish adding a passkey for another phone',
      tags: ['accounts'],
      errors: ['CHALLENGE_EXPIRED', 'REGISTRATION_FAILED', 'USER_NOT_VERIFIED', 'CONFLICT'],
      auth: 'session',
      allowDealer: true,
      body: z.object({ challengeId: uuidSchema, response: registrationResponseSchema, label: passkeyLabelSchema.exactOptional() }),
      responses: { 201: { description: 'Passkey added', schema: z.object({ passkeyId: base64UrlIdSchema }) } },
      handler: async ({ caller, body }) => {
        const me = requireAccount(caller);
        return { status: 201, body: await finishAddPasskey(ctx, { accountId: me.accountId, challengeId: body.challengeId, response: body.response, label: body.label }) };
      },
    }),
  ];
}
