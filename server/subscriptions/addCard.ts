/**
 * Add a payment card to the caller's wallet (R10: paid in advance, with the primary card): an
 * expired card is refused, the number goes only to the gateway, which tokenizes it at once — the
 * wallet keeps the token, the brand and the last four digits, never the number.
 */
import type { Clock } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import type { CardWallet, PaymentCard, Wallet } from './cardWallet.js';
import type { PaymentGateway } from './paymentGateway.js';

export interface AddCardDeps {
  cards: Pick<CardWallet, 'add'>;
  gateway: Pick<PaymentGateway, 'tokenizeCard'>;
  clock: Clock;
}

export interface AddCardOpts {
  accountId: AccountId;
  /** A Luhn-checked Visa or Mastercard number, digits only (the route's schema checks it). */
  number: string;
  expMonth: number;
  expYear: number;
}

export interface AddCardResult {
  card: PaymentCard;
  wallet: Wallet;
}

export async function addCard(deps: AddCardDeps, opts: AddCardOpts): Promise<AddCardResult> {
  const now = new Date(deps.clock.now());
  if (opts.expYear < now.getUTCFullYear() || (opts.expYear === now.getUTCFullYear() && opts.expMonth < now.getUTCMonth() + 1)) {
    throw new DigitalKeyError('VALIDATION_FAILED', 'body.expYear: the card has expired');
  }
  const token = await deps.gateway.tokenizeCard({ number: opts.number, expMonth: opts.expMonth, expYear: opts.expYear });
  return deps.cards.add(opts.accountId, { ...token, expMonth: opts.expMonth, expYear: opts.expYear }, deps.clock.now());
}
