/**
 * Sign up: name, e-mail and a passkey on this device (with user verification). The answer is the
 * same whether or not the address already has an account; the address owner learns by e-mail.
 */
import { useState } from 'preact/hooks';
import { ApiError } from '../../shared/api';
import { Field } from '../../shared/components/Field';
import { ErrorMessage } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { Page } from '../App';
import { labelPasskey, signUp } from '../ceremonies';
import { continueAfterLogin, hrefOf, rememberAfterLogin, type Route } from '../router';
import { useSession } from '../session';
import { deviceLabelGuess, EMAIL } from '../forms';

export function SignUpPage({ next }: { next: Route | null }) {
  const { t } = useI18n();
  const session = useSession();
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [label, setLabel] = useState(deviceLabelGuess);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!displayName.trim()) found.displayName = t('signup.nameMissing');
    if (!EMAIL.test(email.trim())) found.email = t('form.emailInvalid');
    setErrors(found);
    setError(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const created = await signUp({ email: email.trim(), displayName: displayName.trim() });
      if (next) rememberAfterLogin(next);
      await session.start(created.token, created.passkeyId);
      if (label.trim()) await labelPasskey(created.passkeyId, label.trim()).catch(() => undefined);
      await session.reloadMe();
      continueAfterLogin();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'VALIDATION_FAILED' && err.field) {
        setErrors({ [err.field]: err.field === 'email' ? t('form.emailInvalid') : t('form.checkField') });
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title={t('signup.title')}>
      <p>{t('signup.intro')}</p>
      <form onSubmit={submit} noValidate>
        <Field label={t('signup.name')} autocomplete="name" value={displayName} maxLength={100} required error={errors.displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
        <Field label={t('signup.email')} type="email" autocomplete="email" value={email} maxLength={254} required error={errors.email} hint={t('signup.emailHint')} onInput={(e) => setEmail(e.currentTarget.value)} />
        <Field label={t('passkey.labelField')} hint={t('passkey.labelHint')} value={label} maxLength={60} onInput={(e) => setLabel(e.currentTarget.value)} />
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {t('signup.button')}
        </button>
      </form>
      <p>
        <a href={hrefOf({ page: 'login' })}>{t('signup.toLogin')}</a>
      </p>
    </Page>
  );
}
