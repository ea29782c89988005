/** The link from the verification e-mail: confirms the address (or the new address of a change). */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../shared/api';
import { ErrorMessage, Notice } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { Page } from '../App';
import { useSession } from '../session';

export function VerifyEmailPage({ token }: { token: string }) {
  const { t } = useI18n();
  const session = useSession();
  const [verified, setVerified] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api('post', '/v1/email-verifications', { body: { token } })
      .then(async ({ email }) => {
        setVerified(email);
        if (session.me) await session.reloadMe();
      })
      .catch(setError);
  }, [token]);
  return (
    <Page title={t('verify.title')}>
      {verified === null && error === null && <p>{t('verify.working')}</p>}
      {verified !== null && <Notice>{t('verify.done', { email: verified })}</Notice>}
      <ErrorMessage error={error} />
      <p>
        <a href={session.me ? '#/vehicles' : '#/login'}>{session.me ? t('verify.toVehicles') : t('verify.toLogin')}</a>
      </p>
    </Page>
  );
}
