/**
 * A dealer's enrolment from an operator's invitation link (`#/enrol/<token>`): says for which address
 * and until when, asks a display name and a device label, registers the dealer's passkey and hands
 * the new dealer session to the desk. A used or expired link, an address that has an account, and a
 * cancelled passkey prompt are each told in a sentence; a cancelled prompt can be tried again.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../shared/api';
import type { Answer } from '../shared/apiTypes';
import { Field } from '../shared/components/Field';
import { ErrorMessage } from '../shared/components/Messages';
import { useI18n } from '../shared/i18n/i18n';
import { createPasskey, PasskeyCancelled } from '../shared/webauthn';
import { deviceLabelGuess } from '../account/forms';
import { View } from './DealerDesk';

/** The token of an enrolment link's hash (`#/enrol/<token>`), or null. */
export function enrolTokenOf(hash: string): string | null {
  return /^#\/enrol\/(.+)$/.exec(hash)?.[1] ?? null;
}

type Preview = Answer<'/v1/dealer-invitations/{token}', 'get'>;

/** `POST …/options`, a new passkey, `POST …/passkeys`: the new dealer's session. */
async function enrol(token: string, input: { displayName: string; label: string }): Promise<string> {
  const { challengeId, options } = await api('post', '/v1/dealer-invitations/{token}/options', { params: { token }, body: { displayName: input.displayName } });
  const response = await createPasskey(options);
  const done = await api('post', '/v1/dealer-invitations/{token}/passkeys', { params: { token }, body: { challengeId, response, ...(input.label ? { label: input.label } : {}) } });
  return done.token;
}

/** The link can no longer be used: say why, and offer the login instead of the form. */
function refusal(error: unknown): 'desk.enrolInvalid' | 'desk.enrolTaken' | null {
  if (!(error instanceof ApiError)) return null;
  if (error.code === 'INVITATION_INVALID' || error.code === 'VALIDATION_FAILED') return 'desk.enrolInvalid';
  if (error.code === 'ACCOUNT_EXISTS') return 'desk.enrolTaken';
  return null;
}

export function EnrolView({ token, onEnrolled, onLogin }: { token: string; onEnrolled: (sessionToken: string) => Promise<void>; onLogin: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [label, setLabel] = useState(deviceLabelGuess);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api('get', '/v1/dealer-invitations/{token}', { params: { token } }).then(setPreview, setError);
  }, [token]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const missing = name.trim() ? null : t('desk.enrolNameMissing');
    setNameError(missing);
    if (missing) return;
    setBusy(true);
    setError(null);
    try {
      await onEnrolled(await enrol(token, { displayName: name.trim(), label: label.trim() }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const refused = refusal(error);
  return (
    <View title={t('desk.enrolTitle')}>
      {refused ? (
        <>
          <p class="alert" role="alert" id="enrol-refused">
            {t(refused)}
          </p>
          <button type="button" class="primary" onClick={onLogin}>
            {t('desk.enrolToLogin')}
          </button>
        </>
      ) : !preview ? (
        <ErrorMessage error={error} />
      ) : (
        <>
          <p id="enrol-for">{t('desk.enrolFor', { email: preview.email, at: i18n.dateTime(preview.expiresAt) })}</p>
          <p>{t('desk.enrolIntro')}</p>
          <form onSubmit={submit} noValidate>
            <Field label={t('desk.enrolName')} value={name} autocomplete="name" maxLength={100} error={nameError} onInput={(e) => setName(e.currentTarget.value)} />
            <Field label={t('passkey.labelField')} hint={t('passkey.labelHint')} value={label} maxLength={60} onInput={(e) => setLabel(e.currentTarget.value)} />
            <ErrorMessage error={error} />
            <button type="submit" class="primary" id="enrol-button" disabled={busy}>
              {error instanceof PasskeyCancelled ? t('desk.enrolRetry') : t('desk.enrolButton')}
            </button>
          </form>
        </>
      )}
    </View>
  );
}
