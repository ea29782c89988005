/**
 * Every record read from the store goes through its schema: a subscription whose fields do not fit
 * its status, or a vehicle document someone corrupted, is CORRUPT_RECORD — and the API answers a
 * generic 500 (no detail of the record leaks), never a silently mistyped object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSKEY_ORDER } from '../../../server/accounts/accountRecord.js';
import { subscriptionSchema } from '../../../server/domain/subscriptionRecord.js';
import { KEY_ORDER, VEHICLE_ALIASES, keyField, vehicleRecordSchema, vehicleStoredForm, type VehicleRecord } from '../../../server/domain/vehicleRecord.js';
import { keyIdsOfEpoch } from '../../../server/vehicles/auditTrail.js';
import { compactForm, uuidValue } from '../../../server/store/storedForm.js';
import { MOVING_MARK } from '../../../server/store/bucketMove.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { shareKey } from '../../support/ownerFixtures.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';
import { expectRejectsWithCode } from '../../support/expectErrorCode.js';
import { codeOf } from '../../support/httpCalls.js';
import { revokeLostPasskey } from '../../../server/keys/revokeLostPasskey.js';

const base = {
  subscriptionId: 's1',
  accountId: 'a1',
  plan: 'monthly',
  createdAt: 0,
  anchor: 0,
  periodStart: 0,
  periodEnd: 1,
  periodsPaid: 1,
  autoRenew: true,
  failedAttempts: 1,
  refundedCents: 0,
};

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('a subscription is a union on its status', () => {
  it.each([
    ['past-due without the time of its next attempt', { ...base, status: 'past-due' }],
    ['ended without an end reason', { ...base, status: 'ended', endedAt: 5 }],
    ['an unknown status', { ...base, status: 'paused' }],
  ])('%s does not parse', (_what, record) => {
    expect(subscriptionSchema.safeParse(record).success).toBe(false);
  });

  it('each variant keeps exactly its fields: a retry time on an active subscription is dropped', () => {
    expect(subscriptionSchema.parse({ ...base, status: 'active', retryAt: 9 })).not.toHaveProperty('retryAt');
    expect(subscriptionSchema.parse({ ...base, status: 'past-due', retryAt: 9 })).toMatchObject({ status: 'past-due', retryAt: 9 });
  });
});

describe('a corrupt vehicle document', () => {
  it('is CORRUPT_RECORD in the repository and a generic 500 over HTTP', async () => {
    const { vin, odometerKm } = await t.provision();
    const phone = await t.mainUserWithKey(vin, odometerKm);
    const vehicle = await t.app.ctx.vehicles.get(vin);
    await t.store.set(storeKeys.vehicle(vin), JSON.stringify({ ...vehicle, epoch: 'one' }));
    await expectRejectsWithCode(t.app.ctx.vehicles.get(vin), 'CORRUPT_RECORD');
    const res = await fetch(`${t.baseUrl}/v1/vehicles/${vin}/keys`, { headers: { authorization: `Bearer ${phone.api.token}` } });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal error' } });
  });
});

describe('a key record as stored (issue 11: compact, and older records still read)', () => {
  it('leaves out what its place says (id, VIN, epoch), stores its values by position, is kept under its id as 22 characters, reads back whole, reads the older forms (under the 36-character id), and refuses one that names another place', async () => {
    const { vin, odometerKm } = await t.provision();
    const phone = await t.mainUserWithKey(vin, odometerKm);
    const keyId = phone.wallet.get(vin)!.keyId;
    const hash = storeKeys.vehicleKeys(vin, 0);
    expect(Object.keys(await t.store.hgetall(hash))).toEqual([keyField(keyId)]);
    expect(keyField(keyId)).toHaveLength(22);
    const raw = (await t.store.hget(hash, keyField(keyId))) ?? 'null';
    // By position (KEY_ORDER), without names: no id, VIN or epoch; account, passkey, role and commands as letters, the instant base 36; a main key has no more.
    const stored = JSON.parse(raw) as unknown[];
    expect(stored).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), phone.passkeyId, 'm', 'ulst', expect.stringMatching(/^[0-9a-z]{8}$/)]);
    expect(raw).not.toMatch(SPELLED_UUID);
    const key = await t.app.ctx.vehicles.key(vin, 0, keyId);
    expect(key).toMatchObject({ keyId, vin, epoch: 0, role: 'main', passkeyId: phone.passkeyId, perms: ['unlock', 'lock', 'start', 'trunk'] });

    // The second compact form (an object with short names, letters, base 36): still reads.
    const named = Object.fromEntries(stored.map((value, i) => [KEY_ORDER[i], value]));
    await t.store.commit({ hset: [{ key: hash, field: keyField(keyId), value: JSON.stringify(named) }] });
    expect(await t.app.ctx.vehicles.key(vin, 0, keyId)).toEqual(key);

    // Kept before under its 36-character id, in the first compact form (short names, role and commands spelled out, the instant a number): still reads.
    const first = { ...named, r: 'main', m: ['unlock', 'lock', 'start', 'trunk'], c: key!.createdAt };
    await t.store.commit({ hdel: [{ key: hash, field: keyField(keyId) }], hset: [{ key: hash, field: keyId, value: JSON.stringify(first) }] });
    expect(await t.app.ctx.vehicles.key(vin, 0, keyId)).toEqual(key);
    expect(await t.app.ctx.vehicles.keys(vin, 0)).toEqual([key]);
    expect(await keyIdsOfEpoch(t.store, vin, 0)).toEqual([keyId]);
    // Letters that name no command are no perms: CORRUPT_RECORD, never a silently mistyped key.
    await t.store.commit({ hset: [{ key: hash, field: keyId, value: JSON.stringify([...stored.slice(0, 3), 'ux', ...stored.slice(4)]) }] });
    await expectRejectsWithCode(t.app.ctx.vehicles.key(vin, 0, keyId), 'CORRUPT_RECORD');
    await t.store.commit({ hset: [{ key: hash, field: keyId, value: JSON.stringify({ ...named, m: 'ux' }) }] });
    await expectRejectsWithCode(t.app.ctx.vehicles.key(vin, 0, keyId), 'CORRUPT_RECORD');

    // A record written before issue 11 carries every field.
    await t.store.commit({ hset: [{ key: hash, field: keyId, value: JSON.stringify(key) }] });
    expect(await t.app.ctx.vehicles.key(vin, 0, keyId)).toEqual(key);
    expect(await t.app.ctx.vehicles.keys(vin, 0)).toEqual([key]);

    await t.store.commit({ hset: [{ key: hash, field: keyId, value: JSON.stringify({ ...key, epoch: 4 }) }] });
    await expectRejectsWithCode(t.app.ctx.vehicles.key(vin, 0, keyId), 'CORRUPT_RECORD');

    // Removing a key kept under its 36-character id takes it out.
    await t.store.commit(t.app.ctx.vehicles.keyRemovalWrites(key!));
    expect(await t.store.hgetall(hash)).toEqual({});
  });
});

/** A UUID spelled out (36 characters): the compact forms store UUIDs as 22. */
const SPELLED_UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('accounts, passkeys and vehicles as stored (issue 11: compact, and older records still read)', () => {
  it('an account leaves out its id and its defaults, uses short names, and the long form written before still reads (and is compacted by the next change)', async () => {
    const { vin, odometerKm } = await t.provision();
    const phone = await t.mainUserWithKey(vin, odometerKm);
    const accountId = phone.accountId!;
    const key = storeKeys.account(accountId);
    const stored = JSON.parse((await t.store.get(key)) ?? 'null') as Record<string, unknown>;
    expect(stored).not.toHaveProperty('accountId');
    expect(stored).not.toHaveProperty('dealer');
    expect(stored).not.toHaveProperty('displayName');
    const account = await t.app.ctx.accounts.find(accountId);
    expect(account).toMatchObject({ accountId, dealer: false, passkeyIds: [phone.passkeyId] });

    await t.store.set(key, JSON.stringify(account));
    expect(await t.app.ctx.accounts.find(accountId)).toEqual(account);
    await t.app.ctx.accounts.update(accountId, (a) => ({ ...a, displayName: 'Renamed' }));
    expect(JSON.parse((await t.store.get(key)) ?? 'null')).not.toHaveProperty('accountId');
    expect(await t.app.ctx.accounts.find(accountId)).toEqual({ ...account, displayName: 'Renamed' });

    await t.store.set(key, JSON.stringify({ ...account, accountId: 'c19ff893-4f61-4d2b-bbf3-145e3eec9da0' }));
    await expectRejectsWithCode(t.app.ctx.accounts.find(accountId), 'CORRUPT_RECORD');
  });

  it("the e-mail index holds the account id as 22 characters in the address's bucket; an entry written before under its own key (36 or 22) still reads, stays there, is claimed by its account only and released by it", async () => {
    const { vin, odometerKm } = await t.provision();
    const phone = await t.mainUserWithKey(vin, odometerKm);
    const accountId = phone.accountId!;
    const other = 'c19ff893-4f61-4d2b-bbf3-145e3eec9da0';
    const email = (await t.app.ctx.accounts.find(accountId))!.email;
    const place = t.app.ctx.accounts.buckets.email(email);
    expect(place.key).toMatch(/^sdk:\{eb:[0-9a-f]{1,5}\}:emails$/);
    // The field is 16 bytes of the address's HMAC: no address in the index.
    expect(place.field).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const inBucket = async () => t.store.hget(place.key, place.field);
    expect(await inBucket()).toBe(uuidValue.encode(accountId));
    expect(await t.store.get(place.before)).toBeNull();
    expect(await t.app.ctx.accounts.ownerOfEmail(email)).toBe(accountId);

    // As written before buckets, the id spelled out or as 22 characters: read, claimed and released
    // where it is, never moved (a released entry leaves its field empty, which a late move would refill).
    await t.store.commit({ hdel: [{ key: place.key, field: place.field }] });
    for (const written of [accountId, uuidValue.encode(accountId) as string]) {
      await t.store.set(place.before, written);
      expect(await t.app.ctx.accounts.ownerOfEmail(email)).toBe(accountId);
      expect((await t.app.ctx.accounts.findByEmail(email))?.accountId).toBe(accountId);
      expect(await t.app.ctx.accounts.claimEmail(email, accountId)).toBe(true);
      expect(await t.app.ctx.accounts.claimEmail(email, other)).toBe(false);
      await t.app.ctx.accounts.releaseEmail(email, other);
      expect(await t.store.get(place.before)).toBe(written);
      expect(await inBucket()).toBeNull();
      await t.app.ctx.accounts.releaseEmail(email, accountId);
      expect(await t.store.get(place.before)).toBeNull();
    }

    // Free, the address is claimed in its bucket, by one account only, and released there.
    expect(await t.app.ctx.accounts.claimEmail(email, other)).toBe(true);
    expect(await t.app.ctx.accounts.claimEmail(email, accountId)).toBe(false);
    await t.app.ctx.accounts.releaseEmail(email, accountId);
    expect(await t.app.ctx.accounts.ownerOfEmail(email)).toBe(other);
    await t.app.ctx.accounts.releaseEmail(email, other);
    expect(await inBucket()).toBeNull();
    expect(await t.store.get(place.before)).toBeNull();
  });

  it("an account lists the vehicles it claimed in its record (no hash of its own); a claim hash written before is still read, and pruned when the vehicle is removed", async () => {
    const a = await t.provision();
    const b = await t.provision();
    const owner = t.phone();
    await owner.signUp(`claims-${a.vin}@example.com`, 'Owner');
    await owner.claim(a.vin, { method: 'odometer', odometerKm: a.odometerKm });
    const accountId = owner.accountId!;
    expect((await t.app.ctx.accounts.find(accountId))?.claimedVins).toEqual([a.vin]);
    expect(JSON.parse((await t.store.get(storeKeys.account(accountId))) ?? 'null')).toMatchObject({ cv: [a.vin] });
    expect(await t.store.hgetall(storeKeys.accountVehicles(accountId))).toEqual({});

    // As a claim made before: only the hash lists it.
    await t.app.ctx.vehicles.update(b.vin, (v) => ({ vehicle: { ...v, mainUser: { accountId, since: 1, method: 'qr', termsAcceptedAt: 1 } }, result: null }));
    await t.store.commit({ hset: [{ key: storeKeys.accountVehicles(accountId), field: b.vin, value: '1' }] });
    const vins = async () => (await owner.api.request<{ vehicles: Array<{ vin: string }> }>('GET', '/v1/me/vehicles')).vehicles.map((v) => v.vin);
    expect(await vins()).toEqual([a.vin, b.vin].sort());
    await owner.api.request('DELETE', `/v1/me/vehicles/${b.vin}`, {});
    await owner.api.request('DELETE', `/v1/me/vehicles/${a.vin}`, {});
    expect(await vins()).toEqual([]);
    expect(await t.store.hgetall(storeKeys.accountVehicles(accountId))).toEqual({});
    expect((await t.app.ctx.accounts.find(accountId))?.claimedVins).toBeUndefined();
  });

  it('a passkey leaves out its id, a zero counter and no disabling, stores its values by position, and the object forms written before (short and long names) still read', async () => {
    const { vin, odometerKm } = await t.provision();
    const phone = await t.mainUserWithKey(vin, odometerKm);
    const passkeyId = phone.passkeyId!;
    const { key, field, before } = t.app.ctx.accounts.buckets.passkey(passkeyId);
    expect(key).toMatch(/^sdk:\{pb:[0-9a-f]{1,5}\}:passkeys$/);
    expect(field).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(field).not.toBe(passkeyId);
    expect(await t.store.get(before)).toBeNull();
    const read = async () => (await t.store.hget(key, field)) ?? 'null';
    const write = (text: string) => t.store.commit({ hset: [{ key, field, value: text }] });
    const raw = await read();
    // By position (PASSKEY_ORDER), without names: no id; the usual transports, flags and no disabling left out.
    const stored = JSON.parse(raw) as unknown[];
    const named = Object.fromEntries(stored.flatMap((value, i) => (value === null ? [] : [[PASSKEY_ORDER[i], value]]))) as Record<string, unknown>;
    expect(Object.keys(named)).not.toContain('d');
    expect(Object.keys(named)).not.toContain('t');
    expect(Object.keys(named)).not.toContain('b');
    expect(raw).not.toMatch(SPELLED_UUID);
    const passkey = await t.app.ctx.accounts.findPasskey(passkeyId);
    expect(passkey).toMatchObject({ passkeyId, accountId: phone.accountId, disabled: null });

    // The public key as its compressed point (":", y's parity and x), instants in base 36.
    expect(named.k).toMatch(/^:[A-Za-z0-9_-]{44}$/);
    const cose = Buffer.from(passkey!.publicKey, 'base64url');
    const y = cose.subarray(45);
    expect(Buffer.from((named.k as string).slice(1), 'base64url')).toEqual(Buffer.concat([Buffer.of(2 + (y[31]! & 1)), cose.subarray(10, 42)]));
    expect(named.c).toMatch(/^[0-9a-z]{8}$/);

    // The key as x ‖ y, as written before the compressed point, still reads.
    await write(JSON.stringify(stored.map((value, i) => (PASSKEY_ORDER[i] === 'k' ? `.${Buffer.concat([cose.subarray(10, 42), y]).toString('base64url')}` : value))));
    expect(await t.app.ctx.accounts.findPasskey(passkeyId)).toEqual(passkey);
    // A compressed point that is not on the curve, or not 33 bytes, or not canonical base64url, is a corrupt record.
    const x = cose.subarray(10, 42);
    for (const bad of [Buffer.concat([Buffer.of(2), Buffer.alloc(32, 0xff)]), Buffer.concat([Buffer.of(4), x]), Buffer.concat([Buffer.of(2), x, Buffer.of(0)])]) {
      await write(JSON.stringify(stored.map((value, i) => (PASSKEY_ORDER[i] === 'k' ? `:${bad.toString('base64url')}` : value))));
      await expectRejectsWithCode(t.app.ctx.accounts.findPasskey(passkeyId), 'CORRUPT_RECORD');
    }

    await write(JSON.stringify(passkey));
    expect(await t.app.ctx.accounts.findPasskey(passkeyId)).toEqual(passkey);
    // The second compact form (an object with short names) still reads.
    await write(JSON.stringify(named));
    expect(await t.app.ctx.accounts.findPasskey(passkeyId)).toEqual(passkey);
    // The first compact form (the COSE key whole, every flag, instants as numbers) still reads.
    await write(JSON.stringify({ ...named, k: passkey!.publicKey, b: true, c: passkey!.createdAt }));
    expect(await t.app.ctx.accounts.findPasskey(passkeyId)).toEqual(passkey);
    // A COSE key laid out otherwise is stored as it is.
    const other = `${passkey!.publicKey.slice(0, -2)}AA`;
    await t.app.ctx.accounts.updatePasskey(passkeyId, (p) => ({ ...p, publicKey: 'pQECAyYgASFYIA' }));
    expect((JSON.parse(await read()) as unknown[])[PASSKEY_ORDER.indexOf('k')]).toBe('pQECAyYgASFYIA');
    await t.app.ctx.accounts.updatePasskey(passkeyId, (p) => ({ ...p, publicKey: other }));
    expect((await t.app.ctx.accounts.findPasskey(passkeyId))?.publicKey).toBe(other);
    // Laid out as usual but with a y that is not on the curve with its x: stored whole, never compressed into another key.
    expect((JSON.parse(await read()) as unknown[])[PASSKEY_ORDER.indexOf('k')]).toMatch(/^\.[A-Za-z0-9_-]{86}$/);
    await t.app.ctx.accounts.updatePasskey(passkeyId, (p) => ({ ...p, publicKey: passkey!.publicKey }));
    const disabled = { at: 5, by: null, reason: 'lost' };
    await t.app.ctx.accounts.updatePasskey(passkeyId, (p) => ({ ...p, disabled }));
    expect(JSON.parse(await read())).toEqual(expect.arrayContaining([disabled]));
    expect(await t.app.ctx.accounts.findPasskey(passkeyId)).toEqual({ ...passkey, disabled });
  });

  it('a passkey stored before holder buckets (under its own key) cannot be registered again, moves into its bucket at its next login, and still refreshes and shares a key', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const passkeyId = owner.passkeyId!;
    const { key, field, before } = t.app.ctx.accounts.buckets.passkey(passkeyId);
    // Move the record where a server before buckets kept it.
    const text = (await t.store.hget(key, field))!;
    await t.store.commit({ hdel: [{ key, field }] });
    await t.store.set(before, text);

    // Its id cannot be registered again while it is there.
    const stored = (await t.app.ctx.accounts.findPasskey(passkeyId))!;
    const guest = t.phone();
    await guest.signUp(`guest-before-${v.vin}@example.com`, 'Guest');
    await expectRejectsWithCode(t.app.ctx.accounts.addPasskey({ ...stored, accountId: guest.accountId! }), 'REGISTRATION_FAILED');
    expect(await t.store.get(before)).toBe(text);

    // The login changes it (counter, last use): it moves into its bucket first, and is changed there.
    await owner.logIn();
    expect(await t.store.get(before)).toBeNull();
    expect(await t.store.hget(key, field)).not.toBe(text);
    expect((await t.app.ctx.accounts.findPasskey(passkeyId))?.lastUsedAt).toBe(t.clock.now());
    await owner.refresh(v.vin);
    await shareKey(owner, guest, v.vin);
    await expectRejectsWithCode(t.app.ctx.accounts.addPasskey({ ...stored, accountId: guest.accountId! }), 'REGISTRATION_FAILED');
    expect((await t.app.ctx.accounts.findPasskey(passkeyId))?.accountId).toBe(owner.accountId);
    // A lost phone's keys are found through it (R6).
    expect((await t.app.ctx.vehicles.keysGivenToPasskey(passkeyId)).map((k) => k.vin)).toEqual([v.vin]);

    // Left marked mid-move by a server that stopped: the next login finishes the move, then signs in.
    const moved = (await t.store.hget(key, field))!;
    await t.store.commit({ hdel: [{ key, field }] });
    await t.store.set(before, `${MOVING_MARK}${moved}`);
    await owner.logIn();
    expect(await t.store.get(before)).toBeNull();
    expect((await t.app.ctx.accounts.findPasskey(passkeyId))?.lastUsedAt).toBe(t.clock.now());
  });

  it('R6: a lost phone whose passkey record is stored before holder buckets is disabled for good and its keys revoked; the record moves into its bucket disabled, and the phone can neither sign in nor refresh', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const passkeyId = owner.passkeyId!;
    const keyId = owner.wallet.get(v.vin)!.keyId;
    const { key, field, before } = t.app.ctx.accounts.buckets.passkey(passkeyId);
    const text = (await t.store.hget(key, field))!;
    await t.store.commit({ hdel: [{ key, field }] });
    await t.store.set(before, text);

    const { revokedKeyIds } = await revokeLostPasskey(t.app.ctx, { vin: v.vin, passkeyId, dealer: '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41', reason: 'lost' });
    expect(revokedKeyIds).toEqual([keyId]);
    expect(await t.store.get(before)).toBeNull();
    expect((await t.app.ctx.accounts.findPasskey(passkeyId))?.disabled).toMatchObject({ reason: 'lost' });
    expect(await codeOf(owner.logIn())).toBe('PASSKEY_DISABLED');
    expect(await codeOf(owner.refresh(v.vin))).toBe('PASSKEY_DISABLED');
  });

  it('a vehicle document leaves out its VIN and an empty revocation list, uses short names, and the long form written before still reads', async () => {
    const { vin, odometerKm } = await t.provision();
    await t.mainUserWithKey(vin, odometerKm);
    const key = storeKeys.vehicle(vin);
    const raw = (await t.store.get(key)) ?? '';
    const stored = JSON.parse(raw) as Record<string, unknown>;
    expect(stored).not.toHaveProperty('vin');
    expect(stored).not.toHaveProperty('revoked');
    expect(stored).not.toHaveProperty('linkSecret');
    expect(raw).not.toMatch(SPELLED_UUID);
    expect(raw).not.toContain('P-256');
    const vehicle = await t.app.ctx.vehicles.get(vin);
    expect(vehicle).toMatchObject({ vin, revoked: [], epoch: 0 });
    expect(raw.length).toBeLessThan(JSON.stringify(vehicle).length * 0.8);

    await t.store.set(key, JSON.stringify(vehicle));
    expect(await t.app.ctx.vehicles.get(vin)).toEqual(vehicle);
    await t.app.ctx.vehicles.update(vin, (v) => ({ vehicle: { ...v, odometerKm: v.odometerKm + 1 }, result: null }));
    expect(JSON.parse((await t.store.get(key)) ?? 'null')).not.toHaveProperty('vin');
    expect(await t.app.ctx.vehicles.get(vin)).toEqual({ ...vehicle, odometerKm: vehicle.odometerKm + 1 });
  });

  it('a vehicle document leaves out its usual values (epoch, seq, a running subscription’s counters and flags, the payer while it is the main user), stores instants in base 36 and the claim method as a letter; the compact form written before (every field, numbers, words) still reads', async () => {
    const { vin, odometerKm } = await t.provision();
    await t.mainUserWithKey(vin, odometerKm);
    const key = storeKeys.vehicle(vin);
    const raw = (await t.store.get(key)) ?? '';
    const stored = JSON.parse(raw) as { mu: Record<string, unknown>; su: { cu: Record<string, unknown> } } & Record<string, unknown>;
    for (const left of ['ep', 'sq', 'rv']) expect(stored).not.toHaveProperty(left);
    expect(stored.su).toEqual({ cu: expect.not.objectContaining({ a: expect.anything(), st: expect.anything(), ar: expect.anything(), pn: expect.anything(), fa: expect.anything(), rc: expect.anything() }) });
    expect(stored.mu).toMatchObject({ me: 'o', sn: expect.stringMatching(/^[0-9a-z]{8}$/) });
    expect(raw).not.toMatch(/\d{13}/);
    const vehicle = await t.app.ctx.vehicles.get(vin);
    expect(vehicle.subscriptions?.current).toMatchObject({ accountId: vehicle.mainUser?.accountId, status: 'active', autoRenew: true, periodsPaid: 0, failedAttempts: 0, refundedCents: 0 });

    // The compact form of the first issue-11 release: short names, but every field, instants as numbers, the method as a word.
    const before = compactForm({ aliases: VEHICLE_ALIASES, place: { vin } }).encode(vehicle);
    expect(JSON.stringify(before)).toContain('"me":"odometer"');
    await t.store.set(key, JSON.stringify(before));
    expect(await t.app.ctx.vehicles.get(vin)).toEqual(vehicle);
    await t.app.ctx.vehicles.update(vin, (v) => ({ vehicle: { ...v, odometerKm: v.odometerKm + 1 }, result: null }));
    expect(((await t.store.get(key)) ?? '').length).toBe(raw.length);
  });

  it('a vehicle document keeps what differs from the usual: another payer, a subscription past due or ended, a used trial, a later epoch', async () => {
    const { vin, odometerKm } = await t.provision();
    await t.mainUserWithKey(vin, odometerKm);
    const vehicle = await t.app.ctx.vehicles.get(vin);
    const current = vehicle.subscriptions!.current!;
    const form = vehicleStoredForm(vin);
    const variants: VehicleRecord[] = [
      { ...vehicle, epoch: 3, seq: 9, sharedKeys: 0, mainUser: null },
      { ...vehicle, subscriptions: { trialUsed: true, effects: [], current: { ...current, accountId: '0f560872-edfe-4914-997e-725012479fbc', status: 'past-due', retryAt: 5, failedAttempts: 2, autoRenew: false } as never } },
      { ...vehicle, subscriptions: { trialUsed: true, effects: [], current: { ...current, status: 'ended', endedAt: 7, endReason: 'trial-over', periodsPaid: 3, refundedCents: 120 } as never } },
      { ...vehicle, mainUser: { ...vehicle.mainUser!, method: 'qr' }, subscriptions: { trialUsed: false, effects: [], current: null } },
    ];
    for (const v of variants) {
      const parsed = vehicleRecordSchema.parse(form.decode(JSON.parse(JSON.stringify(form.encode(v)))));
      expect(parsed).toEqual(vehicleRecordSchema.parse(v));
    }
  });
});
