/** Notifications: the account's outbox as an inbox, newest first, with the unread ones marked. */
import { useState } from 'preact/hooks';
import { api } from '../../shared/api';
import { ErrorMessage } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { useLoad } from '../../shared/useLoad';
import { Page } from '../App';
import { useSession } from '../session';

export function NotificationsPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const session = useSession();
  const list = useLoad(() => api('get', '/v1/me/notifications'), []);
  const [error, setError] = useState<unknown>(null);
  const markRead = async (body: { ids: string[] } | { all: true }) => {
    setError(null);
    try {
      await api('post', '/v1/me/notifications/read', { body });
      await Promise.all([list.reload(), session.reloadUnread()]);
    } catch (err) {
      setError(err);
    }
  };
  const items = list.data?.notifications ?? [];
  return (
    <Page title={t('notifications.title')}>
      <ErrorMessage error={list.error ?? error} />
      {list.data && <p id="unread-summary">{t('notifications.unread', { count: list.data.unread })}</p>}
      {list.data && list.data.unread > 0 && (
        <button type="button" onClick={() => void markRead({ all: true })}>
          {t('notifications.markAll')}
        </button>
      )}
      {list.data && items.length === 0 && <p>{t('notifications.none')}</p>}
      <ul class="cards" id="notification-list">
        {items.map((n) => (
          <li key={n.id} class={n.read ? 'card notification' : 'card notification unread'} data-kind={n.kind}>
            <h2 class="h3">
              {!n.read && <span class="tag">{t('notifications.new')}</span>} {i18n.lookup(`notification.${n.kind}`) ?? n.subject}
            </h2>
            <p class="hint">{i18n.dateTime(n.at)}</p>
            <p>{n.body}</p>
            {!n.read && (
              <button type="button" onClick={() => void markRead({ ids: [n.id] })}>
                {t('notifications.markRead', { subject: i18n.lookup(`notification.${n.kind}`) ?? n.subject })}
              </button>
            )}
          </li>
        ))}
      </ul>
    </Page>
  );
}
