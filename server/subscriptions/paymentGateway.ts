/**
 * The payment-gateway port (R10, R11). The rules never talk to a payment provider directly: an
 * adapter implements this interface — simulatedPaymentGateway.ts for development and tests, a real
 * provider (Stripe, Adyen, Mollie…) later, wired in createApp.
 *
 * Contract every adapter keeps:
 * - Card numbers exist only in `tokenizeCard`; the rest of the system sees the token and the
 *   last four digits and brand. (With a real provider the phone app tokenizes with the provider's
 *   SDK and the server never sees the number; `tokenizeCard` is then the provider's token lookup.)
 * - `charge` and `refund` are idempotent by `idempotencyKey`, as real providers are: the same key
 *   returns the first outcome again and never moves money twice.
 * - A definite answer is a result: `succeeded`, `declined` (the issuer said no) or `failed` (a
 *   processing error at the provider). A thrown error means the outcome is unknown — the request
 *   may or may not have gone through — so the caller retries with the same key, never a new one.
 */

export interface CardDetails {
  number: string;
  expMonth: number;
  expYear: number;
}

export interface CardToken {
  token: string;
  brand: string;
  last4: string;
}

export type ChargeResult =
  | { status: 'succeeded'; chargeId: string }
  | { status: 'declined' | 'failed'; failure: string };

export type RefundResult = { status: 'succeeded'; refundId: string } | { status: 'failed'; failure: string };

export interface PaymentGateway {
  /** A reusable token for a card (the number never leaves this call). */
  tokenizeCard(card: CardDetails): Promise<CardToken>;
  charge(request: { amountCents: number; currency: string; cardToken: string; idempotencyKey: string; description: string }): Promise<ChargeResult>;
  /** Refund (part of) a charge, to the card that paid it. */
  refund(request: { chargeId: string; amountCents: number; idempotencyKey: string }): Promise<RefundResult>;
  /** 'simulator' or the provider's name, for logs. */
  readonly kind: string;
}
