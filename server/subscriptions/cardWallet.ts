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
import { z } from 'zod';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isVin, type AccountId, type Vin } from '../../shared/ids.js';
import { readRecord, updateRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';
import type { CardToken } from './paymentGateway.js';

export const paymentCardSchema = z.object({
  cardId: z.string(),
  /** The gateway's token for the card. */
  token: z.string(),
  brand: z.string(),
  last4: z.string(),
  expMonth: z.number(),
  expYear: z.number(),
  addedAt: z.number(),
});
export type PaymentCard = z.infer<typeof paymentCardSchema>;

export const walletSchema = z.object({
  cards: z.array(paymentCardSchema),
  primaryCardId: z.string().nullable(),
  /**
   * Grows each time a paid plan starts on this wallet's primary card, in the same commit as that
   * start's entry in the account's subscriptions: a removal that read the wallet before then fails
   * its compare-and-set and looks again, so it sees the start (no interleaving slips between).
   */
  starts: z.number().int().nonnegative().optional(),
});
export type Wallet = z.infer<typeof walletSchema>;

const EMPTY: Wallet = { cards: [], primaryCardId: null };

/** At most this many cards per account. */
export const MAX_CARDS = 10;

export class CardWallet {
  constructor(private readonly store: Store) {}

  async get(accountId: AccountId): Promise<Wallet> {
    return (await readRecord(this.store, storeKeys.paymentCards(accountId), walletSchema, 'wallet')) ?? EMPTY;
  }

  /** The card that is charged (R10), or null. */
  async primary(accountId: AccountId): Promise<PaymentCard | null> {
    const wallet = await this.get(accountId);
    return wallet.cards.find((c) => c.cardId === wallet.primaryCardId) ?? null;
  }

  /**
   * The primary card a paid plan about to start on `vin` will be charged with, and the plan's entry
   * in the account's subscriptions, written in ONE commit with the wallet (compare-and-set): either a
   * concurrent removal of that card committed first — then this sees the wallet without it — or this
   * did, and the removal, retried on the changed wallet, finds the start (CARD_IN_USE).
   */
  async reserveForStart(accountId: AccountId, vin: string, nowMs: number): Promise<PaymentCard | null> {
    const { result } = await updateRecord(
      this.store,
      storeKeys.paymentCards(accountId),
      walletSchema,
      (w) => {
        const wallet = w ?? EMPTY;
        const card = wallet.cards.find((c) => c.cardId === wallet.primaryCardId) ?? null;
        if (!card) return { record: wallet, result: null };
        return {
          record: { ...wallet, starts: (wallet.starts ?? 0) + 1 },
          writes: { hset: [{ key: storeKeys.accountSubscriptions(accountId), field: vin, value: String(nowMs) }] },
          result: card,
        };
      },
      { what: 'wallet' },
    );
    return result;
  }

  /** Drop the entry a refused start wrote (unless another start has rewritten it since). */
  async releaseStart(accountId: AccountId, vin: Vin, reservedAt: number): Promise<void> {
    const key = storeKeys.accountSubscriptions(accountId);
    await this.store.commit({ expect: [{ key, field: vin, value: String(reservedAt) }], hdel: [{ key, field: vin }] });
  }

  /**
   * The account's entries of paid plans started (VIN and when the start reserved the card). Only
   * hints for the primary-card rule: the vehicle document decides.
   */
  async startsOf(accountId: AccountId): Promise<Array<[Vin, number]>> {
    const entries = Object.entries(await this.store.hgetall(storeKeys.accountSubscriptions(accountId)));
    return entries.map(([vin, at]) => {
      const markedAt = Number(at);
      if (!isVin(vin) || !Number.isFinite(markedAt)) throw new DigitalKeyError('CORRUPT_RECORD', "an entry of an account's started plans is not a VIN and a time");
      return [vin, markedAt];
    });
  }

  /** Forget the entry of a plan that ended or went to another payer. */
  async forgetStart(accountId: AccountId, vin: Vin): Promise<void> {
    await this.store.commit({ hdel: [{ key: storeKeys.accountSubscriptions(accountId), field: vin }] });
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
    const { record } = await updateRecord(this.store, storeKeys.paymentCards(accountId), walletSchema, async (w) => ({ record: await change(w ?? EMPTY), result: null }), { what: 'wallet' });
    return record;
  }
}
