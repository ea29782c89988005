/** The vehicle's audit trail, ten entries a page, newest first, and its CSV download. */
import { useState } from 'preact/hooks';
import { api, download } from '../shared/api';
import { ErrorMessage } from '../shared/components/Messages';
import { useI18n, type MessageKey } from '../shared/i18n/i18n';
import { useLoad } from '../shared/useLoad';

const PAGE = 10;

/** The audit codes the desk words; any other code is shown as it is. */
const ACTIONS: Readonly<Record<string, MessageKey>> = { revoke: 'desk.auditAction.revoke', wipe: 'desk.auditAction.wipe', deny: 'desk.auditAction.deny' };
const REASONS: Readonly<Record<string, MessageKey>> = {
  'revoked-by-user': 'desk.auditReason.revoked-by-user',
  'lost-phone': 'desk.auditReason.lost-phone',
  'dealer-revoked-all': 'desk.auditReason.dealer-revoked-all',
  'claimed-by-another': 'desk.auditReason.claimed-by-another',
  'subscription-ended': 'desk.auditReason.subscription-ended',
  'vehicle-removed': 'desk.auditReason.vehicle-removed',
  'usage-relinquished': 'desk.auditReason.usage-relinquished',
  'passkey-removed': 'desk.auditReason.passkey-removed',
  'account-closed': 'desk.auditReason.account-closed',
};
const ROLES: Readonly<Record<string, MessageKey>> = { main: 'desk.actor.main', shared: 'desk.actor.shared', dealer: 'desk.actor.dealer', operator: 'desk.actor.operator', system: 'desk.actor.system', claimant: 'desk.actor.claimant' };

/** A code in words, when the desk knows it. */
function worded(t: (key: MessageKey) => string, table: Readonly<Record<string, MessageKey>>, code: string): string {
  const key = table[code];
  return key === undefined ? code : t(key);
}

/** A reason in words: a known code, or a known code and the dealer's own words after ": ". */
function reasonText(t: (key: MessageKey) => string, reason: string): string {
  const split = reason.indexOf(': ');
  const [code, rest] = split < 0 ? [reason, null] : [reason.slice(0, split), reason.slice(split + 2)];
  const known = REASONS[code];
  if (known === undefined) return reason;
  return rest === null ? t(known) : `${t(known)}: ${rest}`;
}

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
                  <strong>{worded(t, ACTIONS, e.action)}</strong> · {i18n.dateTime(e.at)} · {e.actorName ?? worded(t, ROLES, e.actor.role)} ({worded(t, ROLES, e.actor.role)})
                </p>
                <p class="reason">
                  {reasonText(t, e.reason)}
                  {e.note !== null && ` — ${e.note}`}
                </p>
                <p>
                  {t('desk.auditKeyCount', { count: e.keyIds.length })} · {e.reachedCar ? t('desk.auditReached') : t('desk.auditWaiting')}
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
