/**
 * Remove a card from the caller's wallet (R10): not the primary card while it is the only card
 * behind an active subscription (CARD_IN_USE); with another card left, that card becomes primary.
 */
import type { AccountId } from '../../shared/ids.js';
import type { CardWallet, Wallet } from './cardWallet.js';
import type { SubscriptionService } from './subscriptionService.js';

export interface RemoveCardDeps {
  cards: Pick<CardWallet, 'remove'>;
  subscriptions: Pick<SubscriptionService, 'paysActiveSubscription'>;
}

export interface RemoveCardOpts {
  accountId: AccountId;
  cardId: string;
}

/** The wallet after the removal. */
export type RemoveCardResult = Wallet;

export function removeCard(deps: RemoveCardDeps, opts: RemoveCardOpts): Promise<RemoveCardResult> {
  return deps.cards.remove(opts.accountId, opts.cardId, () => deps.subscriptions.paysActiveSubscription(opts.accountId));
}
