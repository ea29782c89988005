/**
 * The dealer desk's shell (issue 9): language, the dealer's session, and the view in use — log in,
 * enrol from an operator's invitation link (`#/enrol/<token>`), search, a vehicle. A non-dealer
 * account is told at login and logged out at once.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, onSessionChange, setSessionToken } from '../shared/api';
import type { Profile } from '../shared/apiTypes';
import { ErrorMessage } from '../shared/components/Messages';
import { browserLanguage, I18nContext, isLanguage, LANGUAGE_NAMES, LANGUAGES, makeI18n, useI18n, type Language } from '../shared/i18n/i18n';
import { logIn } from '../account/ceremonies';
import { EnrolView, enrolTokenOf } from './EnrolView';
import { SearchView } from './SearchView';
import { VehicleView } from './VehicleView';

type View = { kind: 'search' } | { kind: 'vehicle'; vin: string };

export function DealerDesk() {
  const [me, setMe] = useState<Profile | null>(null);
  const [chosen, setChosen] = useState<Language>(() => browserLanguage());
  const [view, setView] = useState<View>({ kind: 'search' });
  const [enrolToken, setEnrolToken] = useState(() => enrolTokenOf(location.hash));
  const language = me?.language && isLanguage(me.language) ? me.language : chosen;
  const i18n = useMemo(() => makeI18n(language, me?.timeZone ?? undefined), [language, me?.timeZone]);
  useEffect(() => {
    document.documentElement.lang = i18n.lang;
  }, [i18n.lang]);
  useEffect(() => onSessionChange((signedIn) => (signedIn ? undefined : setMe(null))), []);

  /** Leave the enrolment link: the token goes from the address bar, the desk shows login or search. */
  const leaveEnrolment = () => {
    history.replaceState(null, '', location.pathname + location.search);
    setEnrolToken(null);
  };
  const enrolled = async (token: string) => {
    setSessionToken(token);
    const profile = await api('get', '/v1/me');
    leaveEnrolment();
    setView({ kind: 'search' });
    setMe(profile);
  };

  const logOut = async () => {
    await api('delete', '/v1/sessions/current').catch(() => undefined);
    setSessionToken(null);
    setView({ kind: 'search' });
  };

  return (
    <I18nContext.Provider value={i18n}>
      <a class="skip" href="#main">
        {i18n.t('nav.skip')}
      </a>
      <header class="top">
        <span class="brand">{i18n.t('desk.title')}</span>
        <label class="language">
          {i18n.t('nav.language')}{' '}
          <select value={language} onChange={(event) => setChosen(event.currentTarget.value as Language)}>
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {LANGUAGE_NAMES[l]}
              </option>
            ))}
          </select>
        </label>
        {me && (
          <>
            <span id="who">{i18n.t('desk.signedInAs', { label: `${me.displayName} <${me.email}>` })}</span>
            <button type="button" class="link" onClick={logOut}>
              {i18n.t('nav.logOut')}
            </button>
          </>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {!me && enrolToken ? (
          <EnrolView token={enrolToken} onEnrolled={enrolled} onLogin={leaveEnrolment} />
        ) : !me ? (
          <LoginView onSignedIn={setMe} />
        ) : view.kind === 'search' ? (
          <SearchView onOpen={(vin) => setView({ kind: 'vehicle', vin })} />
        ) : (
          <VehicleView vin={view.vin} me={me} onBack={() => setView({ kind: 'search' })} />
        )}
      </main>
    </I18nContext.Provider>
  );
}

/** A view's title (focused when the view opens, and the document title) and its content. */
export function View({ title, children }: { title: string; children: ComponentChildren }) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · ${t('desk.title')}`;
    heading.current?.focus();
  }, [title]);
  return (
    <section class="page wide">
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </section>
  );
}

function LoginView({ onSignedIn }: { onSignedIn: (me: Profile) => void }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notDealer, setNotDealer] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setNotDealer(false);
    try {
      setSessionToken((await logIn()).token);
      const me = await api('get', '/v1/me');
      if (!me.dealer) {
        // Told here, not at the first look-up; the session is ended on the server too.
        await api('delete', '/v1/sessions/current').catch(() => undefined);
        setSessionToken(null);
        setNotDealer(true);
        return;
      }
      onSignedIn(me);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <View title={t('desk.loginTitle')}>
      <p>{t('desk.loginIntro')}</p>
      <form onSubmit={submit} noValidate>
        <ErrorMessage error={error} />
        {notDealer && (
          <p class="alert" role="alert" id="not-dealer">
            {t('desk.notDealer')}
          </p>
        )}
        <button type="submit" class="primary" id="login-button" disabled={busy}>
          {t('desk.loginButton')}
        </button>
      </form>
    </View>
  );
}
