/**
 * One vehicle at the desk: the customer, whether the car has the latest state, the subscription
 * (read-only), each key as a card naming its holder and device, revoking one phone or every key
 * (reason + step-up), helping the customer back in, and the audit trail.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../shared/api';
import type { Profile } from '../shared/apiTypes';
import { Field } from '../shared/components/Field';
import { ErrorMessage, Notice } from '../shared/components/Messages';
import { useI18n, type I18n } from '../shared/i18n/i18n';
import { planName } from '../shared/i18n/planName';
import { useConfirm } from '../shared/useConfirm';
import { useLoad } from '../shared/useLoad';
import { AuditTrail } from './AuditTrail';
import { View } from './DealerDesk';
import type { DealerKey, DealerVehicle } from './deskTypes';
import { RecoveryPanel } from './RecoveryPanel';
import { stepUp } from './stepUp';

type Revocation = { scope: 'passkey'; key: DealerKey } | { scope: 'all' };

export function VehicleView({ vin, me, onBack }: { vin: string; me: Profile; onBack: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const vehicle = useLoad(() => api('get', '/v1/dealer/vehicles/{vin}/keys', { params: { vin } }), [vin]);
  const [reason, setReason] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [auditVersion, setAuditVersion] = useState(0);
  const revoking = useConfirm<Revocation>();

  const revoke = async (subject: Revocation) => {
    if (reason.trim().length < 3) throw new ApiError('REASON_TOO_SHORT', 400, 'reason');
    await stepUp(me.accountId);
    const body = subject.scope === 'passkey' ? { scope: 'passkey' as const, passkeyId: subject.key.passkeyId, reason } : { scope: 'all' as const, reason };
    const result = await api('post', '/v1/dealer/vehicles/{vin}/revocations', { params: { vin }, body });
    setNotice(t('desk.revoked', { count: result.revokedKeyIds.length }));
    setReason('');
    setAuditVersion((v) => v + 1);
    await vehicle.reload();
  };

  const v = vehicle.data;
  return (
    <View title={vin}>
      <p>
        <button type="button" class="link" onClick={onBack}>
          {t('desk.search')}
        </button>
      </p>
      <ErrorMessage error={vehicle.error} />
      <Notice>{notice}</Notice>
      {v && (
        <>
          <section class="card" aria-labelledby="customer-title">
            <h2 id="customer-title">{t('desk.customer')}</h2>
            {v.customer ? (
              <p id="customer">
                {v.customer.displayName} &lt;{v.customer.email}&gt; ({v.customer.emailVerified ? t('desk.verified') : t('desk.unverified')})
              </p>
            ) : (
              <p>{t('desk.noCustomer')}</p>
            )}
          </section>
          <section class="card" aria-labelledby="car-title">
            <h2 id="car-title">{t('desk.car')}</h2>
            <p id="car-status" aria-live="polite">
              {carSentence(i18n, v.car)}
            </p>
            <button
              type="button"
              id="car-refresh"
              onClick={() => {
                setAuditVersion((n) => n + 1);
                void vehicle.reload();
              }}
            >
              {t('desk.checkAgain')}
            </button>
          </section>
          <Subscription sub={v.subscription} />
          <section aria-labelledby="keys-title">
            <h2 id="keys-title" ref={revoking.returnFocus} tabIndex={-1}>
              {t('desk.keys')}
            </h2>
            {v.keys.length === 0 ? (
              <p id="keys-empty">{t('desk.noKeys')}</p>
            ) : (
              <ul class="cards" id="keys">
                {v.keys.map((key) => (
                  <KeyCard key={key.keyId} k={key} onRevoke={() => revoking.ask({ scope: 'passkey', key })} />
                ))}
              </ul>
            )}
            <p>
              <button type="button" class="danger" id="revoke-all" onClick={() => revoking.ask({ scope: 'all' })}>
                {t('desk.revokeAll')}
              </button>
            </p>
          </section>
          {v.customer && <RecoveryPanel customer={v.customer} onDone={() => setAuditVersion((n) => n + 1)} />}
          <AuditTrail vin={vin} version={auditVersion} />
        </>
      )}
      {revoking.dialog((subject) => ({
        title: subject.scope === 'passkey' ? t('desk.revokeKey', names(i18n, subject.key)) : t('desk.revokeAll'),
        confirmLabel: t('desk.confirmRevoke'),
        danger: true,
        onConfirm: () => revoke(subject),
        children: (
          <>
            <p id="confirm-text">{subject.scope === 'passkey' ? t('desk.revokeKeyText') : t('desk.revokeAllText')}</p>
            <Field label={t('desk.reason')} value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={500} />
            <p class="hint">{t('desk.stepUpHint')}</p>
          </>
        ),
      }))}
    </View>
  );
}

/** The holder and the device, in words ("Pixel 8", "Anna Peeters"). */
function names(i18n: I18n, key: DealerKey): { device: string; holder: string } {
  return { device: key.passkeyLabel ?? i18n.t('desk.unknownDevice'), holder: key.holderName ?? i18n.t('desk.unknownHolder') };
}

function KeyCard({ k, onRevoke }: { k: DealerKey; onRevoke: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const { device, holder } = names(i18n, k);
  const window =
    k.notBefore === undefined && k.notAfter === undefined
      ? t('desk.always')
      : `${k.notBefore === undefined ? '…' : i18n.dateTime(k.notBefore * 1000)} – ${k.notAfter === undefined ? '…' : i18n.dateTime(k.notAfter * 1000)}`;
  return (
    <li class="card key-card" data-passkey-id={k.passkeyId} data-key-id={k.keyId}>
      <h3 class="h3">
        {device} · {holder}
      </h3>
      <dl class="facts">
        <dt>{t('desk.subState')}</dt>
        <dd class="role">{k.role === 'main' ? t('desk.role.main') : t('desk.role.shared')}</dd>
        <dt>{t('desk.perms')}</dt>
        <dd class="perms">{i18n.list(k.perms)}</dd>
        <dt>{t('desk.window')}</dt>
        <dd class="window">{window}</dd>
        <dt>{t('desk.created')}</dt>
        <dd>{i18n.dateTime(k.createdAt)}</dd>
        <dt>{t('desk.lastUsed')}</dt>
        <dd>{k.lastUsedAt === null ? t('desk.never') : i18n.dateTime(k.lastUsedAt)}</dd>
      </dl>
      <button type="button" class="danger" onClick={onRevoke}>
        {t('desk.revokeKey', { device, holder })}
      </button>
    </li>
  );
}

function carSentence(i18n: I18n, car: DealerVehicle['car']): string {
  if (car.state === 'reached' && car.appliedAt !== null) return i18n.t('desk.carReached', { at: i18n.dateTime(car.appliedAt) });
  if (car.lastSeenAt !== null) return i18n.t('desk.carWaiting', { at: i18n.dateTime(car.lastSeenAt) });
  return i18n.t('desk.carNever');
}

function Subscription({ sub }: { sub: DealerVehicle['subscription'] }) {
  const i18n = useI18n();
  const { t } = i18n;
  const when = (iso: string | null) => (iso === null ? t('desk.none') : i18n.dateTime(Date.parse(iso)));
  return (
    <section class="card" aria-labelledby="sub-title" id="subscription">
      <h2 id="sub-title">{t('desk.subscription')}</h2>
      <dl class="facts">
        <dt>{t('desk.subState')}</dt>
        <dd>
          {t(`desk.state.${sub.state}`)}
          {sub.trialDaysLeft !== null && ` (${t('desk.trialLeft', { count: sub.trialDaysLeft })})`}
        </dd>
        <dt>{t('desk.plan')}</dt>
        <dd>{sub.plan === null ? t('desk.none') : planName(i18n, sub.plan, sub.years)}</dd>
        <dt>{t('desk.renews')}</dt>
        <dd>{when(sub.renewsAt)}</dd>
        <dt>{t('desk.ends')}</dt>
        <dd>{when(sub.endsAt)}</dd>
        <dt>{t('desk.autoRenew')}</dt>
        <dd>{sub.autoRenew === null ? t('desk.none') : sub.autoRenew ? t('desk.yes') : t('desk.no')}</dd>
        <dt>{t('desk.lastPayment')}</dt>
        <dd>{sub.lastPayment ? `${t(`desk.payment.${sub.lastPayment.kind}`)} ${t(`desk.payment.${sub.lastPayment.status}`)}, ${when(sub.lastPayment.at)}` : t('desk.none')}</dd>
      </dl>
    </section>
  );
}
