/**
 * An account's payment cards (R10): several may be kept, one is primary and only it is charged.
 * Stored per account as one document (`{a:<accountId>}` tag) changed with compare-and-set; a card
 * is its gateway token, brand, last four digits and expiry — never the number.
 *
 * The primary card cannot be removed while it is the only card and the account pays an active
 * subscription (the terms: a valid payment method must stay registered). When the primary card is
 * removed and others remain, the most recently added one becomes primary.
 */
import { randomUUID } from 'node:crypto';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';
import type { CardToken } from './paymentGateway.js';

export interface PaymentCard {
  cardId: string;
  /** The gateway's token for the card. */
  token: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  addedAt: number;
}

export interface Wallet {
  cards: PaymentCard[];
  primaryCardId: string | null;
}

/** At most this many cards per account. */
export const MAX_CARDS = 10;
const MAX_ATTEMPTS = 12;

export class CardWallet {
  constructor(private readonly store: Store) {}

  async get(accountId: AccountId): Promise<Wallet> {
    const raw = await this.store.get(storeKeys.paymentCards(accountId));
    return raw === null ? { cards: [], primaryCardId: null } : (JSON.parse(raw) as Wallet);
  }

  /** The card that is charged (R10), or null. */
  async primary(accountId: AccountId): Promise<PaymentCard | null> {
    const wallet = await this.get(accountId);
    return wallet.cards.find((c) => c.cardId === wallet.primaryCardId) ?? null;
  }

  /** Add a tokenized card; the first card becomes primary. */
  async add(accountId: AccountId, card: CardToken & { expMonth: number; expYear: number }, nowMs: number): Promise<{ card: PaymentCard; wallet: Wallet }> {
    const added: PaymentCard = { cardId: randomUUID(), token: card.token, brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear, addedAt: nowMs };
    const wallet = await this.#update(accountId, async (w) => {
      if (w.cards.length >= MAX_CARDS) throw new DigitalKeyError('VALIDATION_FAILED', `at most ${MAX_CARDS} cards per account`);
      return { cards: [...w.cards, added], primaryCardId: w.primaryCardId ?? added.cardId };
    });
    return { card: added, wallet };
  }

  async setPrimary(accountId: AccountId, cardId: string): Promise<Wallet> {
    return this.#update(accountId, async (w) => {
      if (!w.cards.some((c) => c.cardId === cardId)) throw new DigitalKeyError('CARD_NOT_FOUND');
      return { ...w, primaryCardId: cardId };
    });
  }

  /**
   * Remove a card. `paysActiveSubscription` is asked only when the card is the primary and the only
   * one: then removing it would leave an active subscription without a card (CARD_IN_USE).
   */
  async remove(accountId: AccountId, cardId: string, paysActiveSubscription: () => Promise<boolean>): Promise<Wallet> {
    return this.#update(accountId, async (w) => {
      const card = w.cards.find((c) => c.cardId === cardId);
      if (!card) throw new DigitalKeyError('CARD_NOT_FOUND');
      const cards = w.cards.filter((c) => c.cardId !== cardId);
      if (w.primaryCardId !== cardId) return { ...w, cards };
      if (cards.length === 0 && (await paysActiveSubscription())) {
        throw new DigitalKeyError('CARD_IN_USE', 'the primary card is the only card behind an active subscription: add another card first, or cancel the subscription');
      }
      const newest = [...cards].sort((a, b) => b.addedAt - a.addedAt)[0];
      return { cards, primaryCardId: newest?.cardId ?? null };
    });
  }

  async #update(accountId: AccountId, change: (wallet: Wallet) => Promise<Wallet>): Promise<Wallet> {
    const key = storeKeys.paymentCards(accountId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const raw = await this.store.get(key);
      const next = await change(raw === null ? { cards: [], primaryCardId: null } : (JSON.parse(raw) as Wallet));
      if (await this.store.commit({ expect: [{ key, value: raw }], set: [{ key, value: JSON.stringify(next) }] })) return next;
    }
    throw new DigitalKeyError('CONFLICT');
  }
}
