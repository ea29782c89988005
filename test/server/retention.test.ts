/** Issue 11: every list that grows has a bound — the outbox, the audit trails and the payment ledger keep their newest entries. */
import { describe, expect, it, onTestFinished } from 'vitest';
import { ACCOUNT_AUDIT_ENTRIES_KEPT, accountAuditAppend } from '../../server/accounts/accountAudit.js';
import { OUTBOX_ENTRIES_KEPT } from '../../server/notifications/outbox.js';
import { storeKeys } from '../../server/store/storeKeys.js';
import type { Store, StoreTransaction } from '../../server/store/store.js';
import { LEDGER_ENTRIES_KEPT, PaymentLedger } from '../../server/subscriptions/paymentLedger.js';
import { AUDIT_ENTRIES_KEPT, auditAppend } from '../../server/vehicles/auditTrail.js';
import { startTestServer } from '../support/testServer.js';


describe('bounded lists', () => {
  it(`an account's outbox keeps its newest ${OUTBOX_ENTRIES_KEPT} notifications`, async () => {
    const t = await startTestServer();
    onTestFinished(() => t.close());
    const p = t.phone();
    await p.signUp('busy@example.com', 'Busy');
    const accountId = p.accountId!;
    for (let i = 0; i < OUTBOX_ENTRIES_KEPT + 5; i++) await t.app.outbox.notify(accountId, { kind: 'test', subject: `n${i}`, body: '', data: {} });
    const kept = await t.store.range(storeKeys.outbox(accountId), 0, -1);
    expect(kept).toHaveLength(OUTBOX_ENTRIES_KEPT);
    expect(JSON.parse(kept.at(-1) ?? '{}')).toMatchObject({ subject: `n${OUTBOX_ENTRIES_KEPT + 4}` });
    expect(JSON.parse(kept[0] ?? '{}')).toMatchObject({ subject: 'n5' });
  });

  it('the audit trails and the ledger are appended with their bounds', async () => {
    const at = Date.now();
    const accountId = '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41';
    expect(auditAppend({ at, vin: 'WVWZZZ1JZ3W386752', action: 'wipe', actor: { accountId: null, role: 'system' }, reason: 'r', keyIds: [], epoch: 1, seq: 1 }).keepLast).toBe(AUDIT_ENTRIES_KEPT);
    expect(accountAuditAppend({ at, accountId, action: 'account-closed', actor: { accountId, role: 'self' }, reason: 'r' }).keepLast).toBe(ACCOUNT_AUDIT_ENTRIES_KEPT);
    const commits: StoreTransaction[] = [];
    const ledger = new PaymentLedger({ commit: async (tx: StoreTransaction) => commits.push(tx) > 0 } as unknown as Store);
    await ledger.appendOnce('WVWZZZ1JZ3W386752', { kind: 'ledger', id: 'l1', at, entry: { id: 'l1', at, accountId, subscriptionId: 's', kind: 'charge', status: 'succeeded', amountCents: 1, currency: 'EUR', description: 'd', cardId: null, last4: null } });
    expect(commits[0]?.append?.[0]?.keepLast).toBe(LEDGER_ENTRIES_KEPT);
  });
});
