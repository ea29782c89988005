/** A payment gateway that counts the outcome of every charge and refund (sdk_payments_total), and otherwise is the gateway it wraps. */
import type { PaymentGateway } from '../subscriptions/paymentGateway.js';
import type { DomainMetrics } from './domainMetrics.js';

/**
 * @example const gateway = meteredPaymentGateway(new SimulatedPaymentGateway({ seed }), metrics);
 */
export function meteredPaymentGateway(gateway: PaymentGateway, metrics: Pick<DomainMetrics, 'payment'>): PaymentGateway {
  const metered = async <R extends { status: 'succeeded' | 'declined' | 'failed' }>(operation: 'charge' | 'refund', call: () => Promise<R>): Promise<R> => {
    try {
      const result = await call();
      metrics.payment(operation, result.status);
      return result;
    } catch (err) {
      // The outcome is unknown (the port's contract): the caller retries with the same key.
      metrics.payment(operation, 'unknown');
      throw err;
    }
  };
  return {
    kind: gateway.kind,
    tokenizeCard: (card) => gateway.tokenizeCard(card),
    charge: (request) => metered('charge', () => gateway.charge(request)),
    refund: (request) => metered('refund', () => gateway.refund(request)),
  };
}
