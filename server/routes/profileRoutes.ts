/**
 * Mijn Profiel (issue 8): the account's profile (display name, language, time zone, e-mail change
 * verified again), e-mail verification, its passkeys (label, last used, remove), and closing the
 * account. Routes translate HTTP; the operations in accounts/ decide.
 */
import { z } from 'zod';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { base64UrlIdSchema, vinSchema } from '../../shared/ids.js';
import { LANGUAGES } from '../accounts/accountRecord.js';
import { closeAccount } from '../accounts/closeAccount.js';
import { emailTokenSchema } from '../accounts/emailLinks.js';
import { sendEmailVerification, verifyEmail } from '../accounts/emailVerification.js';
import { passkeyView, passkeyViewSchema, passkeysOf, profileSchema, profileView } from '../accounts/profileView.js';
import { removePasskey } from '../accounts/removePasskey.js';
import { updateProfile } from '../accounts/updateProfile.js';
import type { AppContext } from '../appContext.js';
import { emailSchema, passkeyLabelSchema } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import type { SubscriptionGate } from '../subscriptions/subscriptionGate.js';

/** An IANA time zone name this runtime knows. */
const timeZoneSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/, 'an IANA time zone name such as Europe/Brussels')
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone name such as Europe/Brussels');

const passkeyParams = z.object({ passkeyId: base64UrlIdSchema });

export function profileRoutes(ctx: AppContext, services: { gate: SubscriptionGate }): RouteDefinition[] {
  const myAccount = async (accountId: string) => {
    const account = await ctx.accounts.find(accountId);
    if (!account) throw new DigitalKeyError('UNAUTHENTICATED');
    return account;
  };
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me',
      operationId: 'getMe',
      summary: 'The calling account: profile, whether its address is verified, and its passkeys',
      tags: ['accounts'],
      errors: [],
      auth: 'session',
      allowDealer: true,
      responses: { 200: { description: 'The account', schema: profileSchema } },
      handler: async ({ caller }) => {
        const me = requireAccount(caller);
        return { body: await profileView(ctx, await myAccount(me.accountId), me.passkeyId) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/me',
      operationId: 'updateProfile',
      summary: 'Change the profile: display name, language, time zone; a new e-mail address stays pending until the link sent to it is used',
      tags: ['accounts'],
      errors: ['CONFLICT'],
      auth: 'session',
      allowDealer: true,
      body: z
        .object({ displayName: z.string().trim().min(1).max(100).exactOptional(), language: z.enum(LANGUAGES).exactOptional(), timeZone: timeZoneSchema.exactOptional(), email: emailSchema.exactOptional() })
        .strict()
        .refine((b) => Object.keys(b).length > 0, 'change at least one field'),
      responses: { 200: { description: 'The changed profile', schema: profileSchema } },
      handler: async ({ caller, body }) => {
        const me = requireAccount(caller);
        const account = await updateProfile(ctx, { accountId: me.accountId, change: body });
        return { body: await profileView(ctx, account, me.passkeyId) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/email-verifications',
      operationId: 'resendEmailVerification',
      summary: 'Send the verification link again, for the unverified address or the pending new one',
      tags: ['accounts'],
      errors: [],
      auth: 'session',
      allowDealer: true,
      body: z.object({}).strict(),
      responses: { 202: { description: 'Sent if there is an address to verify', schema: z.object({}) } },
      handler: async ({ caller }) => {
        await sendEmailVerification(ctx, requireAccount(caller).accountId);
        return { status: 202, body: {} };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/email-verifications',
      operationId: 'verifyEmail',
      summary: 'Use an e-mail verification link (single use; the token is the authority)',
      tags: ['accounts'],
      errors: ['VERIFICATION_INVALID', 'CONFLICT'],
      auth: 'none',
      body: z.object({ token: emailTokenSchema }).strict(),
      responses: { 200: { description: 'Verified', schema: z.object({ email: z.string(), emailVerified: z.literal(true) }) } },
      handler: async ({ body }) => {
        const { email } = await verifyEmail(ctx, body.token);
        return { body: { email, emailVerified: true as const } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/me',
      operationId: 'closeAccount',
      summary: 'Close the account: R4a for every vehicle it is main user of, its other keys revoked, passkeys disabled, personal data erased (audit trails keep the account id)',
      tags: ['accounts'],
      errors: ['CONFLICT'],
      auth: 'session',
      body: z.object({ confirm: z.literal(true) }).strict(),
      responses: { 200: { description: 'Closed', schema: z.object({ closed: z.literal(true), vehicles: z.array(vinSchema), revokedKeyIds: z.array(z.string()) }) } },
      handler: async ({ caller }) => {
        const closed = await closeAccount(ctx, services.gate, { accountId: requireAccount(caller).accountId });
        return { body: { closed: true as const, ...closed } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/me/passkeys',
      operationId: 'listPasskeys',
      summary: "The account's passkeys: label, added on, last used, disabled",
      tags: ['accounts'],
      errors: [],
      auth: 'session',
      allowDealer: true,
      responses: { 200: { description: 'Passkeys', schema: z.object({ passkeys: z.array(passkeyViewSchema) }) } },
      handler: async ({ caller }) => {
        const me = requireAccount(caller);
        const passkeys = await passkeysOf(ctx, await myAccount(me.accountId));
        return { body: { passkeys: passkeys.map((p) => passkeyView(p, me.passkeyId)) } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/me/passkeys/:passkeyId',
      operationId: 'renamePasskey',
      summary: 'Name a passkey ("Pixel 8")',
      tags: ['accounts'],
      errors: ['PASSKEY_NOT_FOUND', 'CONFLICT'],
      auth: 'session',
      allowDealer: true,
      params: passkeyParams,
      body: z.object({ label: passkeyLabelSchema }).strict(),
      responses: { 200: { description: 'The passkey', schema: passkeyViewSchema } },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        await ctx.accounts.activePasskeyOf(me.accountId, params.passkeyId).catch((err: unknown) => {
          if (err instanceof DigitalKeyError && err.code === 'PASSKEY_DISABLED') return;
          throw err;
        });
        const passkey = await ctx.accounts.updatePasskey(params.passkeyId, (p) => ({ ...p, label: body.label }));
        return { body: passkeyView(passkey, me.passkeyId) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/me/passkeys/:passkeyId',
      operationId: 'removePasskey',
      summary: 'Remove a passkey: it is disabled for good and its keys on every vehicle are revoked, as R6 does (not the only working passkey)',
      tags: ['accounts'],
      errors: ['PASSKEY_NOT_FOUND', 'LAST_PASSKEY', 'CONFLICT'],
      auth: 'session',
      allowDealer: true,
      params: passkeyParams,
      responses: { 200: { description: 'Removed', schema: z.object({ passkeyId: base64UrlIdSchema, revokedKeyIds: z.array(z.string()) }) } },
      handler: async ({ caller, params }) => {
        const me = requireAccount(caller);
        return { body: await removePasskey(ctx, { accountId: me.accountId, passkeyId: params.passkeyId }) };
      },
    }),
  ];
}
