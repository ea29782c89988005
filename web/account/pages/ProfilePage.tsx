/**
 * Mijn Profiel: display name, language and time zone, e-mail change (verified again), and the
 * account's passkeys with their label, last use and date added: add this device, rename, remove
 * (which ends that passkey's keys on every vehicle, as R6 does, after a clear warning). Closing the
 * account is at the bottom, with its consequences.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../shared/api';
import type { Passkey } from '../../shared/apiTypes';
import { Dialog } from '../../shared/components/Dialog';
import { Field } from '../../shared/components/Field';
import { ErrorMessage, Notice } from '../../shared/components/Messages';
import { browserTimeZone, isLanguage, LANGUAGE_NAMES, LANGUAGES, useI18n, type Language } from '../../shared/i18n/i18n';
import { useConfirm } from '../../shared/useConfirm';
import { Page } from '../App';
import { addThisDevice } from '../ceremonies';
import { deviceLabelGuess, EMAIL } from '../forms';
import { navigate } from '../router';
import { useMe, useSession } from '../session';

export function ProfilePage() {
  const { t } = useI18n();
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <Page title={t('profile.title')}>
      <Notice>{notice}</Notice>
      <PersonalForm onDone={setNotice} />
      <EmailForm onDone={setNotice} />
      <Passkeys onDone={setNotice} />
      <CloseAccount />
    </Page>
  );
}

function PersonalForm({ onDone }: { onDone: (m: string) => void }) {
  const { t } = useI18n();
  const me = useMe();
  const session = useSession();
  const [displayName, setDisplayName] = useState(me.displayName);
  const [language, setLanguage] = useState<Language | ''>(me.language ?? '');
  const [timeZone, setTimeZone] = useState(me.timeZone ?? '');
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const zones = Intl.supportedValuesOf('timeZone');
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!displayName.trim()) {
      setNameError(t('signup.nameMissing'));
      return;
    }
    setNameError(null);
    setError(null);
    try {
      await api('patch', '/v1/me', { body: { displayName: displayName.trim(), ...(language ? { language } : {}), ...(timeZone ? { timeZone } : {}) } });
      await session.reloadMe();
      onDone(t('profile.saved'));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="card" aria-labelledby="personal-title">
      <h2 id="personal-title">{t('profile.personal')}</h2>
      <form onSubmit={submit} noValidate id="profile-form">
        <Field label={t('signup.name')} value={displayName} maxLength={100} autocomplete="name" error={nameError} onInput={(e) => setDisplayName(e.currentTarget.value)} />
        <div class="field">
          <label for="profile-language">{t('nav.language')}</label>
          <select id="profile-language" value={language} onChange={(e) => setLanguage(isLanguage(e.currentTarget.value) ? e.currentTarget.value : '')}>
            <option value="">{t('profile.languageBrowser')}</option>
            {LANGUAGES.map((l) => (
              <option key={l} value={l} lang={l}>
                {LANGUAGE_NAMES[l]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="profile-zone">{t('profile.timeZone')}</label>
          <p class="hint" id="profile-zone-hint">
            {t('profile.timeZoneHint', { zone: browserTimeZone() })}
          </p>
          <select id="profile-zone" aria-describedby="profile-zone-hint" value={timeZone} onChange={(e) => setTimeZone(e.currentTarget.value)}>
            <option value="">{t('profile.timeZoneBrowser')}</option>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </div>
        <ErrorMessage error={error} />
        <button type="submit" class="primary">
          {t('profile.save')}
        </button>
      </form>
    </section>
  );
}

function EmailForm({ onDone }: { onDone: (m: string) => void }) {
  const { t } = useI18n();
  const me = useMe();
  const session = useSession();
  const [email, setEmail] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!EMAIL.test(email.trim())) {
      setFieldError(t('form.emailInvalid'));
      return;
    }
    setFieldError(null);
    setError(null);
    try {
      await api('patch', '/v1/me', { body: { email: email.trim() } });
      await session.reloadMe();
      setEmail('');
      onDone(t('email.changeSent', { email: email.trim() }));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'VALIDATION_FAILED') setFieldError(t('form.emailInvalid'));
      else setError(err);
    }
  };
  return (
    <section class="card" aria-labelledby="email-title">
      <h2 id="email-title">{t('email.title')}</h2>
      <p id="current-email">{me.emailVerified === false ? t('email.currentUnverified', { email: me.email }) : t('email.current', { email: me.email })}</p>
      {me.pendingEmail && <p class="hint">{t('email.pending', { email: me.pendingEmail })}</p>}
      <form onSubmit={submit} noValidate id="email-form">
        <Field label={t('email.new')} type="email" autocomplete="email" value={email} hint={t('email.newHint')} error={fieldError} onInput={(e) => setEmail(e.currentTarget.value)} />
        <ErrorMessage error={error} />
        <button type="submit">{t('email.change')}</button>
      </form>
    </section>
  );
}

function Passkeys({ onDone }: { onDone: (m: string) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const me = useMe();
  const session = useSession();
  const [renaming, setRenaming] = useState<Passkey | null>(null);
  const removing = useConfirm<Passkey>();
  const [label, setLabel] = useState(deviceLabelGuess);
  const [error, setError] = useState<unknown>(null);
  const nameOf = (p: Passkey) => p.label ?? t('keys.unnamedDevice');
  const isCurrent = (p: Passkey) => p.current ?? p.passkeyId === session.passkeyId;
  const add = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await addThisDevice(label.trim());
      await session.reloadMe();
      onDone(t('passkey.added', { label: label.trim() || t('keys.unnamedDevice') }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="card" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title" ref={removing.returnFocus} tabIndex={-1}>
        {t('passkey.title')}
      </h2>
      <p>{t('passkey.intro')}</p>
      <ul class="rows" id="passkey-list">
        {me.passkeys.map((p) => (
          <li key={p.passkeyId} class="row passkey" data-passkey-id={p.passkeyId}>
            <div>
              <strong>{nameOf(p)}</strong>
              {isCurrent(p) && <span class="tag">{t('passkey.thisDevice')}</span>}
              {p.disabled && <span class="tag muted">{t('passkey.disabled')}</span>}
              <p class="hint">
                {t('passkey.added_on', { at: i18n.date(p.createdAt) })} · {p.lastUsedAt ? t('passkey.lastUsed', { at: i18n.dateTime(p.lastUsedAt) }) : t('passkey.neverUsed')}
              </p>
            </div>
            {!p.disabled && (
              <div class="actions">
                <button type="button" onClick={() => setRenaming(p)}>
                  {t('passkey.rename', { label: nameOf(p) })}
                </button>
                <button type="button" class="danger" onClick={() => removing.ask(p)}>
                  {t('passkey.remove', { label: nameOf(p) })}
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      <form onSubmit={add} noValidate id="add-passkey">
        <h3>{t('passkey.addTitle')}</h3>
        <Field label={t('passkey.labelField')} hint={t('passkey.labelHint')} value={label} maxLength={60} onInput={(e) => setLabel(e.currentTarget.value)} />
        <ErrorMessage error={error} />
        <button type="submit">{t('passkey.add')}</button>
      </form>
      {renaming && <RenameDialog passkey={renaming} onClose={() => setRenaming(null)} onDone={onDone} />}
      {removing.dialog((passkey) => ({
        danger: true,
        title: t('passkey.removeTitle', { label: nameOf(passkey) }),
        confirmLabel: t('passkey.removeConfirm'),
        onConfirm: async () => {
          const r = await api('delete', '/v1/me/passkeys/{passkeyId}', { params: { passkeyId: passkey.passkeyId } });
          if (isCurrent(passkey)) {
            await session.logOut();
            return;
          }
          await session.reloadMe();
          onDone(t('passkey.removed', { label: nameOf(passkey), count: r.revokedKeyIds.length }));
        },
        children: (
          <>
            <p>{t('passkey.removeWarning')}</p>
            <p>{t('passkey.removeForGood')}</p>
            {isCurrent(passkey) && <p class="warning">{t('passkey.removeCurrent')}</p>}
          </>
        ),
      }))}
    </section>
  );
}

function RenameDialog({ passkey, onClose, onDone }: { passkey: Passkey; onClose: () => void; onDone: (m: string) => void }) {
  const { t } = useI18n();
  const session = useSession();
  const [label, setLabel] = useState(passkey.label ?? '');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!label.trim()) {
      setFieldError(t('passkey.labelMissing'));
      return;
    }
    try {
      await api('patch', '/v1/me/passkeys/{passkeyId}', { params: { passkeyId: passkey.passkeyId }, body: { label: label.trim() } });
      await session.reloadMe();
      onDone(t('passkey.renamed', { label: label.trim() }));
      onClose();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Dialog title={t('passkey.renameTitle')} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label={t('passkey.labelField')} value={label} maxLength={60} autofocus error={fieldError} onInput={(e) => setLabel(e.currentTarget.value)} />
        <ErrorMessage error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="primary">
            {t('passkey.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function CloseAccount() {
  const { t } = useI18n();
  const session = useSession();
  const closing = useConfirm<true, HTMLButtonElement>();
  return (
    <section class="card" aria-labelledby="close-title">
      <h2 id="close-title">{t('close.title')}</h2>
      <p>{t('close.intro')}</p>
      <button type="button" class="danger" ref={closing.returnFocus} onClick={() => closing.ask(true)}>
        {t('close.button')}
      </button>
      {closing.dialog(() => ({
        danger: true,
        title: t('close.confirmTitle'),
        confirmLabel: t('close.confirm'),
        onConfirm: async () => {
          await api('delete', '/v1/me', { body: { confirm: true } });
          await session.logOut();
          navigate({ page: 'signup' });
        },
        children: (
          <ul>
            <li>{t('close.vehicles')}</li>
            <li>{t('close.keys')}</li>
            <li>{t('close.data')}</li>
          </ul>
        ),
      }))}
    </section>
  );
}
