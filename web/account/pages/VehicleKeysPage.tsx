/**
 * Keys and sharing of one vehicle (R3): every key with its holder's name and device label, a key
 * for this device, inviting someone with a profile (commands) and a validity window, the pending
 * invitations (revoke one), and revoking a shared key. A shared user sees only their own keys here.
 */
import { useState } from 'preact/hooks';
import { api } from '../../shared/api';
import { COMMANDS, type Command, type Invitation, type KeyView } from '../../shared/apiTypes';
import { Field } from '../../shared/components/Field';
import { ErrorMessage, Notice } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { secondsOfWallClock } from '../../shared/i18n/zonedTime';
import { useConfirm } from '../../shared/useConfirm';
import { useLoad } from '../../shared/useLoad';
import { Page } from '../App';
import { commandsText, windowText } from '../describe';
import { EMAIL } from '../forms';
import { hrefOf } from '../router';
import { useMe, usePasskeyId, useSession } from '../session';

export function VehicleKeysPage({ vin }: { vin: string }) {
  const { t } = useI18n();
  const passkeyId = usePasskeyId();
  const keys = useLoad(() => api('get', '/v1/vehicles/{vin}/keys', { params: { vin } }).then((r) => r.keys), [vin]);
  const invitations = useLoad(() => api('get', '/v1/vehicles/{vin}/invitations', { params: { vin } }).then((r) => r.invitations), [vin]);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const vehicles = useLoad(() => api('get', '/v1/me/vehicles').then((r) => r.vehicles), []);
  const isMain = vehicles.data?.some((v) => v.vin === vin && v.role === 'main') ?? false;
  const mineHere = keys.data?.some((k) => k.passkeyId === passkeyId) ?? false;
  const done = async (message: string) => {
    setNotice(message);
    await Promise.all([keys.reload(), invitations.reload()]);
  };
  const getKey = async () => {
    setError(null);
    try {
      await api('post', '/v1/vehicles/{vin}/keys', { params: { vin }, body: { passkeyId } });
      await done(t('keys.gotKey'));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Page title={t('keys.title', { vin })}>
      <p>
        <a href={hrefOf({ page: 'vehicles' })}>{t('common.backToVehicles')}</a>
      </p>
      <Notice>{notice}</Notice>
      <ErrorMessage error={keys.error} />
      {keys.data && isMain && !mineHere && (
        <div class="actions">
          <button type="button" class="primary" id="get-key" onClick={getKey}>
            {t('keys.getKey')}
          </button>
        </div>
      )}
      <ErrorMessage error={error} />
      {keys.data && <KeyList keys={keys.data} vin={vin} onDone={done} />}
      {isMain && (
        <>
          <InviteForm vin={vin} onDone={done} />
          <ErrorMessage error={invitations.error} />
          {invitations.data && <PendingInvitations invitations={invitations.data} vin={vin} onDone={done} />}
        </>
      )}
    </Page>
  );
}

/** The keys as a list of cards: readable at 390 px, one revoke button per key with its own name. */
export function KeyList({ keys, vin, onDone, showVin = false }: { keys: KeyView[]; vin?: string; onDone: (m: string) => Promise<void>; showVin?: boolean }) {
  const i18n = useI18n();
  const { t } = i18n;
  const me = useMe();
  const { passkeyId } = useSession();
  const revoking = useConfirm<KeyView>();
  const holder = (k: KeyView) => (k.accountId === me.accountId ? t('keys.you') : k.holderName ?? t('keys.someone'));
  const device = (k: KeyView) => (k.passkeyId === passkeyId ? t('keys.thisDevice') : k.passkeyLabel ?? t('keys.unnamedDevice'));
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title" ref={revoking.returnFocus} tabIndex={-1}>
        {t('keys.list')}
      </h2>
      {keys.length === 0 && <p id="no-keys">{t('keys.none')}</p>}
      <ul class="cards" id="key-list">
        {keys.map((k) => (
          <li key={k.keyId} class="card key" data-key-id={k.keyId} data-role={k.role}>
            <h3>
              {holder(k)} · {device(k)}
            </h3>
            <dl class="facts">
              {showVin && (
                <>
                  <dt>{t('vehicles.vin')}</dt>
                  <dd>
                    <code>{k.vin}</code>
                  </dd>
                </>
              )}
              <dt>{t('vehicles.role')}</dt>
              <dd>{k.role === 'main' ? t('role.main') : t('role.shared')}</dd>
              <dt>{t('keys.commands')}</dt>
              <dd>{commandsText(i18n, k.perms)}</dd>
              <dt>{t('keys.window')}</dt>
              <dd>{windowText(i18n, k)}</dd>
              <dt>{t('keys.created')}</dt>
              <dd>{i18n.dateTime(k.createdAt)}</dd>
            </dl>
            {(k.role === 'shared' || k.accountId === me.accountId) && (
              <button type="button" class="danger" onClick={() => revoking.ask(k)}>
                {k.accountId === me.accountId ? t('keys.giveUp', { device: device(k), vin: k.vin }) : t('keys.revoke', { holder: holder(k), device: device(k) })}
              </button>
            )}
          </li>
        ))}
      </ul>
      {revoking.dialog((key) => ({
        danger: true,
        title: key.accountId === me.accountId ? t('keys.giveUpTitle') : t('keys.revokeTitle', { holder: holder(key) }),
        confirmLabel: key.accountId === me.accountId ? t('keys.giveUpConfirm') : t('keys.revokeConfirm'),
        onConfirm: async () => {
          await api('delete', '/v1/vehicles/{vin}/keys/{keyId}', { params: { vin: vin ?? key.vin, keyId: key.keyId } });
          await onDone(t('keys.revoked'));
        },
        children: <p>{key.accountId === me.accountId ? t('keys.giveUpText', { vin: key.vin }) : t('keys.revokeText', { holder: holder(key), vin: key.vin })}</p>,
      }))}
    </section>
  );
}

function InviteForm({ vin, onDone }: { vin: string; onDone: (m: string) => Promise<void> }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [perms, setPerms] = useState<Command[]>(['unlock', 'lock']);
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [email, setEmail] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [link, setLink] = useState<{ url: string; expiresAt: number } | null>(null);
  const [copied, setCopied] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    // The inputs show a wall clock; it is read in the profile's zone, the one the hint names.
    const notBefore = secondsOfWallClock(from, i18n.timeZone);
    const notAfter = secondsOfWallClock(until, i18n.timeZone);
    if (perms.length === 0) found.perms = t('invite.permsMissing');
    if (notAfter !== null && notAfter * 1000 <= Date.now()) found.until = t('invite.untilPast');
    if (notBefore !== null && notAfter !== null && notAfter <= notBefore) found.until = t('invite.untilBeforeFrom');
    if (email.trim() && !EMAIL.test(email.trim())) found.email = t('form.emailInvalid');
    setErrors(found);
    setError(null);
    if (Object.keys(found).length > 0) return;
    try {
      const created = await api('post', '/v1/vehicles/{vin}/invitations', { params: { vin }, body: {
        perms,
        ...(notBefore !== null ? { notBefore } : {}),
        ...(notAfter !== null ? { notAfter } : {}),
        ...(email.trim() ? { email: email.trim() } : {}),
      } });
      setLink({ url: `${location.origin}/account/#/invitation/${created.code}`, expiresAt: created.expiresAt });
      setCopied(false);
      await onDone(t('invite.created'));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="invite-title" class="card">
      <h2 id="invite-title">{t('invite.title')}</h2>
      <form onSubmit={submit} noValidate id="invite-form">
        <fieldset aria-describedby={errors.perms ? 'perms-error' : undefined}>
          <legend>{t('invite.perms')}</legend>
          {COMMANDS.map((c) => (
            <label key={c} class="choice">
              <input type="checkbox" name="perms" value={c} checked={perms.includes(c)} onChange={(e) => setPerms(e.currentTarget.checked ? [...perms, c] : perms.filter((p) => p !== c))} />
              {t(`command.${c}`)}
            </label>
          ))}
          {errors.perms && (
            <p class="field-error" id="perms-error" role="alert">
              {errors.perms}
            </p>
          )}
        </fieldset>
        <Field label={t('invite.from')} type="datetime-local" value={from} hint={t('invite.windowHint', { zone: i18n.timeZone })} onInput={(e) => setFrom(e.currentTarget.value)} />
        <Field label={t('invite.until')} type="datetime-local" value={until} error={errors.until} onInput={(e) => setUntil(e.currentTarget.value)} />
        <Field label={t('invite.email')} type="email" value={email} hint={t('invite.emailHint')} error={errors.email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <ErrorMessage error={error} />
        <button type="submit" class="primary">
          {t('invite.button')}
        </button>
      </form>
      {link && (
        <div class="result" id="invitation-link">
          <p>{t('invite.share', { expires: i18n.dateTime(link.expiresAt) })}</p>
          <p class="link-box">
            <code id="invitation-url">{link.url}</code>
          </p>
          <button type="button" onClick={() => navigator.clipboard?.writeText(link.url).then(() => setCopied(true), () => setCopied(false))}>
            {t('invite.copy')}
          </button>
          {copied && <Notice>{t('invite.copied')}</Notice>}
        </div>
      )}
    </section>
  );
}

function PendingInvitations({ invitations, vin, onDone }: { invitations: Invitation[]; vin: string; onDone: (m: string) => Promise<void> }) {
  const i18n = useI18n();
  const { t } = i18n;
  const revoking = useConfirm<Invitation>();
  return (
    <section aria-labelledby="pending-title">
      <h2 id="pending-title" ref={revoking.returnFocus} tabIndex={-1}>
        {t('invite.pending')}
      </h2>
      {invitations.length === 0 && <p>{t('invite.noPending')}</p>}
      <ul class="cards" id="pending-invitations">
        {invitations.map((inv) => (
          <li key={inv.invitationId} class="card" data-invitation-id={inv.invitationId}>
            <p>{inv.email ? t('invite.for', { email: inv.email }) : t('invite.forAnyone')}</p>
            <p>
              {commandsText(i18n, inv.perms)} · {windowText(i18n, inv)}
            </p>
            <p class="hint">{t('invite.expires', { at: i18n.dateTime(inv.expiresAt) })}</p>
            <button type="button" class="danger" onClick={() => revoking.ask(inv)}>
              {t('invite.revoke', { who: inv.email ?? i18n.dateTime(inv.createdAt) })}
            </button>
          </li>
        ))}
      </ul>
      {revoking.dialog((invitation) => ({
        danger: true,
        title: t('invite.revokeTitle'),
        confirmLabel: t('invite.revokeConfirm'),
        onConfirm: async () => {
          await api('delete', '/v1/vehicles/{vin}/invitations/{invitationId}', { params: { vin, invitationId: invitation.invitationId } });
          await onDone(t('invite.revoked'));
        },
        children: <p>{t('invite.revokeText')}</p>,
      }))}
    </section>
  );
}
