/**
 * The stored state of a vehicle's Smart Digital Key subscription (R9, R10, R11). It lives in the
 * vehicle document (`VehicleRecord.subscriptions`), so every change to it — and a subscription
 * ending together with the wipe of every key (R4b) — is one atomic commit with the vehicle.
 * Money is integer cents; instants are milliseconds since the epoch (UTC).
 *
 * A subscription is a union on `status` whose variants carry exactly their fields: only a
 * `past-due` one has a `retryAt`, only an `ended` one has `endedAt` and `endReason`, a charge can be
 * under way only before the end, and only a running one (`active`, `past-due`) can have a paid plan
 * queued after its trial. The zod schemas are the definitions (every read parses with them); the
 * types are inferred from them.
 */
import { z } from 'zod';

export const PLANS = ['trial', 'monthly', 'yearly', 'multi-year'] as const;
export const planSchema = z.enum(PLANS);
export type Plan = z.infer<typeof planSchema>;
export const paidPlanSchema = z.enum(['monthly', 'yearly', 'multi-year']);
export type PaidPlan = z.infer<typeof paidPlanSchema>;

export const END_REASONS = [
  'trial-over',
  'not-renewed',
  'cancelled',
  'withdrawn',
  'payment-failed',
  'initial-payment-failed',
  'standard-services-ended',
  'main-user-changed',
  'vehicle-removed',
] as const;
export const endReasonSchema = z.enum(END_REASONS);
export type EndReason = z.infer<typeof endReasonSchema>;

/** A successful charge: what paid the current period (refunds go back to it, R11). */
export const chargeRecordSchema = z.object({
  chargeId: z.string(),
  amountCents: z.number().int(),
  currency: z.string(),
  cardId: z.string(),
  brand: z.string(),
  last4: z.string(),
  at: z.number(),
});
export type ChargeRecord = z.infer<typeof chargeRecordSchema>;

const chargeCardSchema = z.object({ cardId: z.string(), token: z.string(), brand: z.string(), last4: z.string() });

/**
 * A charge being made. It is committed before the gateway is called, so whoever resumes it after a
 * crash sends the same request with the same idempotency key (`key`: subscription, period and
 * attempt) and the gateway never charges twice; the result is applied only while the intent is
 * still the current one.
 */
export const chargeIntentSchema = z.object({
  key: z.string(),
  purpose: z.enum(['first', 'renewal', 'conversion']),
  /** The payer and the subscription the charge is for: a late answer's refund goes to them, whoever holds the vehicle by then. */
  accountId: z.string(),
  subscriptionId: z.string(),
  amountCents: z.number().int(),
  currency: z.string(),
  /** The payer's primary card when the intent was made (R10: only the primary card is charged); null if they had none. */
  card: chargeCardSchema.nullable(),
  /** What the charge pays for, e.g. "yearly period 2". */
  description: z.string(),
  startedAt: z.number(),
  /** Gateway calls for this intent that got no answer so far (outcome unknown). */
  unanswered: z.number().int().optional(),
  /** When an unanswered intent is resumed next (a growing backoff); absent: `startedAt` + CHARGE_RESUME_MS. */
  resumeAt: z.number().optional(),
});
export type ChargeIntent = z.infer<typeof chargeIntentSchema>;

/** A paid plan chosen during a trial, starting (and charged) when the trial ends. */
export const queuedPlanSchema = z.object({ plan: paidPlanSchema, years: z.number().int().optional(), requestedAt: z.number() });
export type QueuedPlan = z.infer<typeof queuedPlanSchema>;

/** What every subscription has, whatever its status. */
const subscriptionFields = {
  subscriptionId: z.string(),
  /** The payer: the main user who started it. It is not transferable (a new main user starts their own). */
  accountId: z.string(),
  plan: planSchema,
  /** Whole years of a multi-year plan. */
  years: z.number().int().optional(),
  /** When the contract was made (the withdrawal period counts from the day after, R11). */
  createdAt: z.number(),
  /** The billing anchor: subscription months and periods count from here (billingCalendar.ts). */
  anchor: z.number(),
  periodStart: z.number(),
  periodEnd: z.number(),
  /** Paid periods so far; the next charge is for period `periodsPaid + 1`. */
  periodsPaid: z.number().int(),
  /** R10: renew at the period's end (on by default). For a trial, convert to `next` at its end. */
  autoRenew: z.boolean(),
  /** Failed charges for the period due at `periodEnd` (R10: three attempts in all). */
  failedAttempts: z.number().int(),
  /** R11: a withdrawal is possible before this instant (14 days from the day after the contract). */
  withdrawalUntil: z.number().optional(),
  /** The charge that paid the current period. */
  lastCharge: chargeRecordSchema.optional(),
  /** Refunded of `lastCharge` so far (a withdrawal after a cancellation refunds only the rest). */
  refundedCents: z.number().int(),
};

/** What every subscription has, whatever its status. */
export const subscriptionBaseSchema = z.object(subscriptionFields);
export type SubscriptionBase = z.infer<typeof subscriptionBaseSchema>;

/** The fields a subscription keeps whatever its status becomes (its status and the status's own fields left out). */
export function subscriptionBase(sub: Subscription): SubscriptionBase {
  return subscriptionBaseSchema.parse(sub);
}

/** The charge under way on a subscription (none once it has ended). */
export function chargeUnderWay(sub: Subscription | null | undefined): ChargeIntent | undefined {
  return sub && sub.status !== 'ended' ? sub.charging : undefined;
}

/** R11: a cancellation that takes effect later (both set together). */
const cancellationFields = {
  /** When the cancellation takes effect. */
  cancelAt: z.number().optional(),
  /** When the main user cancelled. */
  cancelledAt: z.number().optional(),
};

/** Created, its first charge not settled yet: no keys. */
export const pendingSubscriptionSchema = z.object({
  ...subscriptionFields,
  status: z.literal('pending-payment'),
  /** The first charge (see ChargeIntent); absent only once its answer is being applied. */
  charging: chargeIntentSchema.optional(),
});

/** In a trial or paid period. */
export const activeSubscriptionSchema = z.object({
  ...subscriptionFields,
  ...cancellationFields,
  status: z.literal('active'),
  next: queuedPlanSchema.optional(),
  /** A renewal or a trial's conversion being charged (see ChargeIntent). */
  charging: chargeIntentSchema.optional(),
});

/** The renewal charge failed and is being retried (R10); keys keep working meanwhile. */
export const pastDueSubscriptionSchema = z.object({
  ...subscriptionFields,
  status: z.literal('past-due'),
  next: queuedPlanSchema.optional(),
  /** When the next charge attempt is due. */
  retryAt: z.number(),
  charging: chargeIntentSchema.optional(),
});

/** Over, for the reason in `endReason`. */
export const endedSubscriptionSchema = z.object({
  ...subscriptionFields,
  ...cancellationFields,
  status: z.literal('ended'),
  endedAt: z.number(),
  endReason: endReasonSchema,
});

export const subscriptionSchema = z.discriminatedUnion('status', [pendingSubscriptionSchema, activeSubscriptionSchema, pastDueSubscriptionSchema, endedSubscriptionSchema]);
export type Subscription = z.infer<typeof subscriptionSchema>;
export type PendingSubscription = z.infer<typeof pendingSubscriptionSchema>;
export type ActiveSubscription = z.infer<typeof activeSubscriptionSchema>;
export type PastDueSubscription = z.infer<typeof pastDueSubscriptionSchema>;
export type EndedSubscription = z.infer<typeof endedSubscriptionSchema>;
/** Started and not ended: a trial or paid period runs (also while a renewal is retried). */
export type LiveSubscription = ActiveSubscription | PastDueSubscription;
/**
 * `pending-payment`: created, its first charge not settled yet (no keys). `active`: in a trial or
 * paid period. `past-due`: the renewal charge failed and is being retried (R10); keys keep working
 * meanwhile. `ended`: over, for the reason in `endReason`.
 */
export type SubscriptionStatus = Subscription['status'];

/** One line of the payment ledger (`GET …/subscriptions/payments`): every amount, charged or refunded. */
export const paymentEntrySchema = z.object({
  id: z.string(),
  at: z.number(),
  accountId: z.string(),
  subscriptionId: z.string(),
  kind: z.enum(['charge', 'refund']),
  status: z.enum(['succeeded', 'declined', 'failed']),
  amountCents: z.number().int(),
  currency: z.string(),
  /** What it paid for, e.g. "yearly period 2" or "withdrawal". */
  description: z.string(),
  cardId: z.string().nullable(),
  last4: z.string().nullable(),
  /** The gateway's charge or refund id, when it succeeded. */
  reference: z.string().optional(),
  /** Why a charge failed (the gateway's decline code). */
  failure: z.string().optional(),
});
export type PaymentEntry = z.infer<typeof paymentEntrySchema>;

/** A message for a user, delivered through the outbox once the change that made it committed. */
export const noticeEffectSchema = z.object({
  kind: z.literal('notify'),
  id: z.string(),
  at: z.number(),
  accountId: z.string(),
  notice: z.object({ kind: z.string(), subject: z.string(), body: z.string(), data: z.record(z.string(), z.unknown()) }),
});
export type NoticeEffect = z.infer<typeof noticeEffectSchema>;

/** A refund to issue on the charge that paid (R11); its id is the gateway's idempotency key. */
export const refundEffectSchema = z.object({
  kind: z.literal('refund'),
  id: z.string(),
  at: z.number(),
  accountId: z.string(),
  subscriptionId: z.string(),
  charge: chargeRecordSchema,
  amountCents: z.number().int(),
  /** Gateway attempts that failed so far (it is retried by the scheduler). */
  attempts: z.number().int(),
});
export type RefundEffect = z.infer<typeof refundEffectSchema>;

/**
 * A charge whose outcome is unknown and that is no longer wanted (the subscription ended while it
 * was under way, or the attempt was counted as failed): the same request is sent again with the
 * same idempotency key, so the provider answers what it did the first time, and money it took is
 * refunded in full to the payer. Its id derives from the intent's key, so it exists once.
 */
export const reconcileEffectSchema = z.object({
  kind: z.literal('reconcile'),
  id: z.string(),
  at: z.number(),
  intent: chargeIntentSchema.extend({ card: chargeCardSchema }),
  /** Gateway attempts that got no answer so far (it is retried by the scheduler). */
  attempts: z.number().int(),
});
export type ReconcileEffect = z.infer<typeof reconcileEffectSchema>;

/** An entry to append to the vehicle's payment ledger. */
export const ledgerEffectSchema = z.object({ kind: z.literal('ledger'), id: z.string(), at: z.number(), entry: paymentEntrySchema });
export type LedgerEffect = z.infer<typeof ledgerEffectSchema>;

/**
 * Work a committed change left to do outside the vehicle's commit (other hash tags, the payment
 * gateway). Each is idempotent by its id, so the scheduler can redo it after a crash.
 */
export const billingEffectSchema = z.discriminatedUnion('kind', [noticeEffectSchema, refundEffectSchema, reconcileEffectSchema, ledgerEffectSchema]);
export type BillingEffect = z.infer<typeof billingEffectSchema>;

/** Everything about a vehicle's subscriptions, kept in its document. */
export const vehicleSubscriptionsSchema = z.object({
  current: subscriptionSchema.nullable(),
  /** R9: the trial was given up (cancelled) or ran out; the vehicle never gets it again. */
  trialUsed: z.boolean(),
  /** Follow-up work of committed changes (refunds, ledger lines, notices). */
  effects: z.array(billingEffectSchema),
});
export type VehicleSubscriptions = z.infer<typeof vehicleSubscriptionsSchema>;

export const NO_SUBSCRIPTIONS: VehicleSubscriptions = { current: null, trialUsed: false, effects: [] };

/** `effects` with `added` appended, leaving out any whose id is already there. */
export function withEffects(effects: BillingEffect[], added: Array<BillingEffect | null>): BillingEffect[] {
  const ids = new Set(effects.map((e) => e.id));
  const out = [...effects];
  for (const e of added) {
    if (e && !ids.has(e.id)) {
      ids.add(e.id);
      out.push(e);
    }
  }
  return out;
}
