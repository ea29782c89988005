/** Find a vehicle by VIN (pasted with spaces or in lower case) or a customer by e-mail. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../shared/api';
import { Field } from '../shared/components/Field';
import { ErrorMessage } from '../shared/components/Messages';
import { useI18n } from '../shared/i18n/i18n';
import { View } from './DealerDesk';
import type { SearchResult } from './deskTypes';

/** What the server accepts as a VIN once whitespace is removed and letters upper-cased (shared/ids.ts). */
const VIN_PATTERN = /^[A-HJ-NPR-Z0-9]{17}$/;

export function SearchView({ onOpen }: { onOpen: (vin: string) => void }) {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const [result, setResult] = useState<SearchResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!q.trim()) return;
    setBusy(true);
    setError(null);
    try {
      // Not an e-mail: it must be a VIN, checked here so a typo never leaves the page.
      if (!q.includes('@') && !VIN_PATTERN.test(q.replace(/\s+/g, '').toUpperCase())) throw new ApiError('NOT_A_VIN', 400, 'q');
      const found = await api('get', '/v1/dealer/search', { query: { q } });
      setResult(found);
      if (found.kind === 'vin') setQ(found.query);
      // One vehicle by VIN: open it at once.
      if (found.kind === 'vin' && found.vehicles[0]) onOpen(found.vehicles[0].vin);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <View title={t('desk.search')}>
      <form onSubmit={submit} noValidate id="search-form">
        <Field label={t('desk.searchLabel')} hint={t('desk.searchHint')} value={q} onInput={(e) => setQ(e.currentTarget.value)} autocomplete="off" spellcheck={false} maxLength={254} />
        <ErrorMessage error={error} />
        <button type="submit" class="primary" id="search-button" disabled={busy}>
          {t('desk.searchButton')}
        </button>
      </form>
      {result && result.vehicles.length === 0 && (
        <p class="notice" role="status" id="nothing-found">
          {t('desk.nothingFound')}
        </p>
      )}
      {result && result.account && (
        <p id="found-account">
          {result.account.displayName} &lt;{result.account.email}&gt;
        </p>
      )}
      {result && result.vehicles.length > 0 && (
        <ul class="rows" id="search-results">
          {result.vehicles.map((v) => (
            <li key={v.vin} class="row">
              <button type="button" onClick={() => onOpen(v.vin)}>
                {t('desk.open', { vin: v.vin })}
              </button>
            </li>
          ))}
        </ul>
      )}
    </View>
  );
}
