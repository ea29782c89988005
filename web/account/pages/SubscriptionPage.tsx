/**
 * The subscription centre of one vehicle (R9–R11): trial days left, the plans with their prices,
 * choosing a plan (paid in advance with the primary card), auto-renewal, cancelling or withdrawing
 * with the refund shown before confirming, and the payment history.
 */
import { useState } from 'preact/hooks';
import { api } from '../../shared/api';
import type { CancellationQuote, PlanList, PlanPrice, SubscriptionView, Wallet } from '../../shared/apiTypes';
import { ErrorMessage, Notice } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { planName } from '../../shared/i18n/planName';
import { useConfirm } from '../../shared/useConfirm';
import { useLoad } from '../../shared/useLoad';
import { Page } from '../App';
import { hrefOf } from '../router';

const DAY_MS = 86_400_000;

export function SubscriptionPage({ vin }: { vin: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const view = useLoad(() => api('get', '/v1/vehicles/{vin}/subscriptions/current', { params: { vin } }), [vin]);
  const plans = useLoad(() => api('get', '/v1/subscription-plans'), []);
  const wallet = useLoad(() => api('get', '/v1/me/cards'), []);
  const payments = useLoad(() => api('get', '/v1/vehicles/{vin}/subscriptions/payments', { params: { vin } }).then((r) => r.payments), [vin]);
  const [notice, setNotice] = useState<string | null>(null);
  const reloadAll = async (message: string) => {
    setNotice(message);
    await Promise.all([view.reload(), payments.reload()]);
  };
  const v = view.data;
  return (
    <Page title={t('subscription.title', { vin })}>
      <p>
        <a href={hrefOf({ page: 'vehicles' })}>{t('common.backToVehicles')}</a>
      </p>
      <Notice>{notice}</Notice>
      <ErrorMessage error={view.error} />
      {v && <Summary view={v} />}
      {v?.subscription && v.subscription.status !== 'ended' && <CurrentPlan view={v} onDone={reloadAll} />}
      {v && plans.data && wallet.data && <PlanChoice view={v} plans={plans.data} wallet={wallet.data} onDone={reloadAll} />}
      <section aria-labelledby="payments-title">
        <h2 id="payments-title">{t('payments.title')}</h2>
        <ErrorMessage error={payments.error} />
        {payments.data && payments.data.length === 0 && <p>{t('payments.none')}</p>}
        {payments.data && payments.data.length > 0 && (
          <ul class="rows" id="payments">
            {[...payments.data].reverse().map((p) => (
              <li key={p.id} class="row">
                <span>{i18n.dateTime(Date.parse(p.at))}</span>
                <span>{t(`payment.${p.kind}.${p.status}`)}</span>
                <strong>{i18n.money(p.kind === 'refund' ? -p.amountCents : p.amountCents, p.currency)}</strong>
                <span>{p.last4 ? t('card.ending', { last4: p.last4 }) : ''}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </Page>
  );
}

function daysLeft(untilIso: string): number {
  return Math.max(0, Math.ceil((Date.parse(untilIso) - Date.now()) / DAY_MS));
}

function Summary({ view }: { view: SubscriptionView }) {
  const i18n = useI18n();
  const { t } = i18n;
  const s = view.subscription;
  const lines: string[] = [];
  if (view.state === 'trial' && s) lines.push(t('subscription.onTrial', { days: daysLeft(s.period.end), until: i18n.date(Date.parse(s.period.end)) }));
  else if (s && (view.state === 'active' || view.state === 'cancelled')) {
    lines.push(t('subscription.onPlan', { plan: planName(i18n, s.plan, s.years), until: i18n.date(Date.parse(s.period.end)) }));
  } else if (view.state === 'past-due') lines.push(t('subscription.pastDue'));
  else if (view.state === 'pending-payment') lines.push(t('subscription.pending'));
  else lines.push(t('subscription.none'));
  if (view.trial.available && view.state !== 'trial') lines.push(t('subscription.trialAvailable', { days: daysLeft(view.trial.endsAt), until: i18n.date(Date.parse(view.trial.endsAt)) }));
  else if (!view.trial.available && view.state !== 'trial') lines.push(view.trial.used ? t('subscription.trialUsed') : t('subscription.trialOver'));
  lines.push(view.keysAllowed ? t('subscription.keysAllowed') : t('subscription.keysNotAllowed'));
  return (
    <div class="summary" id="subscription-summary">
      {lines.map((line) => (
        <p key={line}>{line}</p>
      ))}
    </div>
  );
}

function CurrentPlan({ view, onDone }: { view: SubscriptionView; onDone: (m: string) => Promise<void> }) {
  const i18n = useI18n();
  const { t } = i18n;
  const s = view.subscription!;
  const cancelling = useConfirm<CancellationQuote>();
  const [error, setError] = useState<unknown>(null);
  const paid = s.plan !== 'trial';
  const withdrawable = paid && s.withdrawalUntil !== undefined && Date.parse(s.withdrawalUntil) > Date.now() && !s.cancelAt;

  const askQuote = async (mode: 'cancel' | 'withdraw') => {
    setError(null);
    try {
      cancelling.ask(await api('get', '/v1/vehicles/{vin}/subscriptions/current/cancellation', { params: { vin: view.vin }, query: { mode } }));
    } catch (err) {
      setError(err);
    }
  };
  // The box follows the click at once; it goes back if the server refuses.
  const [autoRenew, setAutoRenewShown] = useState(s.autoRenew);
  const setAutoRenew = async (value: boolean) => {
    setError(null);
    setAutoRenewShown(value);
    try {
      await api('put', '/v1/vehicles/{vin}/subscriptions/current/auto-renew', { params: { vin: view.vin }, body: { autoRenew: value } });
      await onDone(value ? t('subscription.autoRenewOn') : t('subscription.autoRenewOff'));
    } catch (err) {
      setAutoRenewShown(!value);
      setError(err);
    }
  };

  return (
    <section aria-labelledby="current-title" class="card">
      <h2 id="current-title" ref={cancelling.returnFocus} tabIndex={-1}>
        {t('subscription.current')}
      </h2>
      <dl class="facts">
        <dt>{t('subscription.plan')}</dt>
        <dd>{planName(i18n, s.plan, s.years)}</dd>
        <dt>{t('subscription.period')}</dt>
        <dd>{t('window.fromUntil', { from: i18n.date(Date.parse(s.period.start)), until: i18n.date(Date.parse(s.period.end)) })}</dd>
        {s.nextCharge && (
          <>
            <dt>{t('subscription.nextCharge')}</dt>
            <dd>{t('subscription.nextChargeText', { amount: i18n.money(s.nextCharge.amountCents, s.nextCharge.currency), at: i18n.date(Date.parse(s.nextCharge.at)) })}</dd>
          </>
        )}
        {s.cancelAt && (
          <>
            <dt>{t('subscription.ends')}</dt>
            <dd>{i18n.date(Date.parse(s.cancelAt))}</dd>
          </>
        )}
        {withdrawable && (
          <>
            <dt>{t('subscription.withdrawUntil')}</dt>
            <dd>{i18n.date(Date.parse(s.withdrawalUntil!))}</dd>
          </>
        )}
      </dl>
      {paid && !s.cancelAt && (
        <div class="field">
          <label class="choice">
            <input type="checkbox" id="auto-renew" checked={autoRenew} onChange={(e) => void setAutoRenew(e.currentTarget.checked)} />
            {t('subscription.autoRenew')}
          </label>
          <p class="hint">{t('subscription.autoRenewHint')}</p>
        </div>
      )}
      <ErrorMessage error={error} />
      {!s.cancelAt && (
        <div class="actions">
          <button type="button" class="danger" onClick={() => void askQuote('cancel')}>
            {t('subscription.cancel')}
          </button>
          {withdrawable && (
            <button type="button" class="danger" onClick={() => void askQuote('withdraw')}>
              {t('subscription.withdraw')}
            </button>
          )}
        </div>
      )}
      {cancelling.dialog((quote) => ({
        danger: true,
        title: quote.mode === 'withdraw' ? t('subscription.withdrawTitle') : t('subscription.cancelTitle'),
        confirmLabel: quote.mode === 'withdraw' ? t('subscription.withdrawConfirm') : t('subscription.cancelConfirm'),
        dismissLabel: t('subscription.keep'),
        onConfirm: async () => {
          await api('delete', '/v1/vehicles/{vin}/subscriptions/current', { params: { vin: view.vin }, body: { mode: quote.mode } });
          await onDone(quote.mode === 'withdraw' ? t('subscription.withdrawn') : t('subscription.cancelled'));
        },
        children: (
          <>
            <p id="quote-ends">{quote.immediate ? t('subscription.endsNow') : t('subscription.endsOn', { at: i18n.date(Date.parse(quote.effectiveAt)) })}</p>
            <p id="quote-refund">{quote.refund ? t('subscription.refund', { amount: i18n.money(quote.refund.amountCents, quote.refund.currency) }) : t('subscription.noRefund')}</p>
            {quote.immediate && <p>{t('subscription.keysEnd')}</p>}
          </>
        ),
      }))}
    </section>
  );
}

function PlanChoice({ view, plans, wallet, onDone }: { view: SubscriptionView; plans: PlanList; wallet: Wallet; onDone: (m: string) => Promise<void> }) {
  const i18n = useI18n();
  const { t } = i18n;
  const choosing = useConfirm<{ plan: PlanPrice; years?: number }>();
  const [years, setYears] = useState(plans.multiYear.minYears);
  const s = view.subscription;
  // A running paid plan cannot change mid-term (R10): cancel first. During a trial the next plan can be chosen.
  const running = s && s.status !== 'ended' && s.plan !== 'trial';
  if (running) return null;
  const primary = wallet.cards.find((c) => c.primary) ?? null;
  const offered = plans.plans.filter((p) => p.plan !== 'trial' || (view.trial.available && view.state !== 'trial'));
  const price = (p: PlanPrice, n?: number) => i18n.money(p.plan === 'multi-year' ? p.priceCents * (n ?? years) : p.priceCents, plans.currency);
  return (
    <section aria-labelledby="plans-title">
      <h2 id="plans-title" ref={choosing.returnFocus} tabIndex={-1}>
        {view.state === 'trial' ? t('plans.afterTrial') : t('plans.title')}
      </h2>
      {!primary && (
        <p class="hint" id="no-card">
          {t('plans.needCard')} <a href={hrefOf({ page: 'cards' })}>{t('plans.addCard')}</a>
        </p>
      )}
      <ul class="cards plans">
        {offered.map((p) => (
          <li key={p.plan} class="card plan" data-plan={p.plan}>
            <h3>{planName(i18n, p.plan, p.plan === 'multi-year' ? years : undefined)}</h3>
            <p class="price">{p.plan === 'trial' ? t('plans.free', { days: daysLeft(view.trial.endsAt) }) : t(`plans.per.${p.plan}`, { price: price(p) })}</p>
            {p.plan === 'multi-year' && (
              <label class="inline">
                {t('plans.years')}
                <select value={years} onChange={(e) => setYears(Number(e.currentTarget.value))}>
                  {Array.from({ length: plans.multiYear.maxYears - plans.multiYear.minYears + 1 }, (_, k) => plans.multiYear.minYears + k).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </label>
            )}
            <button type="button" class="primary" disabled={p.plan !== 'trial' && !primary} onClick={() => choosing.ask({ plan: p, ...(p.plan === 'multi-year' ? { years } : {}) })}>
              {t('plans.choose', { plan: planName(i18n, p.plan, p.plan === 'multi-year' ? years : undefined) })}
            </button>
          </li>
        ))}
      </ul>
      {choosing.dialog((chosen) => ({
        title: t('plans.confirmTitle', { plan: planName(i18n, chosen.plan.plan, chosen.years) }),
        confirmLabel: chosen.plan.plan === 'trial' ? t('plans.startTrial') : t('plans.pay', { amount: price(chosen.plan, chosen.years) }),
        onConfirm: async () => {
          await api('post', '/v1/vehicles/{vin}/subscriptions', { params: { vin: view.vin }, body: { plan: chosen.plan.plan, ...(chosen.years ? { years: chosen.years } : {}) } });
          await onDone(t('plans.started', { plan: planName(i18n, chosen.plan.plan, chosen.years) }));
        },
        children:
          chosen.plan.plan === 'trial' ? (
            <p>{t('plans.trialText', { until: i18n.date(Date.parse(view.trial.endsAt)) })}</p>
          ) : (
            <>
              <p>{view.state === 'trial' ? t('plans.queuedText', { amount: price(chosen.plan, chosen.years), last4: primary?.last4 ?? '' }) : t('plans.payText', { amount: price(chosen.plan, chosen.years), last4: primary?.last4 ?? '' })}</p>
              <p>{t('plans.renewText')}</p>
            </>
          ),
      }))}
    </section>
  );
}
