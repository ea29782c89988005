/**
 * An outbox entry as stored (issue 11): short names, no account id (the outbox's key says it), the
 * instant in base 36, the id shortened, and for a notice whose text follows from its kind and data,
 * no subject or body (rendered again when read); the idempotency id kept as 16 characters of its
 * digest. Entries and ids written before (every field, the whole id) still read and still count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRevokedByMainUserText } from '../../../server/notifications/noticeTexts.js';
import { noticeIdField, notificationStoredForm } from '../../../server/notifications/outbox.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

const VIN = '2F6VK9CDBV2T00001';
const KEY_ID = '03cc2ea1-d3a0-4889-a7f5-4a2815e6e380';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

async function account(): Promise<string> {
  const p = t.phone();
  await p.signUp(`outbox-${Math.random().toString(36).slice(2)}@example.com`, 'Holder');
  return p.accountId!;
}

describe('an outbox entry as stored', () => {
  it('a notice whose text follows from its kind and data is stored as kind and data, and reads back whole', async () => {
    const accountId = await account();
    const notice = { kind: 'key-revoked', ...keyRevokedByMainUserText(VIN), data: { vin: VIN, keyId: KEY_ID, by: 'main-user' } };
    const sent = await t.app.outbox.notify(accountId, notice, { id: `key-revoked:${KEY_ID}` });
    const raw = (await t.store.range(storeKeys.outbox(accountId), -1, -1))[0] ?? '';
    const stored = JSON.parse(raw) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(['d', 'i', 'k', 't']);
    expect(stored.i).toBe(`:~${Buffer.from(KEY_ID.replaceAll('-', ''), 'hex').toString('base64url')}`);
    expect(stored.t).toMatch(/^[0-9a-z]{8}$/);
    expect(raw.length).toBeLessThan(JSON.stringify(sent).length / 2);
    expect((await t.app.outbox.list(accountId)).at(-1)).toEqual(sent);
    expect(Object.keys(await t.store.hgetall(storeKeys.outboxIds(accountId)))).toEqual([noticeIdField(`key-revoked:${KEY_ID}`)]);
  });

  it('a notice whose text is its own (another text under the same kind, or a kind with no rendering) keeps it; ids of every shape read back', async () => {
    const accountId = await account();
    const form = notificationStoredForm(accountId);
    const samples = [
      { id: `key-revoked:${KEY_ID}`, at: 5, accountId, kind: 'key-revoked', subject: 'A dealer revoked the keys of one of your phones', body: 'Other words.', data: { passkeyId: 'p', vins: [VIN], by: 'dealer' } },
      { id: KEY_ID, at: 0, accountId, kind: 'payment-failed', subject: 'S', body: 'B', data: { subscriptionId: KEY_ID, nested: { at: 'x' } } },
      { id: 'claimed-by-another:VIN:3', at: 1795608000000, accountId, kind: 'vehicle-claimed-by-another', subject: 'x', body: 'y', data: { vin: VIN } },
      { id: ':odd~', at: 7, accountId, kind: 'test', subject: '', body: '', data: {} },
      { id: 'test::x', at: 7, accountId, kind: 'test', subject: '', body: '', data: {} },
      { id: '!~', at: 7, accountId, kind: 'test', subject: '', body: '', data: {} },
      { id: `~${KEY_ID}`, at: 7, accountId, kind: 'test', subject: '', body: '', data: {} },
    ];
    for (const n of samples) expect(form.decode(JSON.parse(JSON.stringify(form.encode(n))))).toEqual(n);
    expect(form.encode(samples[0])).toHaveProperty('s');
  });

  it('entries and idempotency ids written before (every field, the whole id, a decimal time) still read and still make a repeat a no-op', async () => {
    const accountId = await account();
    const before = { id: `key-revoked:${KEY_ID}`, at: 1795608000000, accountId, kind: 'key-revoked', ...keyRevokedByMainUserText(VIN), data: { vin: VIN, keyId: KEY_ID, by: 'main-user' } };
    await t.store.commit({ append: [{ key: storeKeys.outbox(accountId), value: JSON.stringify(before) }], hset: [{ key: storeKeys.outboxIds(accountId), field: before.id, value: String(before.at) }] });
    expect((await t.app.outbox.list(accountId)).at(-1)).toEqual(before);
    const length = (await t.store.range(storeKeys.outbox(accountId), 0, -1)).length;
    await t.app.outbox.notify(accountId, { kind: before.kind, subject: before.subject, body: before.body, data: before.data }, { id: before.id });
    expect(await t.store.range(storeKeys.outbox(accountId), 0, -1)).toHaveLength(length);
  });
});
