/**
 * Issue 11: every list that grows has a bound — the outbox, the audit trails and the payment ledger
 * keep their newest entries — and key records go once no credential needs them (retention).
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { recordAccountAudit } from '../../server/accounts/accountAudit.js';
import { INBOX_WINDOW, markRead } from '../../server/notifications/inbox.js';
import { MemoryStore } from '../../server/store/memoryStore.js';
import { storeKeys } from '../../server/store/storeKeys.js';
import { uuidValue } from '../../server/store/storedForm.js';
import { expectRejectsWithCode } from '../support/expectErrorCode.js';
import { readTrail } from '../../server/store/yearlyTrail.js';
import { ManualClock } from '../../shared/clock.js';
import type { Store, StoreTransaction } from '../../server/store/store.js';
import { PaymentLedger } from '../../server/subscriptions/paymentLedger.js';
import { DEFAULT_SKEW_SECONDS, MAX_CREDENTIAL_LIFETIME_SECONDS } from '../../shared/credential/keyCredential.js';
import { revokeAllKeysByDealer } from '../../server/keys/revokeAllKeysByDealer.js';
import { ARCHIVE_DROPPED, AUDIT_ORDER, keyIdsOfEpoch, readAuditTrail } from '../../server/vehicles/auditTrail.js';
import { homeListedBy } from '../../server/vehicles/vehicleRepository.js';
import { shareKey } from '../support/ownerFixtures.js';
import { grantDealer } from '../../server/operator/grantDealer.js';
import { TEST_CARDS } from '../../server/subscriptions/simulatedPaymentGateway.js';
import type { PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { noticeIdField } from '../../server/notifications/outbox.js';


describe('bounded lists', () => {
  it("an account's outbox keeps its newest OUTBOX_ENTRIES_KEPT notifications, and their idempotency ids no more", async () => {
    const t = await startTestServer({ env: { OUTBOX_ENTRIES_KEPT: '20' } });
    onTestFinished(() => t.close());
    const p = t.phone();
    await p.signUp('busy@example.com', 'Busy');
    const accountId = p.accountId!;
    for (let i = 0; i < 25; i++) {
      t.clock.advance(1000);
      await t.app.outbox.notify(accountId, { kind: 'test', subject: `n${i}`, body: '', data: {} }, { id: `notice-${i}` });
    }
    const kept = await t.store.range(storeKeys.outbox(accountId), 0, -1);
    expect(kept).toHaveLength(20);
    expect(JSON.parse(kept.at(-1) ?? '{}')).toMatchObject({ s: 'n24' });
    expect(JSON.parse(kept[0] ?? '{}')).toMatchObject({ s: 'n5' });
    const ids = Object.keys(await t.store.hgetall(storeKeys.outboxIds(accountId)));
    expect(ids.sort()).toEqual(Array.from({ length: 20 }, (_, i) => noticeIdField(`notice-${i + 5}`)).sort());
    // A kept id still makes a repeated notice a no-op.
    await t.app.outbox.notify(accountId, { kind: 'test', subject: 'again', body: '', data: {} }, { id: 'notice-24' });
    expect(await t.store.range(storeKeys.outbox(accountId), 0, -1)).toHaveLength(20);
  });

  it('a notice is mailed even when trimming the old idempotency ids fails after its commit (its id is recorded: no retry would send it)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const inner = new MemoryStore({ clock });
    let failIdsRead = false;
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'hgetall') return (key: string) => (failIdsRead && key.endsWith(':outbox-ids') ? Promise.reject(new Error('store away')) : target.hgetall(key));
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const t = await startTestServer({ clock, store, env: { OUTBOX_ENTRIES_KEPT: '20' } });
    onTestFinished(() => t.close());
    const p = t.phone();
    await p.signUp('trim@example.com', 'Trim');
    failIdsRead = true;
    await t.app.outbox.notify(p.accountId!, { kind: 'test', subject: 'must arrive', body: '', data: {} }, { id: 'notice-trim' });
    expect(t.mailbox.sent.map((m) => m.message.subject)).toContain('must arrive');
  });

  it('read marks never outnumber the inbox window: marks of notifications that left it go when marking read', async () => {
    const t = await startTestServer();
    onTestFinished(() => t.close());
    const p = t.phone();
    await p.signUp('reader@example.com', 'Reader');
    const accountId = p.accountId!;
    const notify = (i: number) => t.app.outbox.notify(accountId, { kind: 'test', subject: `n${i}`, body: '', data: {} });
    for (let i = 0; i < INBOX_WINDOW; i++) await notify(i);
    await markRead(t.app.ctx, accountId, { all: true });
    expect(Object.keys(await t.store.hgetall(storeKeys.outboxRead(accountId)))).toHaveLength(INBOX_WINDOW);
    for (let i = 0; i < 50; i++) await notify(INBOX_WINDOW + i);
    expect(await markRead(t.app.ctx, accountId, { all: true })).toBe(0);
    const marks = Object.keys(await t.store.hgetall(storeKeys.outboxRead(accountId)));
    expect(marks).toHaveLength(INBOX_WINDOW);
    const shown = new Set((await t.app.outbox.list(accountId, INBOX_WINDOW)).map((n) => n.id));
    expect(marks.every((id) => shown.has(id))).toBe(true);
  });

  it('the audit trails and the ledger are appended with their configured bounds and retention years', async () => {
    const t = await startTestServer({
      env: { VEHICLE_AUDIT_ENTRIES_KEPT: '150', ACCOUNT_AUDIT_ENTRIES_KEPT: '120', LEDGER_ENTRIES_KEPT: '130', AUDIT_RETENTION_YEARS: '3', LEDGER_RETENTION_YEARS: '2' },
    });
    onTestFinished(() => t.close());
    const at = Date.UTC(2027, 5, 1);
    const accountId = '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41';
    const vin = 'WVWZZZ1JZ3W386752';
    const audit = t.app.ctx.vehicles.auditWrite({ at, vin, action: 'wipe', actor: { accountId: null, role: 'system' }, reason: 'r', keyIds: [], epoch: 1, seq: 1 });
    expect(audit.append[0]).toMatchObject({ key: storeKeys.vehicleAuditOfYear(vin, 2027), keepLast: 150 });
    expect(audit.expire).toContainEqual({ key: storeKeys.vehicleAuditOfYear(vin, 2027), atMs: Date.UTC(2031, 0, 1) });
    const commits: StoreTransaction[] = [];
    const recording = { commit: async (tx: StoreTransaction) => commits.push(tx) > 0 } as unknown as Store;
    await recordAccountAudit({ store: recording, config: t.config }, { at, accountId, action: 'account-closed', actor: { accountId, role: 'self' }, reason: 'r' });
    expect(commits[0]?.append?.[0]).toMatchObject({ key: storeKeys.accountAuditOfYear(accountId, 2027), keepLast: 120 });
    expect(commits[0]?.expire).toContainEqual({ key: storeKeys.accountAuditOfYear(accountId, 2027), atMs: Date.UTC(2031, 0, 1) });
    const ledger = new PaymentLedger({ store: recording, clock: t.clock, config: t.config });
    await ledger.appendOnce(vin, { kind: 'ledger', id: 'l1', at, entry: { id: 'l1', at, accountId, subscriptionId: 's', kind: 'charge', status: 'succeeded', amountCents: 1, currency: 'EUR', description: 'd', cardId: null, last4: null } });
    expect(commits[1]?.append?.[0]).toMatchObject({ key: storeKeys.vehiclePaymentsOfYear(vin, 2027), keepLast: 130 });
    expect(commits[1]?.expire).toEqual(
      expect.arrayContaining([
        { key: storeKeys.vehiclePaymentsOfYear(vin, 2027), atMs: Date.UTC(2030, 0, 1) },
        { key: storeKeys.vehicleEffectsDoneOfYear(vin, 2027), atMs: Date.UTC(2030, 0, 1) },
      ]),
    );
  });
});

describe('retention of key records (issue 11)', () => {
  const DEALER = '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41';
  const lastCredentialSeconds = MAX_CREDENTIAL_LIFETIME_SECONDS + DEFAULT_SKEW_SECONDS;

  async function vehicleWithTwoKeys(env: Record<string, string> = {}) {
    const t = await startTestServer({ env });
    onTestFinished(() => t.close());
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const guest = t.phone();
    await guest.signUp(`guest-${v.vin}@example.com`, 'Guest');
    const guestKeyId = await shareKey(owner, guest, v.vin);
    const ownerKeyId = owner.wallet.get(v.vin)!.keyId;
    return { t, vin: v.vin, owner, guest, keys: [{ keyId: ownerKeyId, passkeyId: owner.passkeyId! }, { keyId: guestKeyId, passkeyId: guest.passkeyId! }] };
  }

  /** Whether anything still names the key: its passkey's record (which a refresh finds it by), or a VIN index of before (none is written now). */
  async function indexed(t: TestServer, vin: string, key: { keyId: string; passkeyId: string }) {
    const given = await t.app.ctx.vehicles.keysGivenToPasskey(key.passkeyId);
    const passkey = await t.app.ctx.accounts.findPasskey(key.passkeyId);
    expect(await t.app.ctx.vehicles.homeOfKey(key.keyId)).toBeNull();
    return { vin: (passkey && homeListedBy(passkey, key.keyId)?.vin) ?? null, listed: given.some((g) => g.vin === vin && g.keyId === key.keyId) };
  }

  it("a wiped epoch's archive stays until its last credential could have expired, then goes with its indexes; the audit trail keeps the key ids (R13)", async () => {
    const { t, vin, keys } = await vehicleWithTwoKeys();
    await revokeAllKeysByDealer(t.app.ctx, { vin, dealer: DEALER, reason: 'stolen' });
    const archive = storeKeys.vehicleKeys(vin, 0);
    expect((await keyIdsOfEpoch(t.store, vin, 0)).sort()).toEqual(keys.map((k) => k.keyId).sort());

    t.clock.advance((lastCredentialSeconds - 1) * 1000);
    await t.app.scheduler.runDue();
    expect(Object.keys(await t.store.hgetall(archive))).toHaveLength(2);
    expect(await indexed(t, vin, keys[0]!)).toEqual({ vin, listed: true });

    t.clock.advance(2000);
    await t.app.scheduler.runDue();
    expect(await t.store.hgetall(archive)).toEqual({});
    for (const key of keys) expect(await indexed(t, vin, key)).toEqual({ vin: null, listed: false });
    expect((await t.app.ctx.vehicles.get(vin)).endedEpochs).toBeUndefined();
    const trail = await readAuditTrail(t.app.ctx, vin);
    const wipe = trail.find((e) => e.action === 'wipe');
    expect(wipe?.keyIds.sort()).toEqual(keys.map((k) => k.keyId).sort());
    expect(trail.at(-1)).toMatchObject({ action: ARCHIVE_DROPPED, wipedEpoch: 0, actor: { role: 'system' } });

    // Idempotent: running again drops nothing twice and writes no second entry.
    await t.app.scheduler.runDue();
    expect((await readAuditTrail(t.app.ctx, vin)).filter((e) => e.action === ARCHIVE_DROPPED)).toHaveLength(1);
  });

  it('R13 at ≤ 70 B per wiped key: the wipe and the archive drop are stored by position, compact, and still name every wiped key (issue 11)', async () => {
    const { t, vin, owner, keys: two } = await vehicleWithTwoKeys();
    // The sizing case: 3 keys per vehicle.
    const third = t.phone();
    await third.signUp(`third-${vin}@example.com`, 'Third');
    const keys = [...two, { keyId: await shareKey(owner, third, vin), passkeyId: third.passkeyId! }];
    const storedTrail = () => readTrail(t.store, t.app.ctx.vehicles.auditTrail(vin), t.clock.now(), 1000);
    const before = (await storedTrail()).length;
    await revokeAllKeysByDealer(t.app.ctx, { vin, dealer: DEALER, reason: 'stolen' });
    t.clock.advance((lastCredentialSeconds + 1) * 1000);
    await t.app.scheduler.runDue();
    const written = (await storedTrail()).slice(before);
    expect(written).toHaveLength(2);
    // What the re-key leaves of R13 (the two entries' stored text), per wiped key.
    const bytes = written.reduce((n, raw) => n + Buffer.byteLength(raw), 0);
    expect(bytes / keys.length).toBeLessThanOrEqual(70);
    // By position (AUDIT_ORDER), the time in base 36: no field names.
    for (const raw of written) {
      const values = JSON.parse(raw) as unknown[];
      expect(Array.isArray(values)).toBe(true);
      expect(values[AUDIT_ORDER.indexOf('t')]).toMatch(/^[0-9a-z]{8}$/);
    }
    expect(written.join('')).not.toContain(vin);
    const trail = (await readAuditTrail(t.app.ctx, vin)).slice(-2);
    const ids = keys.map((k) => k.keyId).sort();
    expect(trail[0]).toMatchObject({ action: 'wipe', vin, actor: { accountId: DEALER, role: 'dealer' }, wipedEpoch: 0, detail: { note: 'stolen' } });
    expect(trail[0]!.keyIds.sort()).toEqual(ids);
    expect(trail[1]).toMatchObject({ action: ARCHIVE_DROPPED, vin, actor: { accountId: null, role: 'system' }, wipedEpoch: 0 });
    expect(trail[1]!.keyIds.sort()).toEqual(ids);
  });

  it('audit entries written before their compact form, and before their positional form, read unchanged; one with too many values is CORRUPT_RECORD', async () => {
    const { t, vin, keys } = await vehicleWithTwoKeys();
    const entry = { at: 5, vin, action: ARCHIVE_DROPPED, actor: { accountId: null, role: 'system' }, reason: 'retention: the last credential of the wiped keys has expired', keyIds: keys.map((k) => k.keyId), wipedEpoch: 0, epoch: 1, seq: 1, detail: { t: 1, k: 'free' } };
    await t.store.commit({ append: [{ key: storeKeys.vehicleAudit(vin), value: JSON.stringify(entry) }] });
    expect((await readAuditTrail(t.app.ctx, vin)).at(-1)).toEqual(entry);
    // The compact object of before the positional form: short names, the time as a number.
    const compact = { t: 6, x: 'W', by: `dealer ${uuidValue.encode(DEALER) as string}`, why: 'stolen', we: 0, ep: 1, sq: 1, d: { note: 'n' } };
    await t.store.commit({ append: [{ key: storeKeys.vehicleAudit(vin), value: JSON.stringify(compact) }] });
    expect((await readAuditTrail(t.app.ctx, vin)).at(-1)).toMatchObject({ at: 6, vin, action: 'wipe', actor: { accountId: DEALER, role: 'dealer' }, reason: 'stolen', wipedEpoch: 0, epoch: 1, seq: 1, detail: { note: 'n' } });
    await t.store.commit({ append: [{ key: storeKeys.vehicleAudit(vin), value: JSON.stringify(['7', 'R', null, 1, 1, null, null, 'x', null, null, null, 'extra']) }] });
    await expectRejectsWithCode(readAuditTrail(t.app.ctx, vin), 'CORRUPT_RECORD');
  });

  it('WIPED_EPOCH_RETENTION keeps the archive that much longer', async () => {
    const { t, vin } = await vehicleWithTwoKeys({ WIPED_EPOCH_RETENTION: '30d' });
    await revokeAllKeysByDealer(t.app.ctx, { vin, dealer: DEALER, reason: 'stolen' });
    t.clock.advance((lastCredentialSeconds + 1) * 1000);
    await t.app.scheduler.runDue();
    expect(Object.keys(await t.store.hgetall(storeKeys.vehicleKeys(vin, 0)))).toHaveLength(2);
    t.clock.advance(30 * 86_400 * 1000);
    await t.app.scheduler.runDue();
    expect(await t.store.hgetall(storeKeys.vehicleKeys(vin, 0))).toEqual({});
  });

  it('a revoked key leaves the manifest state and the indexes once its last credential expired, not before', async () => {
    const { t, vin, owner, keys } = await vehicleWithTwoKeys();
    const guestKey = keys[1]!;
    await owner.api.request('DELETE', `/v1/vehicles/${vin}/keys/${guestKey.keyId}`);
    const until = (await t.app.ctx.vehicles.get(vin)).revoked[0]!.until;

    t.clock.set((until - 1) * 1000);
    await t.app.scheduler.runDue();
    expect((await t.app.ctx.vehicles.get(vin)).revoked.map((r) => r.keyId)).toEqual([guestKey.keyId]);
    expect(await indexed(t, vin, guestKey)).toEqual({ vin, listed: true });

    t.clock.set((until + 1) * 1000);
    await t.app.scheduler.runDue();
    expect((await t.app.ctx.vehicles.get(vin)).revoked).toEqual([]);
    expect(await indexed(t, vin, guestKey)).toEqual({ vin: null, listed: false });
    // The owner's live key is untouched, and the revocation's audit entry stays (R13).
    expect(await indexed(t, vin, keys[0]!)).toEqual({ vin, listed: true });
    expect((await readAuditTrail(t.app.ctx, vin)).some((e) => e.action === 'revoke' && e.keyIds.includes(guestKey.keyId))).toBe(true);
  });

  it("keys revoked before a wipe lose their indexes with the wiped epoch's archive", async () => {
    const { t, vin, owner, keys } = await vehicleWithTwoKeys();
    await owner.api.request('DELETE', `/v1/vehicles/${vin}/keys/${keys[1]!.keyId}`);
    await revokeAllKeysByDealer(t.app.ctx, { vin, dealer: DEALER, reason: 'stolen' });
    t.clock.advance((lastCredentialSeconds + 120) * 1000);
    await t.app.scheduler.runDue();
    for (const key of keys) expect(await indexed(t, vin, key)).toEqual({ vin: null, listed: false });
  });
});

describe('retention by age: audit trails and the payment ledger (issue 11)', () => {
  /** A dealer on a test server whose trails are kept `years` full years after their year. */
  async function deskWithRetention(env: Record<string, string>) {
    const t = await startTestServer({ env });
    onTestFinished(() => t.close());
    const dealer = t.phone();
    await dealer.signUp('aged-dealer@example.com', 'Dirk Dealer');
    await grantDealer(t.app.ctx, 'aged-dealer@example.com');
    return { t, dealer };
  }
  /** Move the clock and sign the phones in again (sessions are short-lived). */
  async function travel(t: TestServer, iso: string, ...phones: PhoneApp[]) {
    t.clock.set(Date.parse(iso));
    for (const p of phones) await p.logIn();
  }

  it('R13: a vehicle audit entry is kept AUDIT_RETENTION_YEARS full years after its year, then it goes (the dealer sees it until then)', async () => {
    const { t, dealer } = await deskWithRetention({ AUDIT_RETENTION_YEARS: '2' });
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    await dealer.api.request('POST', `/v1/dealer/vehicles/${v.vin}/revocations`, { scope: 'passkey', passkeyId: owner.passkeyId, reason: 'phone lost' });
    const page = async () => (await dealer.api.request<{ total: number; entries: Array<{ reason: string }> }>('GET', `/v1/dealer/vehicles/${v.vin}/audit/page`)).entries.map((e) => e.reason);
    expect(await page()).toEqual(['lost-phone: phone lost']);

    await travel(t, '2028-12-31T23:59:59Z', dealer);
    expect(await page()).toEqual(['lost-phone: phone lost']);
    await travel(t, '2029-01-01T00:00:00Z', dealer);
    expect(await page()).toEqual([]);
    expect(await t.store.range(storeKeys.vehicleAuditOfYear(v.vin, 2026), 0, -1)).toEqual([]);
  });

  it("R15: an account's recovery trail is kept AUDIT_RETENTION_YEARS full years after its year, then it goes", async () => {
    const { t, dealer } = await deskWithRetention({ AUDIT_RETENTION_YEARS: '1' });
    const customer = t.phone();
    const { accountId } = await customer.signUp('aged-customer@example.com', 'Customer');
    await dealer.api.request('POST', `/v1/dealer/accounts/${accountId}/recovery-codes`, { reason: 'identity card checked' });
    const trail = async () => (await dealer.api.request<{ entries: Array<{ action: string }> }>('GET', `/v1/dealer/accounts/${accountId}/audit`)).entries.map((e) => e.action);
    expect(await trail()).toEqual(['recovery-code-issued']);
    await travel(t, '2027-12-31T23:59:59Z', dealer);
    expect(await trail()).toEqual(['recovery-code-issued']);
    await travel(t, '2028-01-01T00:00:00Z', dealer);
    expect(await trail()).toEqual([]);
    expect(await t.store.range(storeKeys.accountAuditOfYear(accountId, 2026), 0, -1)).toEqual([]);
  });

  it('a payment ledger line and its done marker are kept LEDGER_RETENTION_YEARS full years after their year, then they go', async () => {
    const { t } = await deskWithRetention({ LEDGER_RETENTION_YEARS: '1' });
    const v = await t.provision();
    const owner = t.phone();
    await owner.signUp('aged-payer@example.com', 'Payer');
    await owner.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
    await owner.activateStandardServices(v.vin);
    await owner.api.request('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
    await owner.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'monthly' });
    const payments = async () => (await owner.api.request<{ payments: Array<{ kind: string; status: string }> }>('GET', `/v1/vehicles/${v.vin}/subscriptions/payments`)).payments;
    expect(await payments()).toMatchObject([{ kind: 'charge', status: 'succeeded' }]);
    const stored = async () => ({
      lines: (await t.store.range(storeKeys.vehiclePaymentsOfYear(v.vin, 2026), 0, -1)).length,
      done: Object.keys(await t.store.hgetall(storeKeys.vehicleEffectsDoneOfYear(v.vin, 2026))).length,
    });
    expect(await stored()).toEqual({ lines: 1, done: 1 });

    await travel(t, '2027-12-31T23:59:59Z', owner);
    expect(await payments()).toHaveLength(1);
    await travel(t, '2028-01-01T00:00:00Z', owner);
    expect(await payments()).toEqual([]);
    expect(await stored()).toEqual({ lines: 0, done: 0 });
  });
});
