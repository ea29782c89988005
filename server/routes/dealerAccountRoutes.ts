/**
 * The dealer's side of account recovery (R15): find a customer's account by e-mail, issue a
 * one-time recovery code (shown once), send a recovery link to the customer's verified address,
 * and read the account's recovery audit trail. Dealer role only.
 */
import { z } from 'zod';
import { uuidSchema } from '../../shared/ids.js';
import { accountAuditEntrySchema, readAccountAudit } from '../accounts/accountAudit.js';
import { passkeyView, passkeyViewSchema, passkeysOf } from '../accounts/profileView.js';
import type { AppContext } from '../appContext.js';
import { emailSchema } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { issueRecoveryCode } from '../recovery/issueRecoveryCode.js';
import { sendRecoveryEmailForCustomer } from '../recovery/sendRecoveryEmail.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';

const reason = z.string().trim().min(3).max(500);
const accountParams = z.object({ accountId: uuidSchema });

const dealerAccountViewSchema = z.object({
  accountId: uuidSchema,
  email: z.string(),
  emailVerified: z.boolean(),
  displayName: z.string(),
  createdAt: z.number().int(),
  passkeys: z.array(passkeyViewSchema),
});

export function dealerAccountRoutes(ctx: AppContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/dealer/accounts',
      operationId: 'dealerFindAccount',
      summary: 'Find the account an e-mail address belongs to (0 or 1), with its passkeys (R15)',
      tags: ['dealer'],
      errors: [],
      auth: 'dealer',
      query: z.object({ email: emailSchema }).strict(),
      responses: { 200: { description: 'Matching accounts', schema: z.object({ accounts: z.array(dealerAccountViewSchema) }) } },
      handler: async ({ query }) => {
        const ownerId = await ctx.accounts.ownerOfEmail(query.email);
        const account = ownerId === null ? null : await ctx.accounts.find(ownerId);
        if (!account || account.closedAt !== undefined) return { body: { accounts: [] } };
        const passkeys = (await passkeysOf(ctx, account)).map((p) => passkeyView(p, null));
        const { accountId, email, displayName, createdAt } = account;
        return { body: { accounts: [{ accountId, email, emailVerified: account.emailVerified === true, displayName, createdAt, passkeys }] } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/dealer/accounts/:accountId/recovery-codes',
      operationId: 'dealerIssueRecoveryCode',
      summary: 'Issue a one-time recovery code for the account after checking the person’s identity: shown once, at most 24 h, audited; the previous code stops working (R15)',
      tags: ['dealer'],
      errors: ['NOT_FOUND'],
      auth: 'dealer',
      params: accountParams,
      body: z.object({ reason }).strict(),
      responses: { 201: { description: 'The code (shown once)', schema: z.object({ code: z.string(), expiresAt: z.number().int() }) } },
      handler: async ({ caller, params, body }) => ({
        status: 201,
        body: await issueRecoveryCode(ctx, { accountId: params.accountId, dealer: requireAccount(caller).accountId, reason: body.reason }),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/dealer/accounts/:accountId/recovery-emails',
      operationId: 'dealerSendRecoveryEmail',
      summary: "Send a recovery link to the customer's verified address, audited (R15)",
      tags: ['dealer'],
      errors: ['NOT_FOUND', 'EMAIL_NOT_VERIFIED'],
      auth: 'dealer',
      params: accountParams,
      body: z.object({ reason }).strict(),
      responses: { 202: { description: 'Sent', schema: z.object({}) } },
      handler: async ({ caller, params, body }) => {
        await sendRecoveryEmailForCustomer(ctx, { accountId: params.accountId, dealer: requireAccount(caller).accountId, reason: body.reason });
        return { status: 202, body: {} };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/dealer/accounts/:accountId/audit',
      operationId: 'dealerAccountAudit',
      summary: "An account's recovery and closure audit trail, newest last",
      tags: ['dealer'],
      errors: ['NOT_FOUND'],
      auth: 'dealer',
      params: accountParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict(),
      responses: { 200: { description: 'Audit entries', schema: z.object({ entries: z.array(accountAuditEntrySchema) }) } },
      handler: async ({ params, query }) => {
        if (!(await ctx.accounts.find(params.accountId))) throw new DigitalKeyError('NOT_FOUND', 'no such account');
        return { body: { entries: await readAccountAudit(ctx, params.accountId, query.limit) } };
      },
    }),
  ];
}
