/**
 * My vehicles: the vehicles of the account with their role and Standard Services; claim a vehicle
 * by the QR code inside it or by its odometer reading, after the R4d warning and the terms (R2);
 * activate Standard Services (R1); remove the vehicle (R4a) or give up the usage rights (R4c) after
 * the consequences are spelled out. After an e-mail recovery, the QR proof of presence (R15).
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../shared/api';
import type { MyVehicle } from '../../shared/apiTypes';
import { Field } from '../../shared/components/Field';
import { ErrorMessage, Notice } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { useConfirm } from '../../shared/useConfirm';
import { useLoad } from '../../shared/useLoad';
import { Page } from '../App';
import { normalizeVin, VIN } from '../forms';
import { hrefOf } from '../router';
import { useMe, useSession } from '../session';

export function VehiclesPage() {
  const { t } = useI18n();
  const me = useMe();
  const vehicles = useLoad(() => api('get', '/v1/me/vehicles').then((r) => r.vehicles), []);
  const [notice, setNotice] = useState<string | null>(null);
  const done = async (message: string) => {
    setNotice(message);
    await vehicles.reload();
  };
  return (
    <Page title={t('vehicles.title')}>
      <EmailBanner />
      {me.presenceRequired && <PresenceProof onDone={done} />}
      <Notice>{notice}</Notice>
      <ErrorMessage error={vehicles.error} />
      {vehicles.data && vehicles.data.length === 0 && <p id="no-vehicles">{t('vehicles.none')}</p>}
      {vehicles.data && vehicles.data.length > 0 && (
        <ul class="cards" id="vehicle-list">
          {vehicles.data.map((v) => (
            <VehicleItem key={v.vin} vehicle={v} onDone={done} />
          ))}
        </ul>
      )}
      <ClaimForm onDone={done} />
    </Page>
  );
}

function EmailBanner() {
  const { t } = useI18n();
  const me = useMe();
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (me.emailVerified !== false && !me.pendingEmail) return null;
  const address = me.pendingEmail ?? me.email;
  return (
    <div class="banner" id="email-banner">
      <p>{t('email.unverified', { email: address })}</p>
      {sent ? (
        <Notice>{t('email.resent', { email: address })}</Notice>
      ) : (
        <button type="button" onClick={() => api('post', '/v1/me/email-verifications', { body: {} }).then(() => setSent(true), setError)}>
          {t('email.resend')}
        </button>
      )}
      <ErrorMessage error={error} />
    </div>
  );
}

function VehicleItem({ vehicle, onDone }: { vehicle: MyVehicle; onDone: (m: string) => Promise<void> }) {
  const i18n = useI18n();
  const { t } = i18n;
  const ending = useConfirm<'remove' | 'relinquish'>();
  const [error, setError] = useState<unknown>(null);
  const main = vehicle.role === 'main';
  const activate = async () => {
    setError(null);
    try {
      await api('post', '/v1/vehicles/{vin}/standard-services', { params: { vin: vehicle.vin }, body: {} });
      await onDone(t('vehicles.activated', { vin: vehicle.vin }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <li class="card vehicle" data-vin={vehicle.vin}>
      <h2 ref={ending.returnFocus} tabIndex={-1}>
        <span class="visually-hidden">{t('vehicles.vin')} </span>
        <code>{vehicle.vin}</code>
      </h2>
      <dl class="facts">
        <dt>{t('vehicles.role')}</dt>
        <dd>{main ? t('role.main') : t('role.shared')}</dd>
        {main && (
          <>
            <dt>{t('vehicles.standardServices')}</dt>
            <dd class="standard-services">{vehicle.standardServicesActive ? t('vehicles.ssActive') : t('vehicles.ssInactive')}</dd>
          </>
        )}
        {vehicle.since !== null && (
          <>
            <dt>{t('vehicles.since')}</dt>
            <dd>{i18n.date(vehicle.since)}</dd>
          </>
        )}
      </dl>
      <ErrorMessage error={error} />
      <div class="actions">
        {main && !vehicle.standardServicesActive && (
          <button type="button" class="primary" onClick={activate}>
            {t('vehicles.activate')}
            <span class="visually-hidden"> {vehicle.vin}</span>
          </button>
        )}
        {main && (
          <a class="button" href={hrefOf({ page: 'subscription', vin: vehicle.vin })}>
            {t('vehicles.subscription')}
            <span class="visually-hidden"> {vehicle.vin}</span>
          </a>
        )}
        <a class="button" href={main ? hrefOf({ page: 'vehicle-keys', vin: vehicle.vin }) : hrefOf({ page: 'my-keys' })}>
          {main ? t('vehicles.keys') : t('vehicles.myKeys')}
          <span class="visually-hidden"> {vehicle.vin}</span>
        </a>
        {main && (
          <>
            <button type="button" class="danger" onClick={() => ending.ask('remove')}>
              {t('vehicles.remove')}
              <span class="visually-hidden"> {vehicle.vin}</span>
            </button>
            <button type="button" class="danger" onClick={() => ending.ask('relinquish')}>
              {t('vehicles.relinquish')}
              <span class="visually-hidden"> {vehicle.vin}</span>
            </button>
          </>
        )}
      </div>
      {ending.dialog((reason) => ({
        danger: true,
        title: reason === 'remove' ? t('vehicles.removeTitle', { vin: vehicle.vin }) : t('vehicles.relinquishTitle', { vin: vehicle.vin }),
        confirmLabel: reason === 'remove' ? t('vehicles.removeConfirm') : t('vehicles.relinquishConfirm'),
        onConfirm: async () => {
          const r = await api('delete', '/v1/me/vehicles/{vin}', { params: { vin: vehicle.vin }, body: { reason } });
          await onDone(t(reason === 'remove' ? 'vehicles.removed' : 'vehicles.relinquished', { vin: vehicle.vin, count: r.revokedKeyIds.length }));
        },
        children: (
          <>
            <p>{reason === 'remove' ? t('vehicles.removeWhen') : t('vehicles.relinquishWhen')}</p>
            <ul>
              <li>{t('vehicles.consequenceKeys')}</li>
              <li>{t('vehicles.consequenceSubscription')}</li>
              <li>{t('vehicles.consequenceBack')}</li>
            </ul>
          </>
        ),
      }))}
    </li>
  );
}

type Method = 'qr' | 'odometer';

function ClaimForm({ onDone }: { onDone: (m: string) => Promise<void> }) {
  const { t } = useI18n();
  const [vin, setVin] = useState('');
  const [method, setMethod] = useState<Method>('qr');
  const [qrToken, setQrToken] = useState('');
  const [odometer, setOdometer] = useState('');
  const [terms, setTerms] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const claiming = useConfirm<string>();

  const check = (event: Event) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    const normalized = normalizeVin(vin);
    if (!VIN.test(normalized)) found.vin = t('claim.vinInvalid');
    if (method === 'qr' && qrToken.trim().length < 16) found.qr = t('claim.qrInvalid');
    if (method === 'odometer' && !/^\d{1,7}$/.test(odometer.trim())) found.odometer = t('claim.odometerInvalid');
    if (!terms) found.terms = t('claim.termsMissing');
    setErrors(found);
    if (Object.keys(found).length === 0) claiming.ask(normalized);
  };

  const claim = async (target: string) => {
    const proof = method === 'qr' ? { method, qrToken: qrToken.trim() } : { method, odometerKm: Number(odometer.trim()) };
    try {
      await api('post', '/v1/vehicles/{vin}/claims', { params: { vin: target }, body: { ...proof, acceptTerms: true } });
    } catch (err) {
      // A wrong reading or code belongs next to its field, not only in the dialog.
      if (err instanceof ApiError && err.code === 'CLAIM_REJECTED') {
        setErrors({ [method === 'qr' ? 'qr' : 'odometer']: t(method === 'qr' ? 'claim.qrRejected' : 'claim.odometerRejected') });
        return;
      }
      throw err;
    }
    setVin('');
    setQrToken('');
    setOdometer('');
    setTerms(false);
    await onDone(t('claim.done', { vin: target }));
  };

  return (
    <section class="card" aria-labelledby="claim-title">
      <h2 id="claim-title" ref={claiming.returnFocus} tabIndex={-1}>
        {t('claim.title')}
      </h2>
      <form onSubmit={check} noValidate id="claim-form">
        <Field label={t('claim.vin')} hint={t('claim.vinHint')} value={vin} autocomplete="off" spellcheck={false} maxLength={40} error={errors.vin} onInput={(e) => setVin(e.currentTarget.value)} />
        <fieldset>
          <legend>{t('claim.how')}</legend>
          <label class="choice">
            <input type="radio" name="claim-method" value="qr" checked={method === 'qr'} onChange={() => setMethod('qr')} />
            {t('claim.byQr')}
          </label>
          <label class="choice">
            <input type="radio" name="claim-method" value="odometer" checked={method === 'odometer'} onChange={() => setMethod('odometer')} />
            {t('claim.byOdometer')}
          </label>
        </fieldset>
        {method === 'qr' ? (
          <Field label={t('claim.qr')} hint={t('claim.qrHint')} value={qrToken} autocomplete="off" spellcheck={false} maxLength={256} error={errors.qr} onInput={(e) => setQrToken(e.currentTarget.value)} />
        ) : (
          <Field label={t('claim.odometer')} hint={t('claim.odometerHint')} value={odometer} inputMode="numeric" autocomplete="off" maxLength={7} error={errors.odometer} onInput={(e) => setOdometer(e.currentTarget.value)} />
        )}
        <div class="warning" id="claim-warning">
          <p>{t('claim.warning')}</p>
        </div>
        <div class="field">
          <label class="choice">
            <input type="checkbox" checked={terms} aria-invalid={errors.terms ? 'true' : undefined} aria-describedby={errors.terms ? 'terms-error' : undefined} onChange={(e) => setTerms(e.currentTarget.checked)} />
            {t('claim.terms')}
          </label>
          {errors.terms && (
            <p class="field-error" id="terms-error" role="alert">
              {errors.terms}
            </p>
          )}
        </div>
        <button type="submit" class="primary">
          {t('claim.button')}
        </button>
      </form>
      {claiming.dialog((normalized) => ({
        danger: true,
        title: t('claim.confirmTitle', { vin: normalized }),
        confirmLabel: t('claim.confirm'),
        onConfirm: () => claim(normalized),
        children: (
          <>
            <p>{t('claim.warning')}</p>
            <p>{t('claim.confirmTerms')}</p>
          </>
        ),
      }))}
    </section>
  );
}

function PresenceProof({ onDone }: { onDone: (m: string) => Promise<void> }) {
  const { t } = useI18n();
  const session = useSession();
  const [vin, setVin] = useState('');
  const [qrToken, setQrToken] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    const normalized = normalizeVin(vin);
    const found: Record<string, string> = {};
    if (!VIN.test(normalized)) found.vin = t('claim.vinInvalid');
    if (qrToken.trim().length < 16) found.qr = t('claim.qrInvalid');
    setErrors(found);
    setError(null);
    if (Object.keys(found).length > 0) return;
    try {
      await api('post', '/v1/me/presence-proofs', { body: { vin: normalized, qrToken: qrToken.trim() } });
      await session.reloadMe();
      await onDone(t('presence.done'));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'CLAIM_REJECTED') setErrors({ qr: t('claim.qrRejected') });
      else setError(err);
    }
  };
  return (
    <section class="banner" aria-labelledby="presence-title" id="presence">
      <h2 id="presence-title">{t('presence.title')}</h2>
      <p>{t('presence.text')}</p>
      <form onSubmit={submit} noValidate>
        <Field label={t('claim.vin')} value={vin} spellcheck={false} autocomplete="off" error={errors.vin} onInput={(e) => setVin(e.currentTarget.value)} />
        <Field label={t('claim.qr')} hint={t('claim.qrHint')} value={qrToken} spellcheck={false} autocomplete="off" error={errors.qr} onInput={(e) => setQrToken(e.currentTarget.value)} />
        <ErrorMessage error={error} />
        <button type="submit" class="primary">
          {t('presence.button')}
        </button>
      </form>
    </section>
  );
}
