/** My keys: the account's own keys on every vehicle (a shared user's view, R3); give one up. */
import { useState } from 'preact/hooks';
import { api } from '../../shared/api';
import { ErrorMessage, Notice } from '../../shared/components/Messages';
import { useI18n } from '../../shared/i18n/i18n';
import { useLoad } from '../../shared/useLoad';
import { Page } from '../App';
import { KeyList } from './VehicleKeysPage';

export function MyKeysPage() {
  const { t } = useI18n();
  const keys = useLoad(() => api('get', '/v1/me/keys').then((r) => r.keys), []);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <Page title={t('myKeys.title')}>
      <p>{t('myKeys.intro')}</p>
      <Notice>{notice}</Notice>
      <ErrorMessage error={keys.error} />
      {keys.data && (
        <KeyList
          keys={keys.data}
          showVin
          onDone={async (m) => {
            setNotice(m);
            await keys.reload();
          }}
        />
      )}
    </Page>
  );
}
