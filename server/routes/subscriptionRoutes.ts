/**
 * Subscriptions for the phone app (DESIGN.md §5; R1, R4b, R9, R10, R11): the plans and their prices,
 * starting a trial or a paid plan, the current subscription (state, period, next charge), cancelling
 * or withdrawing, auto-renewal and the payment ledger (ending Standard Services: standardServicesRoutes.ts). Main user only,
 * except the public price list. Every amount is integer cents with its currency.
 */
import { z } from 'zod';
import { vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { vinParams } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { monthsPerPeriod, priceCents } from '../subscriptions/billingTerms.js';
import { PLANS } from '../domain/subscriptionRecord.js';
import type { SubscriptionService } from '../subscriptions/subscriptionService.js';

const isoInstant = z.string().describe('ISO 8601 UTC instant');
const money = { amountCents: z.number().int(), currency: z.string() };
const cardRef = z.object({ cardId: z.string(), brand: z.string(), last4: z.string() });

/** The shape of `subscriptionView` (documentation of the contract; the view is built in subscriptionView.ts). */
const viewSchema = z.object({
  vin: vinSchema,
  state: z.enum(['none', 'pending-payment', 'trial', 'active', 'past-due', 'cancelled', 'ended']),
  keysAllowed: z.boolean(),
  trial: z.object({ available: z.boolean(), endsAt: isoInstant, used: z.boolean() }),
  subscription: z
    .object({
      subscriptionId: z.string(),
      plan: z.enum(PLANS),
      years: z.number().int().optional(),
      status: z.enum(['pending-payment', 'active', 'past-due', 'ended']),
      autoRenew: z.boolean(),
      createdAt: isoInstant,
      period: z.object({ start: isoInstant, end: isoInstant }),
      endsAt: isoInstant.nullable(),
      priceCents: z.number().int(),
      currency: z.string(),
      nextCharge: z.object({ at: isoInstant, ...money, description: z.string(), attempt: z.number().int(), card: cardRef.nullable() }).nullable(),
      next: z.object({ plan: z.enum(PLANS), years: z.number().int().optional(), startsAt: isoInstant, ...money }).optional(),
      retry: z.object({ failedAttempts: z.number().int(), attempts: z.number().int(), nextAttemptAt: isoInstant.nullable() }).optional(),
      lastCharge: z.object({ ...money, at: isoInstant, cardId: z.string(), brand: z.string(), last4: z.string() }).optional(),
      refundedCents: z.number().int(),
      withdrawalUntil: isoInstant.optional(),
      cancelledAt: isoInstant.optional(),
      cancelAt: isoInstant.optional(),
      endedAt: isoInstant.optional(),
      endReason: z.string().optional(),
    })
    .nullable(),
});

export function subscriptionRoutes(ctx: AppContext, subscriptions: SubscriptionService): RouteDefinition[] {
  const terms = subscriptions.terms;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/subscription-plans',
      operationId: 'listSubscriptionPlans',
      summary: 'The Smart Digital Key plans and their prices in cents, from configuration (R10)',
      tags: ['subscriptions'],
      errors: [],
      auth: 'none',
      responses: {
        200: {
          description: 'Plans',
          schema: z.object({ currency: z.string(), plans: z.array(z.object({ plan: z.enum(PLANS), priceCents: z.number().int(), per: z.string(), months: z.number().int().nullable() })), multiYear: z.object({ minYears: z.number().int(), maxYears: z.number().int() }) }),
        },
      },
      handler: async () => ({
        body: {
          currency: terms.currency,
          plans: [
            { plan: 'trial' as const, priceCents: 0, per: 'what is left of one year from the first registration', months: null },
            { plan: 'monthly' as const, priceCents: priceCents(terms, 'monthly'), per: 'month', months: monthsPerPeriod('monthly') },
            { plan: 'yearly' as const, priceCents: priceCents(terms, 'yearly'), per: 'year', months: monthsPerPeriod('yearly') },
            { plan: 'multi-year' as const, priceCents: terms.prices.multiYearPerYear, per: 'year, paid for every year of the plan up front', months: 12 },
          ],
          multiYear: { minYears: 2, maxYears: terms.multiYearMaxYears },
        },
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/vehicles/:vin/subscriptions',
      operationId: 'startSubscription',
      summary: 'Start the trial (R9) or a paid plan, paid in advance with the primary card (R10); during a trial, choose the paid plan that follows it. Main user only, Standard Services active (R1)',
      tags: ['subscriptions'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'STANDARD_SERVICES_INACTIVE', 'SUBSCRIPTION_EXISTS', 'TRIAL_UNAVAILABLE', 'PAYMENT_METHOD_REQUIRED', 'PAYMENT_FAILED', 'CONFLICT'],
      auth: 'session',
      params: vinParams,
      body: z.object({ plan: z.enum(PLANS), years: z.number().int().min(2).max(10).optional() }),
      responses: {
        201: { description: 'Started (trial or paid and charged), or queued after the running trial', schema: viewSchema.extend({ started: z.enum(['trial', 'pending', 'queued']) }) },
        202: { description: 'Paid plan created; the payment provider did not answer yet, the charge is settled shortly', schema: viewSchema.extend({ started: z.literal('pending') }) },
      },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        const { view, started } = await subscriptions.start({ vin: params.vin, accountId: me.accountId, plan: body.plan, ...(body.years !== undefined ? { years: body.years } : {}) });
        return { status: view.state === 'pending-payment' ? 202 : 201, body: { ...view, started } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/vehicles/:vin/subscriptions/current',
      operationId: 'getSubscription',
      summary: "The main user's subscription of the vehicle: state, period, next charge, amounts; and the vehicle's trial",
      tags: ['subscriptions'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER'],
      auth: 'session',
      params: vinParams,
      responses: { 200: { description: 'The subscription', schema: viewSchema } },
      handler: async ({ caller, params }) => ({ body: await subscriptions.view({ vin: params.vin, accountId: requireAccount(caller).accountId }) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/vehicles/:vin/subscriptions/current',
      operationId: 'cancelSubscription',
      summary: 'Cancel (monthly: at the end of the cycle; yearly, multi-year: at the end of the subscription month, unused whole months refunded) or withdraw within 14 days (refund but the days used) — R11; an end wipes every key (R4b)',
      tags: ['subscriptions'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'SUBSCRIPTION_INACTIVE', 'WITHDRAWAL_UNAVAILABLE', 'CONFLICT'],
      auth: 'session',
      params: vinParams,
      body: z.object({ mode: z.enum(['cancel', 'withdraw']).default('cancel') }),
      responses: {
        200: {
          description: 'Cancelled or withdrawn',
          schema: viewSchema.extend({
            effectiveAt: isoInstant,
            immediate: z.boolean(),
            refund: z.object({ ...money, cardId: z.string(), brand: z.string(), last4: z.string(), basis: z.string() }).nullable(),
            keysWiped: z.boolean(),
          }),
        },
      },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        const { view, outcome, keysWiped } = await subscriptions.cancel({ vin: params.vin, accountId: me.accountId, mode: body.mode });
        const paid = view.subscription?.lastCharge;
        return {
          body: {
            ...view,
            effectiveAt: new Date(outcome.endsAt).toISOString(),
            immediate: outcome.immediate,
            refund: outcome.refundCents > 0 && paid ? { amountCents: outcome.refundCents, currency: paid.currency, cardId: paid.cardId, brand: paid.brand, last4: paid.last4, basis: outcome.basis } : null,
            keysWiped,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/vehicles/:vin/subscriptions/current/cancellation',
      operationId: 'quoteSubscriptionCancellation',
      summary: 'What cancelling or withdrawing would do now — when it ends, whether keys end now, the refund — without doing it (R11); main user only',
      tags: ['subscriptions'],
      auth: 'session',
      params: vinParams,
      query: z.object({ mode: z.enum(['cancel', 'withdraw']).default('cancel') }),
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'SUBSCRIPTION_INACTIVE', 'WITHDRAWAL_UNAVAILABLE'],
      responses: {
        200: {
          description: 'The quote',
          schema: z.object({ mode: z.enum(['cancel', 'withdraw']), effectiveAt: isoInstant, immediate: z.boolean(), refund: z.object(money).nullable(), basis: z.string() }),
        },
      },
      handler: async ({ caller, params, query }) => {
        const { outcome, currency } = await subscriptions.quoteCancellation({ vin: params.vin, accountId: requireAccount(caller).accountId, mode: query.mode });
        return {
          body: {
            mode: query.mode,
            effectiveAt: new Date(outcome.endsAt).toISOString(),
            immediate: outcome.immediate,
            refund: outcome.refundCents > 0 ? { amountCents: outcome.refundCents, currency } : null,
            basis: outcome.basis,
          },
        };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/vehicles/:vin/subscriptions/current/auto-renew',
      operationId: 'setAutoRenew',
      summary: 'Turn auto-renewal off (the subscription ends at the end of its period, no refund) or on again (R10)',
      tags: ['subscriptions'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'SUBSCRIPTION_INACTIVE', 'CONFLICT'],
      auth: 'session',
      params: vinParams,
      body: z.object({ autoRenew: z.boolean() }),
      responses: { 200: { description: 'The subscription', schema: viewSchema } },
      handler: async ({ caller, params, body }) => ({ body: await subscriptions.setAutoRenew({ vin: params.vin, accountId: requireAccount(caller).accountId, autoRenew: body.autoRenew }) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/vehicles/:vin/subscriptions/payments',
      operationId: 'listPayments',
      summary: "The caller's payment ledger for the vehicle: every charge attempt and refund, in cents (R10, R11)",
      tags: ['subscriptions'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER'],
      auth: 'session',
      params: vinParams,
      responses: {
        200: {
          description: 'Ledger, oldest first',
          schema: z.object({
            payments: z.array(
              z.object({
                id: z.string(),
                at: isoInstant,
                subscriptionId: z.string(),
                kind: z.enum(['charge', 'refund']),
                status: z.enum(['succeeded', 'declined', 'failed']),
                ...money,
                description: z.string(),
                cardId: z.string().nullable(),
                last4: z.string().nullable(),
                reference: z.string().optional(),
                failure: z.string().optional(),
              }),
            ),
          }),
        },
      },
      handler: async ({ caller, params }) => ({ body: { payments: await subscriptions.payments({ vin: params.vin, accountId: requireAccount(caller).accountId }) } }),
    }),
  ];
}
