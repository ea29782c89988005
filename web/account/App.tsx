/**
 * The customer portal's shell: language, session, navigation and the page of the current route.
 * Pages that need an account show the login first and come back after it.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, onSessionChange, setSessionToken } from '../shared/api';
import type { Profile } from '../shared/apiTypes';
import { browserLanguage, I18nContext, isLanguage, LANGUAGE_NAMES, LANGUAGES, makeI18n, useI18n, type Language, type MessageKey } from '../shared/i18n/i18n';
import { PUBLIC_PAGES, hrefOf, navigate, useRoute, type Route } from './router';
import { SessionContext, useSession, type Session } from './session';
import { CardsPage } from './pages/CardsPage';
import { InvitationPage } from './pages/InvitationPage';
import { LoginPage } from './pages/LoginPage';
import { MyKeysPage } from './pages/MyKeysPage';
import { NotificationsPage } from './pages/NotificationsPage';
import { ProfilePage } from './pages/ProfilePage';
import { RecoverPage } from './pages/RecoverPage';
import { SignUpPage } from './pages/SignUpPage';
import { SubscriptionPage } from './pages/SubscriptionPage';
import { VehicleKeysPage } from './pages/VehicleKeysPage';
import { VehiclesPage } from './pages/VehiclesPage';
import { VerifyEmailPage } from './pages/VerifyEmailPage';

export function App() {
  const [me, setMe] = useState<Profile | null>(null);
  const [passkeyId, setPasskeyId] = useState<string | null>(null);
  const [unread, setUnread] = useState(0);
  const [chosenLanguage, setChosenLanguage] = useState<Language>(() => browserLanguage());
  const route = useRoute();

  const language = me?.language && isLanguage(me.language) ? me.language : chosenLanguage;
  const i18n = useMemo(() => makeI18n(language, me?.timeZone ?? undefined), [language, me?.timeZone]);
  useEffect(() => {
    document.documentElement.lang = i18n.lang;
  }, [i18n.lang]);

  useEffect(
    () =>
      onSessionChange((signedIn) => {
        if (signedIn) return;
        setMe(null);
        setPasskeyId(null);
        setUnread(0);
      }),
    [],
  );

  const reloadMe = useCallback(async () => setMe(await api('get', '/v1/me')), []);
  const reloadUnread = useCallback(async () => {
    try {
      setUnread((await api('get', '/v1/me/notifications/unread-count')).unread);
    } catch {
      // The count is a convenience: a failure here must not break the page that asked.
    }
  }, []);
  const session: Session = {
    me,
    passkeyId,
    unread,
    async start(token, passkey) {
      setSessionToken(token);
      setPasskeyId(passkey);
      await reloadMe();
      await reloadUnread();
    },
    reloadMe,
    reloadUnread,
    async logOut() {
      await api('delete', '/v1/sessions/current').catch(() => undefined);
      setSessionToken(null);
      navigate({ page: 'login' });
    },
  };

  const changeLanguage = async (value: Language) => {
    setChosenLanguage(value);
    if (me) setMe(await api('patch', '/v1/me', { body: { language: value } }).catch(() => ({ ...me, language: value })));
  };

  return (
    <I18nContext.Provider value={i18n}>
      <SessionContext.Provider value={session}>
        <a class="skip" href="#main" onClick={skipToMain}>
          {i18n.t('nav.skip')}
        </a>
        <header class="top">
          <a class="brand" href={me ? '#/vehicles' : '#/login'}>
            {i18n.t('app.name')}
          </a>
          <LanguagePicker value={language} onChange={changeLanguage} />
          {me && <Navigation route={route} />}
        </header>
        <main id="main" tabIndex={-1}>
          <RoutedPage route={route} />
        </main>
      </SessionContext.Provider>
    </I18nContext.Provider>
  );
}

function skipToMain(event: Event) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function LanguagePicker({ value, onChange }: { value: Language; onChange: (l: Language) => void }) {
  const { t } = useI18n();
  return (
    <label class="language">
      <span>{t('nav.language')}</span>
      <select
        value={value}
        onChange={(e) => {
          const v = (e.currentTarget as HTMLSelectElement).value;
          if (isLanguage(v)) onChange(v);
        }}
      >
        {LANGUAGES.map((l) => (
          <option key={l} value={l} lang={l}>
            {LANGUAGE_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}

const NAV: ReadonlyArray<{ route: Route; label: MessageKey; pages: ReadonlyArray<Route['page']> }> = [
  { route: { page: 'vehicles' }, label: 'nav.vehicles', pages: ['vehicles', 'subscription', 'vehicle-keys'] },
  { route: { page: 'my-keys' }, label: 'nav.myKeys', pages: ['my-keys'] },
  { route: { page: 'cards' }, label: 'nav.cards', pages: ['cards'] },
  { route: { page: 'notifications' }, label: 'nav.notifications', pages: ['notifications'] },
  { route: { page: 'profile' }, label: 'nav.profile', pages: ['profile'] },
];

function Navigation({ route }: { route: Route | null }) {
  const { t } = useI18n();
  const session = useSession();
  return (
    <nav aria-label={t('nav.label')}>
      <ul>
        {NAV.map((item) => (
          <li key={item.label}>
            <a href={hrefOf(item.route)} aria-current={route && item.pages.includes(route.page) ? 'page' : undefined}>
              {t(item.label)}
              {item.route.page === 'notifications' && session.unread > 0 && (
                <span class="badge" id="unread-count">
                  <span class="visually-hidden">, {t('nav.unread', { count: session.unread })}</span>
                  <span aria-hidden="true">{session.unread}</span>
                </span>
              )}
            </a>
          </li>
        ))}
        <li>
          <button type="button" class="link" onClick={() => void session.logOut()}>
            {t('nav.logOut')}
          </button>
        </li>
      </ul>
    </nav>
  );
}

function RoutedPage({ route }: { route: Route | null }) {
  const { me } = useSession();
  if (!route) return <NotFound />;
  if (!me && !PUBLIC_PAGES.has(route.page)) return <LoginPage next={route} />;
  switch (route.page) {
    case 'login':
      return <LoginPage next={null} />;
    case 'signup':
      return <SignUpPage next={null} />;
    case 'verify-email':
      return <VerifyEmailPage token={route.token} />;
    case 'recover':
      return <RecoverPage token={route.token} />;
    case 'invitation':
      return <InvitationPage code={route.code} />;
    case 'vehicles':
      return <VehiclesPage />;
    case 'subscription':
      return <SubscriptionPage vin={route.vin} />;
    case 'vehicle-keys':
      return <VehicleKeysPage vin={route.vin} />;
    case 'my-keys':
      return <MyKeysPage />;
    case 'cards':
      return <CardsPage />;
    case 'profile':
      return <ProfilePage />;
    case 'notifications':
      return <NotificationsPage />;
  }
}

function NotFound() {
  const { t } = useI18n();
  return (
    <Page title={t('notFound.title')}>
      <p>{t('notFound.text')}</p>
      <p>
        <a href="#/vehicles">{t('notFound.home')}</a>
      </p>
    </Page>
  );
}

/**
 * A page: its title is the document's title and its heading, which takes focus when the page opens,
 * so a screen reader announces where the user now is.
 */
export function Page({ title, children, wide = false }: { title: string; children: ComponentChildren; wide?: boolean }) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · ${t('app.name')}`;
  }, [title]);
  useEffect(() => {
    heading.current?.focus({ preventScroll: false });
  }, []);
  return (
    <section class={wide ? 'page wide' : 'page'}>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </section>
  );
}
