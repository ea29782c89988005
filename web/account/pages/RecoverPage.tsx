/**
 * R15, account recovery after a lost phone: a one-time code from a dealer who checked the person's
 * identity, or a link sent to the account's verified address; either registers a new passkey on this
 * device. After an e-mail link, a main key needs the QR code inside the car first (the vehicles page
 * asks for it).
 */
import { useState } from 'preact/hooks';
import { api } from '../../shared/api';
import { Field } from '../../shared/components/Field';
import { ErrorMessage, Notice } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { Page } from '../App';
import { recover } from '../ceremonies';
import { deviceLabelGuess, EMAIL } from '../forms';
import { navigate } from '../router';
import { useSession } from '../session';

/** `ABCD-EFGH-…`: 20 Crockford base32 characters; dashes, spaces and case do not matter. */
const RECOVERY_CODE = /^[0-9A-HJKMNP-TV-Z]{20}$/;

export function RecoverPage({ token }: { token: string | null }) {
  const { t } = useI18n();
  return <Page title={t('recover.title')}>{token ? <RedeemEmailLink token={token} /> : <RecoverChoices />}</Page>;
}

function useRedeem() {
  const session = useSession();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (proof: { code: string } | { emailToken: string }, label: string) => {
    setBusy(true);
    setError(null);
    try {
      const recovered = await recover(proof, label.trim());
      await session.start(recovered.token, recovered.passkeyId);
      navigate({ page: 'vehicles' });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { run, error, busy };
}

function RecoverChoices() {
  const { t } = useI18n();
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | null>(null);
  const [label, setLabel] = useState(deviceLabelGuess);
  const redeem = useRedeem();
  const [email, setEmail] = useState('');
  const [emailError, setEmailError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);
  const [sendError, setSendError] = useState<unknown>(null);

  const submitCode = async (event: Event) => {
    event.preventDefault();
    const normalized = code.replace(/[\s-]+/g, '').toUpperCase();
    if (!RECOVERY_CODE.test(normalized)) {
      setCodeError(t('recover.codeInvalid'));
      return;
    }
    setCodeError(null);
    await redeem.run({ code: normalized }, label);
  };
  const submitEmail = async (event: Event) => {
    event.preventDefault();
    if (!EMAIL.test(email.trim())) {
      setEmailError(t('form.emailInvalid'));
      return;
    }
    setEmailError(null);
    setSendError(null);
    try {
      await api('post', '/v1/recovery/emails', { body: { email: email.trim() } });
      setSent(true);
    } catch (err) {
      setSendError(err);
    }
  };

  return (
    <>
      <p>{t('recover.intro')}</p>
      <section aria-labelledby="recover-code-title" class="card">
        <h2 id="recover-code-title">{t('recover.codeTitle')}</h2>
        <p>{t('recover.codeText')}</p>
        <form onSubmit={submitCode} noValidate>
          <Field label={t('recover.codeField')} hint={t('recover.codeHint')} value={code} autocomplete="one-time-code" spellcheck={false} error={codeError} onInput={(e) => setCode(e.currentTarget.value)} />
          <Field label={t('passkey.labelField')} hint={t('passkey.labelHint')} value={label} maxLength={60} onInput={(e) => setLabel(e.currentTarget.value)} />
          <ErrorMessage error={redeem.error} />
          <button type="submit" class="primary" disabled={redeem.busy}>
            {t('recover.codeButton')}
          </button>
        </form>
      </section>
      <section aria-labelledby="recover-email-title" class="card">
        <h2 id="recover-email-title">{t('recover.emailTitle')}</h2>
        <p>{t('recover.emailText')}</p>
        <form onSubmit={submitEmail} noValidate>
          <Field label={t('signup.email')} type="email" autocomplete="email" value={email} error={emailError} onInput={(e) => setEmail(e.currentTarget.value)} />
          <ErrorMessage error={sendError} />
          {sent && <Notice>{t('recover.emailSent', { email: email.trim() })}</Notice>}
          <button type="submit">{t('recover.emailButton')}</button>
        </form>
      </section>
    </>
  );
}

function RedeemEmailLink({ token }: { token: string }) {
  const { t } = useI18n();
  const [label, setLabel] = useState(deviceLabelGuess);
  const redeem = useRedeem();
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void redeem.run({ emailToken: token }, label);
      }}
    >
      <p>{t('recover.linkText')}</p>
      <p class="warning">{t('recover.linkPresence')}</p>
      <Field label={t('passkey.labelField')} hint={t('passkey.labelHint')} value={label} maxLength={60} onInput={(e) => setLabel(e.currentTarget.value)} />
      <ErrorMessage error={redeem.error} />
      <button type="submit" class="primary" disabled={redeem.busy}>
        {t('recover.linkButton')}
      </button>
    </form>
  );
}
