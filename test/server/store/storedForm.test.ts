/**
 * The compact stored forms of the big records (issue 11: Redis bytes per key). Each kind leaves
 * out what its storage key says and its defaults, writes short names, and reads back whole; a
 * short name is never a field name of its kind, so a record written before (long names, every
 * field) reads unchanged.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ACCOUNT_ALIASES, PASSKEY_ALIASES, accountRecordSchema, passkeyRecordSchema } from '../../../server/accounts/accountRecord.js';
import { KEY_ALIASES, VEHICLE_ALIASES, digitalKeySchema, vehicleRecordSchema } from '../../../server/domain/vehicleRecord.js';
import { compactAliases, compactForm, timeValue, uuidList, uuidValue } from '../../../server/store/storedForm.js';
import { AUDIT_ALIASES, auditEntrySchema } from '../../../server/vehicles/auditTrail.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';

/** Every object field name anywhere in a schema (objects, unions, arrays, optional, nullable). */
function fieldNames(schema: z.ZodType, out = new Set<string>()): Set<string> {
  if (schema instanceof z.ZodObject) {
    for (const [name, inner] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      out.add(name);
      fieldNames(inner, out);
    }
  } else if (schema instanceof z.ZodUnion || schema instanceof z.ZodDiscriminatedUnion) {
    for (const option of schema.options as z.ZodType[]) fieldNames(option, out);
  } else if (schema instanceof z.ZodArray) fieldNames(schema.element as z.ZodType, out);
  else if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodExactOptional) fieldNames(schema.unwrap() as z.ZodType, out);
  else if (schema instanceof z.ZodPipe) fieldNames(schema.in as z.ZodType, out);
  return out;
}

describe('compactForm', () => {
  const form = compactForm({ aliases: { displayName: 'n', nested: 'ne', at: 't' }, defaults: { dealer: false, list: [] }, place: { accountId: 'a1' } });

  it('leaves out the place and the defaults, shortens names at any depth, and reads back whole', () => {
    const record = { accountId: 'a1', displayName: 'An', dealer: false, list: [], nested: [{ at: 1 }] };
    expect(form.encode(record)).toEqual({ n: 'An', ne: [{ t: 1 }] });
    expect(form.decode(form.encode(record))).toEqual(record);
    expect(form.decode(form.encode({ ...record, dealer: true }))).toEqual({ ...record, dealer: true });
  });

  it('reads a record written in the long form, with its place', () => {
    expect(form.decode({ accountId: 'a1', displayName: 'An', dealer: true, list: [1] })).toEqual({ accountId: 'a1', displayName: 'An', dealer: true, list: [1] });
  });

  it('refuses a stored record that names another place: CORRUPT_RECORD', () => {
    expectThrowsWithCode(() => form.decode({ accountId: 'a2', n: 'An' }), 'CORRUPT_RECORD');
  });

  it('stores a verbatim field as it is (its names are free) and a field with a value codec in its short spelling', () => {
    const f = compactForm({ aliases: { at: 't', detail: 'd', keyIds: 'k' }, verbatim: ['detail'], values: { keyIds: uuidList } });
    const id = '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41';
    const record = { at: 1, detail: { at: 2, t: 3 }, keyIds: [id, 'not-a-uuid'] };
    const stored = f.encode(record) as Record<string, unknown>;
    expect(stored).toEqual({ t: 1, d: { at: 2, t: 3 }, k: [Buffer.from(id.replaceAll('-', ''), 'hex').toString('base64url'), 'not-a-uuid'] });
    expect(f.decode(stored)).toEqual(record);
    expect(f.decode({ at: 1, detail: { t: 3 }, keyIds: [id] })).toEqual({ at: 1, detail: { t: 3 }, keyIds: [id] });
  });

  it('spells a field’s value short at any depth, and reads the long spelling too', () => {
    const f = compactForm({ aliases: { inner: 'n' }, values: { accountId: uuidValue } });
    const id = '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41';
    const short = Buffer.from(id.replaceAll('-', ''), 'hex').toString('base64url');
    expect(f.encode({ accountId: id, inner: [{ accountId: id }, { accountId: 'a1' }] })).toEqual({ accountId: short, n: [{ accountId: short }, { accountId: 'a1' }] });
    expect(f.decode({ accountId: short, n: [{ accountId: id }] })).toEqual({ accountId: id, inner: [{ accountId: id }] });
  });

  it('spells an instant in base 36 and reads a number stored before; anything else stays as it is', () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0);
    expect(timeValue.encode(at)).toBe(at.toString(36));
    expect((timeValue.encode(at) as string).length).toBe(8);
    expect(timeValue.decode(timeValue.encode(at))).toBe(at);
    expect(timeValue.decode(at)).toBe(at);
    for (const other of [-1, 1.5, 'x!', null]) expect(timeValue.decode(timeValue.encode(other))).toBe(other);
  });

  it('leaves out nested fields at their default by dotted path, and puts them back only where their parent is', () => {
    const form = compactForm({ aliases: { subscriptions: 'su', current: 'cu', autoRenew: 'ar' }, defaults: { 'subscriptions.current.autoRenew': true, 'subscriptions.effects': [] } });
    const record = { subscriptions: { current: { autoRenew: true, plan: 'trial' }, effects: [] } };
    expect(form.encode(record)).toEqual({ su: { cu: { plan: 'trial' } } });
    expect(record.subscriptions.current.autoRenew).toBe(true);
    expect(form.decode({ su: { cu: { plan: 'trial' } } })).toEqual(record);
    expect(form.decode(form.encode({ subscriptions: { current: { autoRenew: false }, effects: [1] } }))).toEqual({ subscriptions: { current: { autoRenew: false }, effects: [1] } });
    expect(form.decode({ su: { cu: null } })).toEqual({ subscriptions: { current: null, effects: [] } });
    expect(form.decode({})).toEqual({});
  });

  it('refuses alias tables where a short name repeats or is also a long one', () => {
    expect(() => compactAliases({ a: 'x', b: 'x' })).toThrow(TypeError);
    expect(() => compactAliases({ a: 'b', b: 'c' })).toThrow(TypeError);
  });
});

describe.each([
  ['account', ACCOUNT_ALIASES, accountRecordSchema],
  ['passkey', PASSKEY_ALIASES, passkeyRecordSchema],
  ['vehicle', VEHICLE_ALIASES, vehicleRecordSchema],
  ['key', KEY_ALIASES, digitalKeySchema],
  ['audit entry', AUDIT_ALIASES, auditEntrySchema],
] as const)('the %s record’s short names', (_kind, aliases, schema) => {
  it('are none of its field names at any depth (so a long-form record reads unchanged)', () => {
    const names = fieldNames(schema);
    expect(names.size).toBeGreaterThan(5);
    expect(Object.values(aliases).filter((short) => names.has(short))).toEqual([]);
  });

  it('each name a field of the record', () => {
    const names = fieldNames(schema);
    expect(Object.keys(aliases).filter((long) => !names.has(long))).toEqual([]);
  });
});
