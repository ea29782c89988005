/** Help the customer back in (R15): a one-time recovery code after an identity check, or an e-mail link; both with a reason. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../shared/api';
import { Field } from '../shared/components/Field';
import { Notice } from '../shared/components/Messages';
import { useI18n } from '../shared/i18n/i18n';
import { useConfirm } from '../shared/useConfirm';
import type { DealerCustomer } from './deskTypes';

type Help = 'code' | 'email';

export function RecoveryPanel({ customer, onDone }: { customer: DealerCustomer; onDone: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const helping = useConfirm<Help>();
  const label = customer.displayName;
  const help = async (kind: Help) => {
    if (reason.trim().length < 3) throw new ApiError('REASON_TOO_SHORT', 400, 'reason');
    const params = { accountId: customer.accountId };
    if (kind === 'code') {
      const { code, expiresAt } = await api('post', '/v1/dealer/accounts/{accountId}/recovery-codes', { params, body: { reason } });
      setDone(t('desk.codeIssued', { code, at: i18n.dateTime(expiresAt) }));
    } else {
      await api('post', '/v1/dealer/accounts/{accountId}/recovery-emails', { params, body: { reason } });
      setDone(t('desk.linkSent'));
    }
    setReason('');
    onDone();
  };
  return (
    <section class="card" aria-labelledby="recovery-title">
      <h2 id="recovery-title" ref={helping.returnFocus} tabIndex={-1}>
        {t('desk.recovery')}
      </h2>
      <p>{t('desk.recoveryText')}</p>
      <Notice>{done && <span id="recovery-result">{done}</span>}</Notice>
      <p class="actions">
        <button type="button" id="issue-code" onClick={() => helping.ask('code')}>
          {t('desk.issueCode', { label })}
        </button>
        <button type="button" id="send-link" disabled={!customer.emailVerified} onClick={() => helping.ask('email')}>
          {t('desk.sendLink', { label })}
        </button>
      </p>
      {helping.dialog((kind) => ({
        title: kind === 'code' ? t('desk.issueCode', { label }) : t('desk.sendLink', { label }),
        confirmLabel: kind === 'code' ? t('desk.issueCode', { label }) : t('desk.sendLink', { label }),
        onConfirm: () => help(kind),
        children: (
          <>
            <p>{t('desk.recoveryText')}</p>
            <Field label={t('desk.reason')} value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={500} />
          </>
        ),
      }))}
    </section>
  );
}
