/**
 * Payment cards (R10): the cards with the primary one marked, adding one with inline feedback while
 * typing (Luhn check and brand, as the server checks them), setting the primary card, removing one.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../shared/api';
import type { Card } from '../../shared/apiTypes';
import { Field } from '../../shared/components/Field';
import { ErrorMessage, Notice } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { useConfirm } from '../../shared/useConfirm';
import { useLoad } from '../../shared/useLoad';
import { Page } from '../App';
// The server's own checks, run in the browser only for feedback while typing (the server's check counts).
import { cardBrand, passesLuhn } from '../../../server/subscriptions/cardNumber';

const BRAND_NAMES = { visa: 'Visa', mastercard: 'Mastercard' } as const;
/** The brand as people write it ("visa" → "Visa"). */
const brandName = (brand: string) => BRAND_NAMES[brand as keyof typeof BRAND_NAMES] ?? brand;

export function CardsPage() {
  const { t } = useI18n();
  const wallet = useLoad(() => api('get', '/v1/me/cards'), []);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const removing = useConfirm<Card>();
  const done = async (message: string) => {
    setNotice(message);
    await wallet.reload();
  };
  const makePrimary = async (card: Card) => {
    setError(null);
    try {
      await api('post', '/v1/me/cards/{cardId}/primary', { params: { cardId: card.cardId }, body: {} });
      await done(t('cards.primarySet', { brand: brandName(card.brand), last4: card.last4 }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Page title={t('cards.title')}>
      <Notice>{notice}</Notice>
      <ErrorMessage error={wallet.error ?? error} />
      <section aria-labelledby="cards-title">
        <h2 id="cards-title" ref={removing.returnFocus} tabIndex={-1}>
          {t('cards.list')}
        </h2>
        {wallet.data?.cards.length === 0 && <p>{t('cards.none')}</p>}
        <ul class="cards" id="card-list">
          {wallet.data?.cards.map((c) => (
            <li key={c.cardId} class="card" data-card-id={c.cardId}>
              <h3>
                {brandName(c.brand)} {t('card.ending', { last4: c.last4 })}
                {c.primary && <span class="tag">{t('cards.primary')}</span>}
              </h3>
              <p>{t('cards.expires', { month: String(c.expMonth).padStart(2, '0'), year: c.expYear })}</p>
              <div class="actions">
                {!c.primary && (
                  <button type="button" onClick={() => void makePrimary(c)}>
                    {t('cards.makePrimary', { brand: brandName(c.brand), last4: c.last4 })}
                  </button>
                )}
                <button type="button" class="danger" onClick={() => removing.ask(c)}>
                  {t('cards.remove', { brand: brandName(c.brand), last4: c.last4 })}
                </button>
              </div>
            </li>
          ))}
        </ul>
      </section>
      <AddCard onDone={done} />
      {removing.dialog((card) => ({
        danger: true,
        title: t('cards.removeTitle', { brand: brandName(card.brand), last4: card.last4 }),
        confirmLabel: t('cards.removeConfirm'),
        onConfirm: async () => {
          await api('delete', '/v1/me/cards/{cardId}', { params: { cardId: card.cardId } });
          await done(t('cards.removed', { last4: card.last4 }));
        },
        children: <p>{card.primary ? t('cards.removePrimaryText') : t('cards.removeText')}</p>,
      }))}
    </Page>
  );
}

function AddCard({ onDone }: { onDone: (m: string) => Promise<void> }) {
  const { t } = useI18n();
  const [number, setNumber] = useState('');
  const [expiry, setExpiry] = useState('');
  const [touched, setTouched] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const digits = number.replace(/[\s-]/g, '');

  // Inline feedback while typing: only once the number is long enough to judge, or after leaving the field.
  const numberFeedback = (): { error: string | null; ok: string | null } => {
    if (!digits) return { error: null, ok: null };
    if (!/^\d+$/.test(digits)) return { error: t('cards.digitsOnly'), ok: null };
    if (digits.length < 13) return { error: touched ? t('cards.tooShort') : null, ok: null };
    if (!passesLuhn(digits)) return { error: t('cards.luhn'), ok: null };
    const brand = cardBrand(digits);
    if (!brand) return { error: t('cards.brand'), ok: null };
    return { error: null, ok: t('cards.looksRight', { brand: BRAND_NAMES[brand] }) };
  };
  const feedback = numberFeedback();

  const submit = async (event: Event) => {
    event.preventDefault();
    setTouched(true);
    const found: Record<string, string> = {};
    const f = numberFeedback();
    if (!digits) found.number = t('cards.numberMissing');
    else if (f.error) found.number = f.error;
    else if (digits.length < 13) found.number = t('cards.tooShort');
    const match = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(expiry.trim());
    const month = match ? Number(match[1]) : NaN;
    const year = match ? (match[2]!.length === 2 ? 2000 + Number(match[2]) : Number(match[2])) : NaN;
    const now = new Date();
    if (!match || month < 1 || month > 12) found.expiry = t('cards.expiryInvalid');
    else if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) found.expiry = t('cards.expired');
    setErrors(found);
    setError(null);
    if (Object.keys(found).length > 0) return;
    try {
      await api('post', '/v1/me/cards', { body: { number: digits, expMonth: month, expYear: year } });
      setNumber('');
      setExpiry('');
      setTouched(false);
      await onDone(t('cards.added', { last4: digits.slice(-4) }));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'VALIDATION_FAILED' && err.field) setErrors({ [err.field === 'number' ? 'number' : 'expiry']: err.field === 'number' ? t('cards.luhn') : t('cards.expired') });
      else setError(err);
    }
  };

  return (
    <section aria-labelledby="add-card-title" class="card">
      <h2 id="add-card-title">{t('cards.add')}</h2>
      <form onSubmit={submit} noValidate id="add-card">
        <Field
          label={t('cards.number')}
          hint={t('cards.numberHint')}
          value={number}
          inputMode="numeric"
          autocomplete="cc-number"
          maxLength={23}
          error={errors.number ?? feedback.error}
          ok={feedback.ok}
          onInput={(e) => setNumber(e.currentTarget.value)}
          onBlur={() => setTouched(true)}
        />
        <Field label={t('cards.expiry')} hint={t('cards.expiryHint')} value={expiry} inputMode="numeric" autocomplete="cc-exp" maxLength={7} error={errors.expiry} onInput={(e) => setExpiry(e.currentTarget.value)} />
        <ErrorMessage error={error} />
        <button type="submit" class="primary">
          {t('cards.addButton')}
        </button>
      </form>
    </section>
  );
}
