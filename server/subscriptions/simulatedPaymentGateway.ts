/**
 * The payment-gateway simulator: no money moves. Its test cards behave like a real provider's
 * (Stripe's test numbers):
 *
 * | card number          | charge                                                      |
 * |----------------------|-------------------------------------------------------------|
 * | 4242 4242 4242 4242  | succeeds (Visa)                                             |
 * | 5555 5555 5555 4444  | succeeds (Mastercard)                                       |
 * | 4000 0000 0000 0002  | declined: `card_declined`                                   |
 * | 4000 0000 0000 9995  | declined: `insufficient_funds`                              |
 * | 4000 0000 0000 0119  | fails intermittently: `processing_error` for about half the charges, decided by a seeded hash of the idempotency key (repeatable) |
 * | any other valid card | succeeds                                                    |
 *
 * Behaviour is keyed off the last four digits, which the token carries, so any instance can
 * charge a token another instance made. Like real providers it deduplicates by idempotency key: the
 * same key returns the first answer again (and a key reused for a different request is an error),
 * so a retried request never charges twice. `outage` makes calls throw (outcome unknown), as a
 * provider timeout would. Share one instance between app instances in a test to see one provider.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { CardDetails, CardToken, ChargeResult, PaymentGateway, RefundResult } from './paymentGateway.js';
import { cardBrand, normalizeCardNumber, passesLuhn } from './cardNumber.js';

/** A successful charge as the simulator keeps it. */
export interface SimulatedCharge {
  chargeId: string;
  amountCents: number;
  currency: string;
  cardToken: string;
  idempotencyKey: string;
  description: string;
  refundedCents: number;
}

export const TEST_CARDS = {
  visa: '4242424242424242',
  mastercard: '5555555555554444',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  intermittent: '4000000000000119',
} as const;

/** A first answer, kept to be given again for its idempotency key. */
type Answer = { kind: 'charge'; result: ChargeResult } | { kind: 'refund'; result: RefundResult };

export class SimulatedPaymentGateway implements PaymentGateway {
  readonly kind = 'simulator';
  /** Successful charges, by charge id. */
  readonly charges = new Map<string, SimulatedCharge>();
  /** Every `charge` call received (deduplicated or not): what a test counts to prove no double charge. */
  chargeCalls = 0;
  /** While true, every call throws as a provider outage would (the outcome is unknown to the caller). */
  outage = false;
  readonly #answers = new Map<string, { fingerprint: string; answer: Answer }>();
  readonly #seed: string;

  constructor(opts: { seed?: string } = {}) {
    this.#seed = opts.seed ?? 'sdk-payments';
  }

  async tokenizeCard(card: CardDetails): Promise<CardToken> {
    this.#reachable();
    const digits = normalizeCardNumber(card.number);
    const brand = cardBrand(digits);
    if (!passesLuhn(digits) || !brand) throw new Error('the simulator tokenizes valid Visa and Mastercard numbers only');
    const last4 = digits.slice(-4);
    return { token: `sim_${last4}_${randomUUID().replace(/-/g, '')}`, brand, last4 };
  }

  async charge(request: { amountCents: number; currency: string; cardToken: string; idempotencyKey: string; description: string }): Promise<ChargeResult> {
    this.chargeCalls += 1;
    this.#reachable();
    const fingerprint = JSON.stringify(['charge', request.amountCents, request.currency, request.cardToken]);
    const known = this.#replay(request.idempotencyKey, fingerprint);
    // A key first used for a refund has another fingerprint: #replay has refused it.
    if (known?.kind === 'charge') return known.result;
    const result = this.#decide(request.cardToken, request.idempotencyKey);
    if (result.status === 'succeeded') {
      this.charges.set(result.chargeId, { chargeId: result.chargeId, amountCents: request.amountCents, currency: request.currency, cardToken: request.cardToken, idempotencyKey: request.idempotencyKey, description: request.description, refundedCents: 0 });
    }
    this.#answers.set(request.idempotencyKey, { fingerprint, answer: { kind: 'charge', result } });
    return result;
  }

  async refund(request: { chargeId: string; amountCents: number; idempotencyKey: string }): Promise<RefundResult> {
    this.#reachable();
    const fingerprint = JSON.stringify(['refund', request.chargeId, request.amountCents]);
    const known = this.#replay(request.idempotencyKey, fingerprint);
    if (known?.kind === 'refund') return known.result;
    const charge = this.charges.get(request.chargeId);
    let result: RefundResult;
    if (!charge) result = { status: 'failed', failure: 'no_such_charge' };
    else if (!Number.isInteger(request.amountCents) || request.amountCents <= 0 || charge.refundedCents + request.amountCents > charge.amountCents) result = { status: 'failed', failure: 'amount_too_large' };
    else {
      charge.refundedCents += request.amountCents;
      result = { status: 'succeeded', refundId: `re_sim_${randomUUID()}` };
    }
    this.#answers.set(request.idempotencyKey, { fingerprint, answer: { kind: 'refund', result } });
    return result;
  }

  /** Total charged, less refunds, in cents (for tests). */
  netCents(): number {
    let net = 0;
    for (const c of this.charges.values()) net += c.amountCents - c.refundedCents;
    return net;
  }

  #reachable(): void {
    if (this.outage) throw new Error('payment provider unreachable (simulated outage)');
  }

  #replay(key: string, fingerprint: string): Answer | null {
    const known = this.#answers.get(key);
    if (!known) return null;
    if (known.fingerprint !== fingerprint) throw new Error('idempotency key reused for a different request');
    return known.answer;
  }

  #decide(cardToken: string, idempotencyKey: string): ChargeResult {
    const last4 = /^sim_(\d{4})_/.exec(cardToken)?.[1];
    if (!last4) return { status: 'declined', failure: 'invalid_token' };
    if (last4 === '0002') return { status: 'declined', failure: 'card_declined' };
    if (last4 === '9995') return { status: 'declined', failure: 'insufficient_funds' };
    if (last4 === '0119') {
      const roll = createHash('sha256').update(`${this.#seed}:${idempotencyKey}`).digest().readUInt8(0);
      if (roll < 128) return { status: 'failed', failure: 'processing_error' };
    }
    return { status: 'succeeded', chargeId: `ch_sim_${randomUUID()}` };
  }
}
