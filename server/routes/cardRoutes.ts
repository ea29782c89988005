/**
 * The caller's payment cards (R10): add (Luhn-checked Visa or Mastercard, tokenized at once — the
 * number is never stored), list, remove (not the primary card while it is the only card behind an
 * active subscription), and choose the primary card, the only one charged.
 */
import { z } from 'zod';
import { uuidSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { addCard } from '../subscriptions/addCard.js';
import { cardBrand, normalizeCardNumber, passesLuhn } from '../subscriptions/cardNumber.js';
import type { CardWallet, Wallet } from '../subscriptions/cardWallet.js';
import type { PaymentGateway } from '../subscriptions/paymentGateway.js';
import { removeCard } from '../subscriptions/removeCard.js';
import type { SubscriptionService } from '../subscriptions/subscriptionService.js';

const cardSchema = z.object({ cardId: uuidSchema, brand: z.string(), last4: z.string(), expMonth: z.number().int(), expYear: z.number().int(), addedAt: z.number().int(), primary: z.boolean() });
const walletSchema = z.object({ cards: z.array(cardSchema), primaryCardId: uuidSchema.nullable() });
const cardParams = z.object({ cardId: uuidSchema });

/** What the API shows of a wallet: never the token. */
function publicWallet(wallet: Wallet): z.infer<typeof walletSchema> {
  return {
    cards: wallet.cards.map(({ cardId, brand, last4, expMonth, expYear, addedAt }) => ({ cardId, brand, last4, expMonth, expYear, addedAt, primary: cardId === wallet.primaryCardId })),
    primaryCardId: wallet.primaryCardId,
  };
}

export function cardRoutes(ctx: AppContext, deps: { cards: CardWallet; gateway: PaymentGateway; subscriptions: SubscriptionService }): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/me/cards',
      operationId: 'addCard',
      summary: 'Add a payment card (Visa or Mastercard, Luhn-checked); it is tokenized at once and only its brand and last four digits are kept. The first card becomes primary',
      tags: ['cards'],
      errors: ['PAYMENT_FAILED', 'CONFLICT'],
      auth: 'session',
      body: z.object({
        number: z
          .string()
          .max(32)
          .transform(normalizeCardNumber)
          .refine(passesLuhn, 'not a valid card number (Luhn check)')
          .refine((n) => cardBrand(n) !== null, 'only Visa and Mastercard are accepted'),
        expMonth: z.number().int().min(1).max(12),
        expYear: z.number().int().min(2000).max(2100),
      }),
      responses: { 201: { description: 'Added', schema: z.object({ card: cardSchema }).extend(walletSchema.shape) } },
      handler: async ({ caller, body }) => {
        const me = requireAccount(caller);
        const { card, wallet } = await addCard({ ...deps, clock: ctx.clock }, { accountId: me.accountId, ...body });
        const shown = publicWallet(wallet);
        const shownCard = shown.cards.find((c) => c.cardId === card.cardId);
        if (!shownCard) throw new Error('the card just added is not in the wallet addCard returned');
        return { status: 201, body: { card: shownCard, ...shown } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/me/cards',
      operationId: 'listCards',
      summary: "The caller's payment cards and which one is primary",
      tags: ['cards'],
      errors: [],
      auth: 'session',
      responses: { 200: { description: 'Cards', schema: walletSchema } },
      handler: async ({ caller }) => ({ body: publicWallet(await deps.cards.get(requireAccount(caller).accountId)) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/me/cards/:cardId',
      operationId: 'removeCard',
      summary: 'Remove a card; the primary card cannot be removed while it is the only card behind an active subscription (CARD_IN_USE). Removing the primary makes the newest other card primary',
      tags: ['cards'],
      errors: ['CARD_NOT_FOUND', 'CARD_IN_USE', 'CONFLICT'],
      auth: 'session',
      params: cardParams,
      responses: { 200: { description: 'Removed', schema: walletSchema } },
      handler: async ({ caller, params }) => {
        const me = requireAccount(caller);
        const wallet = await removeCard(deps, { accountId: me.accountId, cardId: params.cardId });
        return { body: publicWallet(wallet) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/cards/:cardId/primary',
      operationId: 'setPrimaryCard',
      summary: 'Make a card the primary card: the only one charged (R10)',
      tags: ['cards'],
      errors: ['CARD_NOT_FOUND', 'CONFLICT'],
      auth: 'session',
      params: cardParams,
      body: z.object({}),
      responses: { 200: { description: 'Primary card set', schema: walletSchema } },
      handler: async ({ caller, params }) => ({ body: publicWallet(await deps.cards.setPrimary(requireAccount(caller).accountId, params.cardId)) }),
    }),
  ];
}
