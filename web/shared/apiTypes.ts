/**
 * The shapes of the `/v1` answers the web front ends read (DESIGN.md §5 and docs/owner-api.md).
 * Times are milliseconds since the epoch unless named seconds (`notBefore`/`notAfter`); subscription
 * times are ISO strings; money is integer cents with its currency.
 */
import type { CreationOptionsJSON, RequestOptionsJSON } from './webauthn';

export const COMMANDS = ['unlock', 'lock', 'start', 'trunk'] as const;
export type Command = (typeof COMMANDS)[number];
export type Language = 'nl' | 'fr' | 'en';

export interface Passkey {
  passkeyId: string;
  label?: string | null;
  createdAt: number;
  lastUsedAt?: number | null;
  disabled: { at: number; reason: string } | boolean | null;
  current?: boolean;
}

export interface Profile {
  accountId: string;
  email: string;
  emailVerified?: boolean;
  pendingEmail?: string | null;
  displayName: string;
  language?: Language | null;
  timeZone?: string | null;
  dealer: boolean;
  presenceRequired?: boolean;
  passkeys: Passkey[];
}

export interface SignUpStarted {
  accountId: string;
  enrollmentToken: string;
  options: CreationOptionsJSON;
}
export interface Ceremony<O> {
  challengeId: string;
  options: O;
}
export type LoginOptions = Ceremony<RequestOptionsJSON>;
export type AddPasskeyOptions = Ceremony<CreationOptionsJSON>;
export interface RecoveryOptions extends Ceremony<CreationOptionsJSON> {
  accountId: string;
  method: 'dealer-code' | 'email';
}

export interface MyVehicle {
  vin: string;
  role: 'main' | 'shared';
  standardServicesActive: boolean;
  since: number | null;
}

export interface KeyView {
  keyId: string;
  vin: string;
  accountId: string;
  passkeyId: string;
  role: 'main' | 'shared';
  perms: Command[];
  notBefore?: number;
  notAfter?: number;
  createdAt: number;
  holderName?: string | null;
  passkeyLabel?: string | null;
}

export interface Invitation {
  invitationId: string;
  vin: string;
  perms: Command[];
  notBefore?: number;
  notAfter?: number;
  email?: string;
  createdAt: number;
  expiresAt: number;
}

export interface InvitationPreview {
  invitationId: string;
  vin: string;
  invitedBy: { displayName: string };
  perms: Command[];
  notBefore?: number;
  notAfter?: number;
  expiresAt: number;
  emailBound: boolean;
}

export interface Issued {
  keyId: string;
  credential: string;
  state: string;
  expiresAt: number;
}

export type Plan = 'trial' | 'monthly' | 'yearly' | 'multi-year';

export interface PlanPrice {
  plan: Plan;
  priceCents: number;
  per: string;
  months: number | null;
}
export interface PlanList {
  currency: string;
  plans: PlanPrice[];
  multiYear: { minYears: number; maxYears: number };
}

export type SubscriptionState = 'none' | 'pending-payment' | 'trial' | 'active' | 'past-due' | 'cancelled' | 'ended';

export interface SubscriptionView {
  vin: string;
  state: SubscriptionState;
  keysAllowed: boolean;
  trial: { available: boolean; endsAt: string; used: boolean };
  subscription: {
    subscriptionId: string;
    plan: Plan;
    years?: number;
    status: 'pending-payment' | 'active' | 'past-due' | 'ended';
    autoRenew: boolean;
    createdAt: string;
    period: { start: string; end: string };
    endsAt: string | null;
    priceCents: number;
    currency: string;
    nextCharge: { at: string; amountCents: number; currency: string; description: string; attempt: number; card: { cardId: string; brand: string; last4: string } | null } | null;
    next?: { plan: Plan; years?: number; startsAt: string; amountCents: number; currency: string };
    retry?: { failedAttempts: number; attempts: number; nextAttemptAt: string | null };
    lastCharge?: { amountCents: number; currency: string; at: string; cardId: string; brand: string; last4: string };
    refundedCents: number;
    withdrawalUntil?: string;
    cancelledAt?: string;
    cancelAt?: string;
    endedAt?: string;
    endReason?: string;
  } | null;
}

export interface CancellationQuote {
  mode: 'cancel' | 'withdraw';
  effectiveAt: string;
  immediate: boolean;
  refund: { amountCents: number; currency: string } | null;
  basis: string;
}

export interface Payment {
  id: string;
  at: string;
  subscriptionId: string;
  kind: 'charge' | 'refund';
  status: 'succeeded' | 'declined' | 'failed';
  amountCents: number;
  currency: string;
  description: string;
  cardId: string | null;
  last4: string | null;
}

export interface Card {
  cardId: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  addedAt: number;
  primary: boolean;
}
export interface Wallet {
  cards: Card[];
  primaryCardId: string | null;
}

export interface Notification {
  id: string;
  at: number;
  kind: string;
  subject: string;
  body: string;
  data: Record<string, unknown>;
  read: boolean;
}
