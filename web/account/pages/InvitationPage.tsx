/**
 * An invitation link: who invites, for which car, which commands and which window; accepting needs
 * a login or a sign-up first and gives this device a shared key with exactly that profile (R3).
 */
import { useState } from 'preact/hooks';
import { api } from '../../shared/api';
import { ErrorMessage, Notice } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { useLoad } from '../../shared/useLoad';
import { Page } from '../App';
import { commandsText, windowText } from '../describe';
import { hrefOf, rememberAfterLogin } from '../router';
import { useSession } from '../session';

export function InvitationPage({ code }: { code: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const session = useSession();
  const preview = useLoad(() => api('get', '/v1/invitations/{code}', { params: { code } }), [code]);
  const [accepted, setAccepted] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const here = { page: 'invitation' as const, code };
  // Signed in means a profile and the passkey of this browser, which the new key is bound to.
  const passkeyId = session.me ? session.passkeyId : null;
  const accept = async (passkeyId: string) => {
    setBusy(true);
    setError(null);
    try {
      await api('post', '/v1/invitations/{code}/accept', { params: { code }, body: { passkeyId } });
      setAccepted(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const p = preview.data;
  return (
    <Page title={t('invitation.title')}>
      <ErrorMessage error={preview.error} />
      {p && (
        <div class="card" id="invitation">
          <p>{t('invitation.who', { name: p.invitedBy.displayName })}</p>
          <dl class="facts">
            <dt>{t('vehicles.vin')}</dt>
            <dd>
              <code>{p.vin}</code>
            </dd>
            <dt>{t('keys.commands')}</dt>
            <dd>{commandsText(i18n, p.perms)}</dd>
            <dt>{t('keys.window')}</dt>
            <dd>{windowText(i18n, p)}</dd>
            <dt>{t('invitation.expires')}</dt>
            <dd>{i18n.dateTime(p.expiresAt)}</dd>
          </dl>
          {p.emailBound && <p class="hint">{t('invitation.emailBound')}</p>}
        </div>
      )}
      {accepted ? (
        <>
          <Notice>{t('invitation.accepted', { vin: p?.vin ?? '' })}</Notice>
          <p>
            <a href={hrefOf({ page: 'my-keys' })}>{t('invitation.toMyKeys')}</a>
          </p>
        </>
      ) : passkeyId ? (
        p && (
          <>
            <p>{t('invitation.thisDevice')}</p>
            <ErrorMessage error={error} />
            <button type="button" class="primary" id="accept-invitation" disabled={busy} onClick={() => accept(passkeyId)}>
              {t('invitation.accept')}
            </button>
          </>
        )
      ) : (
        p && (
          <>
            <p>{t('invitation.loginFirst')}</p>
            <div class="actions">
              <a class="button primary" href={hrefOf({ page: 'login' })} onClick={() => rememberAfterLogin(here)}>
                {t('invitation.logIn')}
              </a>
              <a class="button" href={hrefOf({ page: 'signup' })} onClick={() => rememberAfterLogin(here)}>
                {t('invitation.signUp')}
              </a>
            </div>
          </>
        )
      )}
    </Page>
  );
}
