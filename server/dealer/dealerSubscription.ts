/**
 * The vehicle's subscription as a dealer may see it, read-only (issue 9 §2): state, plan, trial days
 * left, renewal date, auto-renew and the outcome of the last payment. Derived from the main user's
 * own view (subscriptionView) and the vehicle's payment ledger; no card, no amounts owed.
 */
import { z } from 'zod';
import type { AppContext } from '../appContext.js';
import { planSchema } from '../domain/subscriptionRecord.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { billingTermsFromConfig } from '../subscriptions/billingTerms.js';
import { PaymentLedger } from '../subscriptions/paymentLedger.js';
import { subscriptionView } from '../subscriptions/subscriptionView.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const dealerSubscriptionSchema = z.object({
  state: z.enum(['none', 'pending-payment', 'trial', 'active', 'past-due', 'cancelled', 'ended']),
  plan: planSchema.nullable(),
  /** Whole years of a multi-year plan, else null. */
  years: z.number().int().nullable(),
  trialDaysLeft: z.number().int().nullable().describe('whole days left of a running trial (rounded up), else null'),
  /** When the subscription renews (the next charge), null when it does not. */
  renewsAt: z.string().nullable(),
  /** When it is certain to end, null while it renews. */
  endsAt: z.string().nullable(),
  autoRenew: z.boolean().nullable(),
  lastPayment: z.object({ at: z.string(), kind: z.enum(['charge', 'refund']), status: z.enum(['succeeded', 'declined', 'failed']) }).nullable(),
});
export type DealerSubscription = z.infer<typeof dealerSubscriptionSchema>;

export async function dealerSubscription(ctx: Pick<AppContext, 'store' | 'clock' | 'config'>, vehicle: VehicleRecord): Promise<DealerSubscription> {
  const nowMs = ctx.clock.now();
  const accountId = vehicle.mainUser?.accountId;
  const view = accountId === undefined ? null : subscriptionView(vehicle, { accountId, nowMs, terms: billingTermsFromConfig(ctx.config), primaryCard: null });
  const sub = view?.subscription ?? null;
  const [last] = await new PaymentLedger(ctx).lines(vehicle.vin, 1);
  const trialEnd = sub && view?.state === 'trial' ? Date.parse(sub.endsAt ?? sub.period.end) : null;
  return {
    state: view?.state ?? 'none',
    plan: sub?.plan ?? null,
    years: sub?.years ?? null,
    trialDaysLeft: trialEnd === null ? null : Math.max(0, Math.ceil((trialEnd - nowMs) / DAY_MS)),
    renewsAt: sub?.nextCharge?.at ?? null,
    endsAt: sub?.endsAt ?? null,
    autoRenew: sub?.autoRenew ?? null,
    lastPayment: last ? { at: new Date(last.at).toISOString(), kind: last.kind, status: last.status } : null,
  };
}
