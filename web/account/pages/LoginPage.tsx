/** Log in with a passkey of this device; a page that needed the login opens again afterwards. */
import { useState } from 'preact/hooks';
import { ErrorMessage } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { Page } from '../App';
import { logIn } from '../ceremonies';
import { continueAfterLogin, hrefOf, rememberAfterLogin, type Route } from '../router';
import { useSession } from '../session';

export function LoginPage({ next }: { next: Route | null }) {
  const { t } = useI18n();
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { token, passkeyId } = await logIn();
      if (next) rememberAfterLogin(next);
      await session.start(token, passkeyId);
      continueAfterLogin();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title={t('login.title')}>
      <p>{next ? t('login.neededFirst') : t('login.intro')}</p>
      <form onSubmit={submit} noValidate>
        <ErrorMessage error={error} />
        <button type="submit" class="primary" id="login-button" disabled={busy}>
          {t('login.button')}
        </button>
      </form>
      <ul class="links">
        <li>
          <a href={hrefOf({ page: 'signup' })} onClick={() => next && rememberAfterLogin(next)}>
            {t('login.toSignUp')}
          </a>
        </li>
        <li>
          <a href={hrefOf({ page: 'recover', token: null })}>{t('login.toRecover')}</a>
        </li>
      </ul>
    </Page>
  );
}
