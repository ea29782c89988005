/**
 * The stored state of a vehicle's Smart Digital Key subscription (R9, R10, R11). It lives in the
 * vehicle document (`VehicleRecord.subscriptions`), so every change to it — and a subscription
 * ending together with the wipe of every key (R4b) — is one atomic commit with the vehicle.
 * Money is integer cents; instants are milliseconds since the epoch (UTC).
 */
import type { AccountId } from '../../shared/ids.js';

export const PLANS = ['trial', 'monthly', 'yearly', 'multi-year'] as const;
export type Plan = (typeof PLANS)[number];
export type PaidPlan = Exclude<Plan, 'trial'>;

/**
 * `pending-payment`: created, its first charge not settled yet (no keys). `active`: in a trial or
 * paid period. `past-due`: the renewal charge failed and is being retried (R10); keys keep working
 * meanwhile. `ended`: over, for the reason in `endReason`.
 */
export type SubscriptionStatus = 'pending-payment' | 'active' | 'past-due' | 'ended';

export type EndReason =
  | 'trial-over'
  | 'not-renewed'
  | 'cancelled'
  | 'withdrawn'
  | 'payment-failed'
  | 'initial-payment-failed'
  | 'standard-services-ended'
  | 'main-user-changed'
  | 'vehicle-removed';

/** A successful charge: what paid the current period (refunds go back to it, R11). */
export interface ChargeRecord {
  chargeId: string;
  amountCents: number;
  currency: string;
  cardId: string;
  brand: string;
  last4: string;
  at: number;
}

/**
 * A charge being made. It is committed before the gateway is called, so whoever resumes it after a
 * crash sends the same request with the same idempotency key (`key`: subscription, period and
 * attempt) and the gateway never charges twice; the result is applied only while the intent is
 * still the current one.
 */
export interface ChargeIntent {
  key: string;
  purpose: 'first' | 'renewal' | 'conversion';
  /** The payer and the subscription the charge is for: a late answer's refund goes to them, whoever holds the vehicle by then. */
  accountId: AccountId;
  subscriptionId: string;
  amountCents: number;
  currency: string;
  /** The payer's primary card when the intent was made (R10: only the primary card is charged); null if they had none. */
  card: { cardId: string; token: string; brand: string; last4: string } | null;
  /** What the charge pays for, e.g. "yearly period 2". */
  description: string;
  startedAt: number;
  /** Gateway calls for this intent that got no answer so far (outcome unknown). */
  unanswered?: number;
  /** When an unanswered intent is resumed next (a growing backoff); absent: `startedAt` + CHARGE_RESUME_MS. */
  resumeAt?: number;
}

export interface Subscription {
  subscriptionId: string;
  /** The payer: the main user who started it. It is not transferable (a new main user starts their own). */
  accountId: AccountId;
  plan: Plan;
  /** Whole years of a multi-year plan. */
  years?: number;
  status: SubscriptionStatus;
  /** When the contract was made (the withdrawal period counts from the day after, R11). */
  createdAt: number;
  /** The billing anchor: subscription months and periods count from here (billingCalendar.ts). */
  anchor: number;
  periodStart: number;
  periodEnd: number;
  /** Paid periods so far; the next charge is for period `periodsPaid + 1`. */
  periodsPaid: number;
  /** R10: renew at the period's end (on by default). For a trial, convert to `next` at its end. */
  autoRenew: boolean;
  /** A paid plan chosen during a trial, starting (and charged) when the trial ends. */
  next?: { plan: PaidPlan; years?: number; requestedAt: number };
  /** Failed charges for the period due at `periodEnd` (R10: three attempts in all). */
  failedAttempts: number;
  /** When the next charge attempt is due: a retry (past-due), or the recovery of a pending first charge. */
  retryAt?: number;
  /** A charge being made (see ChargeIntent). */
  charging?: ChargeIntent;
  /** R11: when a cancellation takes effect. */
  cancelAt?: number;
  cancelledAt?: number;
  /** R11: a withdrawal is possible before this instant (14 days from the day after the contract). */
  withdrawalUntil?: number;
  /** The charge that paid the current period. */
  lastCharge?: ChargeRecord;
  /** Refunded of `lastCharge` so far (a withdrawal after a cancellation refunds only the rest). */
  refundedCents: number;
  endedAt?: number;
  endReason?: EndReason;
}

/** A message for a user, delivered through the outbox once the change that made it committed. */
export interface NoticeEffect {
  kind: 'notify';
  id: string;
  at: number;
  accountId: AccountId;
  notice: { kind: string; subject: string; body: string; data: Record<string, unknown> };
}

/** A refund to issue on the charge that paid (R11); its id is the gateway's idempotency key. */
export interface RefundEffect {
  kind: 'refund';
  id: string;
  at: number;
  accountId: AccountId;
  subscriptionId: string;
  charge: ChargeRecord;
  amountCents: number;
  /** Gateway attempts that failed so far (it is retried by the scheduler). */
  attempts: number;
}

/**
 * A charge whose outcome is unknown and that is no longer wanted (the subscription ended while it
 * was under way, or the attempt was counted as failed): the same request is sent again with the
 * same idempotency key, so the provider answers what it did the first time, and money it took is
 * refunded in full to the payer. Its id derives from the intent's key, so it exists once.
 */
export interface ReconcileEffect {
  kind: 'reconcile';
  id: string;
  at: number;
  intent: ChargeIntent & { card: NonNullable<ChargeIntent['card']> };
  /** Gateway attempts that got no answer so far (it is retried by the scheduler). */
  attempts: number;
}

/** An entry to append to the vehicle's payment ledger. */
export interface LedgerEffect {
  kind: 'ledger';
  id: string;
  at: number;
  entry: PaymentEntry;
}

/**
 * Work a committed change left to do outside the vehicle's commit (other hash tags, the payment
 * gateway). Each is idempotent by its id, so the scheduler can redo it after a crash.
 */
export type BillingEffect = NoticeEffect | RefundEffect | ReconcileEffect | LedgerEffect;

/** One line of the payment ledger (`GET …/subscriptions/payments`): every amount, charged or refunded. */
export interface PaymentEntry {
  id: string;
  at: number;
  accountId: AccountId;
  subscriptionId: string;
  kind: 'charge' | 'refund';
  status: 'succeeded' | 'declined' | 'failed';
  amountCents: number;
  currency: string;
  /** What it paid for, e.g. "yearly period 2" or "withdrawal". */
  description: string;
  cardId: string | null;
  last4: string | null;
  /** The gateway's charge or refund id, when it succeeded. */
  reference?: string;
  /** Why a charge failed (the gateway's decline code). */
  failure?: string;
}

/** Everything about a vehicle's subscriptions, kept in its document. */
export interface VehicleSubscriptions {
  current: Subscription | null;
  /** R9: the trial was given up (cancelled) or ran out; the vehicle never gets it again. */
  trialUsed: boolean;
  /** Follow-up work of committed changes (refunds, ledger lines, notices). */
  effects: BillingEffect[];
}

export const NO_SUBSCRIPTIONS: VehicleSubscriptions = { current: null, trialUsed: false, effects: [] };
