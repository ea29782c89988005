/**
 * Records stored by position (issue 11: Redis bytes per key): a key and a passkey are JSON arrays
 * of their compact values in a fixed order, without names; the objects stored before (short names,
 * long names) still read to the same record, and a value with more items than the form has fields
 * is CORRUPT_RECORD.
 */
import { describe, expect, it } from 'vitest';
import { passkeyRecordSchema, passkeyStoredForm, type PasskeyRecord } from '../../../server/accounts/accountRecord.js';
import { keyAt, keyFields, storedKey, storedKeySchema, type DigitalKey } from '../../../server/domain/vehicleRecord.js';
import { positionalForm, positionalShape } from '../../../server/store/positionalForm.js';
import { compactForm, type StoredForm } from '../../../server/store/storedForm.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';

const asIs: StoredForm = { encode: (r) => r, decode: (s) => s };

describe('positionalForm', () => {
  const aliases = { first: 'f', middle: 'm', last: 'l' } as const;
  const form = positionalForm(compactForm({ aliases }), { aliases, order: ['f', 'm', 'l'] });

  it('stores the values in order, leaves out absent ones at the end and writes one in the middle as null, and reads them back', () => {
    expect(form.encode({ last: 3, first: 1, middle: 2 })).toEqual([1, 2, 3]);
    expect(form.encode({ first: 1 })).toEqual([1]);
    expect(form.encode({ first: 1, middle: undefined })).toEqual([1]);
    expect(form.encode({ first: 1, last: 3 })).toEqual([1, null, 3]);
    expect(form.encode({})).toEqual([]);
    for (const record of [{ first: 1, middle: 2, last: 3 }, { first: 1 }, { first: 1, last: 3 }, { first: { nested: null }, last: [null] }]) {
      expect(form.decode(JSON.parse(JSON.stringify(form.encode(record))))).toEqual(record);
    }
  });

  it('reads an object stored before through the compact form, unchanged (short names and long names)', () => {
    expect(form.decode({ f: 1, l: 3 })).toEqual({ first: 1, last: 3 });
    expect(form.decode({ first: 1, middle: 2 })).toEqual({ first: 1, middle: 2 });
  });

  it('refuses a stored array with more items than the form has fields: CORRUPT_RECORD', () => {
    expectThrowsWithCode(() => form.decode([1, 2, 3, 4]), 'CORRUPT_RECORD');
  });

  it('throws (a programming error) when written a field it has no position for, a null field, or no object', () => {
    const bare = positionalForm(asIs, { aliases: {}, order: ['f'] });
    expect(() => bare.encode({ f: 1, other: 2 })).toThrow(TypeError);
    expect(() => bare.encode({ f: null })).toThrow(TypeError);
    expect(() => bare.encode([1])).toThrow(TypeError);
    expect(() => bare.encode('text')).toThrow(TypeError);
  });

  it('refuses an order that names a field twice or leaves out a short name (the latter does not compile either)', () => {
    expect(() => positionalShape({ aliases: {}, order: ['f', 'f'] })).toThrow(TypeError);
    // @ts-expect-error the order leaves out the short name "m"
    expect(() => positionalShape({ aliases, order: ['f', 'l'] })).toThrow(TypeError);
  });
});

const VIN = 'W8525HVCFTJU00001';
/** 2026-11-25T12:00:00Z, "mww2n400" in base 36. */
const CREATED_AT = 1_795_608_000_000;

describe('a key record by position', () => {
  const place = { keyId: '0b3f2c6e-5d1a-4f7b-9c8e-2a4d6f8b1c3e', vin: VIN, epoch: 0 };
  const shared: DigitalKey = {
    ...place,
    accountId: '5657a1ea-d634-48fb-910f-e40394450cb8',
    passkeyId: '_kUS5CGdvXZKH9aEnSWBL80-9p2eG73UaYvLm2vm19Y',
    role: 'shared',
    perms: ['unlock', 'lock'],
    createdAt: CREATED_AT,
    grantedBy: '441c5749-d5c3-4cb4-b6e8-e55d7df583a2',
    invitationId: '9a1d542c-b59c-414a-8ee9-de49196a4ef3',
  };
  /** The same key as the previous release stored it: an object with short names. */
  const sharedAsObject = '{"a":"Vleh6tY0SPuRD-QDlEUMuA","p":"_kUS5CGdvXZKH9aEnSWBL80-9p2eG73UaYvLm2vm19Y","r":"s","m":"ul","g":"RBxXSdXDTLS26OVdffWDog","i":"mh1ULLWcQUqO6d5JGWpO8w","c":"mww2n400"}';
  const read = (text: string): DigitalKey | null => keyAt(storedKeySchema.parse(keyFields(JSON.parse(text))), place);
  const text = (key: DigitalKey): string => JSON.stringify(storedKey(key));

  it('is stored as its values in order (account, passkey, role, commands, creation, granter, invitation), shorter than the object, and reads back whole', () => {
    expect(text(shared)).toBe('["Vleh6tY0SPuRD-QDlEUMuA","_kUS5CGdvXZKH9aEnSWBL80-9p2eG73UaYvLm2vm19Y","s","ul","mww2n400","RBxXSdXDTLS26OVdffWDog","mh1ULLWcQUqO6d5JGWpO8w"]');
    expect(text(shared).length).toBe(sharedAsObject.length - 28);
    expect(read(text(shared))).toEqual(shared);
  });

  it('a main key has no granter or invitation: five values, no null', () => {
    const { grantedBy: _g, invitationId: _i, ...rest } = shared;
    const main: DigitalKey = { ...rest, role: 'main', perms: ['unlock', 'lock', 'start', 'trunk'] };
    expect(JSON.parse(text(main))).toEqual([expect.any(String), shared.passkeyId, 'm', 'ulst', 'mww2n400']);
    expect(read(text(main))).toEqual(main);
  });

  it('a field missing in the middle (a shared key made before invitations were noted, with a validity window) is null and reads back absent', () => {
    const { invitationId: _i, ...rest } = shared;
    const windowed: DigitalKey = { ...rest, notBefore: 1_795_608_000, notAfter: 1_795_694_400 };
    expect(JSON.parse(text(windowed))).toEqual([...(JSON.parse(text(shared)) as unknown[]).slice(0, 6), null, 1_795_608_000, 1_795_694_400]);
    expect(read(text(windowed))).toEqual(windowed);
  });

  it('reads the forms stored before to the same key: short names, and long names with every field', () => {
    expect(read(sharedAsObject)).toEqual(shared);
    expect(read(JSON.stringify(shared))).toEqual(shared);
  });

  it('refuses a stored key with more values than a key has fields: CORRUPT_RECORD', () => {
    const stored = JSON.parse(text({ ...shared, notBefore: 1, notAfter: 2 })) as unknown[];
    expect(stored).toHaveLength(9);
    expectThrowsWithCode(() => read(JSON.stringify([...stored, 'more'])), 'CORRUPT_RECORD');
  });
});

describe('a passkey record by position', () => {
  const passkeyId = 'AVp3uEwvLhTjyZ41hkDkJSKQZJ8uMOKn2s5lFFvC0WI';
  const form = passkeyStoredForm(passkeyId);
  /** A P-256 COSE key laid out as every phone's is (stored as "." and x ‖ y). */
  const publicKey = Buffer.concat([Buffer.from('a5010203262001215820', 'hex'), Buffer.alloc(32, 7), Buffer.from('225820', 'hex'), Buffer.alloc(32, 9)]).toString('base64url');
  const signedIn: PasskeyRecord = {
    passkeyId,
    accountId: '12c07dd6-bb71-4219-87c7-7af09987578d',
    publicKey,
    counter: 1,
    transports: ['internal', 'hybrid'],
    backedUp: true,
    createdAt: CREATED_AT,
    disabled: null,
    lastUsedAt: 1_796_212_920_000, // "mx62sn9c"
    givenKeys: [`${VIN} e2ac2117-a0d7-42ff-850a-12e55f6889e8`],
  };
  const xy = `.${Buffer.concat([Buffer.alloc(32, 7), Buffer.alloc(32, 9)]).toString('base64url')}`;
  /** The same passkey as the previous release stored it: an object with short names. */
  const signedInAsObject = `{"a":"EsB91rtxQhmHx3rwmYdXjQ","k":"${xy}","n":1,"c":"mww2n400","u":"mx62sn9c","g":["${VIN} 4qwhF6DXQv-FChLlX2iJ6A"]}`;
  const read = (text: string): PasskeyRecord => passkeyRecordSchema.parse(form.decode(JSON.parse(text)));
  const text = (passkey: PasskeyRecord): string => JSON.stringify(form.encode(passkey));

  it('is stored as its values in order (account, key, creation, last use, keys given, counter), shorter than the object, and reads back whole', () => {
    expect(text(signedIn)).toBe(`["EsB91rtxQhmHx3rwmYdXjQ","${xy}","mww2n400","mx62sn9c",["${VIN} 4qwhF6DXQv-FChLlX2iJ6A"],1]`);
    expect(text(signedIn).length).toBe(signedInAsObject.length - 24);
    expect(read(text(signedIn))).toEqual(signedIn);
  });

  it('a passkey just registered is three values; its defaults (no disabling: null) are left out, never stored as null', () => {
    const { lastUsedAt: _u, givenKeys: _g, ...fresh } = { ...signedIn, counter: 0 };
    expect(JSON.parse(text(fresh))).toEqual(['EsB91rtxQhmHx3rwmYdXjQ', xy, 'mww2n400']);
    expect(read(text(fresh))).toEqual(fresh);
  });

  it('fields missing in the middle (a synced passkey’s zero counter, no label, the usual flags) are null and read back at their default; a disabled one keeps its nested null', () => {
    const disabled: PasskeyRecord = { ...signedIn, counter: 0, disabled: { at: 5, by: null, reason: 'lost' } };
    expect(JSON.parse(text(disabled))).toEqual(['EsB91rtxQhmHx3rwmYdXjQ', xy, 'mww2n400', 'mx62sn9c', [`${VIN} 4qwhF6DXQv-FChLlX2iJ6A`], null, null, null, null, { at: 5, by: null, reason: 'lost' }]);
    expect(read(text(disabled))).toEqual(disabled);
    const unusual: PasskeyRecord = { ...signedIn, label: 'Work phone', backedUp: false, transports: ['usb'] };
    expect(read(text(unusual))).toEqual(unusual);
  });

  it('reads the forms stored before to the same passkey: short names, and long names with every field', () => {
    expect(read(signedInAsObject)).toEqual(signedIn);
    expect(read(JSON.stringify(signedIn))).toEqual(signedIn);
  });

  it('refuses a stored passkey with more values than a passkey has fields: CORRUPT_RECORD', () => {
    const full = JSON.parse(text({ ...signedIn, label: 'x', backedUp: false, transports: ['usb'], disabled: { at: 1, by: null, reason: 'lost' } })) as unknown[];
    expect(full).toHaveLength(10);
    expectThrowsWithCode(() => read(JSON.stringify([...full, 0])), 'CORRUPT_RECORD');
  });
});
