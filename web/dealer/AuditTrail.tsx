/** The vehicle's audit trail, ten entries a page, newest first, and its CSV download. */
import { useState } from 'preact/hooks';
import { api, download } from '../shared/api';
import { ErrorMessage } from '../shared/components/Messages';
import { useI18n } from '../shared/i18n/i18n';
import { useLoad } from '../shared/useLoad';

const PAGE = 10;

export function AuditTrail({ vin, version }: { vin: string; version: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const page = useLoad(() => api('get', '/v1/dealer/vehicles/{vin}/audit/page', { params: { vin }, query: { offset, limit: PAGE } }), [vin, offset, version]);
  const saveCsv = async () => {
    setError(null);
    try {
      const url = URL.createObjectURL(await download(`/v1/dealer/vehicles/${encodeURIComponent(vin)}/audit/export`));
      const link = document.createElement('a');
      link.href = url;
      link.download = `audit-${vin}.csv`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(err);
    }
  };
  const p = page.data;
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">{t('desk.audit')}</h2>
      <ErrorMessage error={page.error ?? error} />
      {p && p.total === 0 && <p>{t('desk.auditEmpty')}</p>}
      {p && p.total > 0 && (
        <>
          <p id="audit-range">{t('desk.auditPage', { from: p.offset + 1, to: p.offset + p.entries.length, total: p.total })}</p>
          <ul class="cards" id="audit">
            {p.entries.map((e) => (
              <li key={`${e.at}-${e.seq}-${e.action}`} class="card audit-entry" data-action={e.action}>
                <p>
                  <strong>{e.action}</strong> · {i18n.dateTime(e.at)} · {e.actorName ?? e.actor.role} ({e.actor.role})
                </p>
                <p class="reason">
                  {e.reason}
                  {e.note !== null && ` — ${e.note}`}
                </p>
                <p>
                  {e.keyIds.length} · {e.reachedCar ? t('desk.auditReached') : t('desk.auditWaiting')}
                </p>
              </li>
            ))}
          </ul>
          <p class="actions">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              {t('desk.newer')}
            </button>
            <button type="button" disabled={offset + PAGE >= p.total} onClick={() => setOffset(offset + PAGE)}>
              {t('desk.older')}
            </button>
          </p>
        </>
      )}
      <p>
        <button type="button" id="audit-csv" onClick={saveCsv}>
          {t('desk.csv')}
        </button>
      </p>
    </section>
  );
}
