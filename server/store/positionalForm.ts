/**
 * A stored form that writes a small record as a JSON array of its values in a fixed order instead
 * of an object (issue 11: Redis bytes per key). Even short names cost 4–5 characters per field
 * (`"a":` and a comma); by position they cost nothing. It wraps a compact form
 * (server/store/storedForm.ts), which still leaves out place and defaults and shortens the values:
 * only the object it produces is laid out by position. Fields that are usually absent go last, so
 * they cost nothing when absent; one absent before a present one is written `null`.
 *
 * An object stored before (short or long names) still reads through the compact form unchanged: no
 * migration, it takes the array form the next time it is written. For records whose fields are
 * never null at the top level (a null is how an absent field is written), and whose fields are all
 * in the order: a record that breaks either is a programming error and throws when written.
 *
 * @example
 * const aliases = { accountId: 'a', passkeyId: 'p', createdAt: 'c', grantedBy: 'g' } as const;
 * const keyPositions = positionalShape({ aliases, order: ['a', 'p', 'c', 'g'] });
 * const form = keyPositions(compactForm({ aliases }));
 * form.encode({ accountId: 'A', passkeyId: 'P', createdAt: 1 }); // → ['A', 'P', 1]
 * form.decode(['A', null, 1]); // → { accountId: 'A', createdAt: 1 }
 * form.decode({ a: 'A', p: 'P', c: 1 }); // an object stored before → { accountId: 'A', passkeyId: 'P', createdAt: 1 }
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { StoredForm } from './storedForm.js';

/** The short names of an alias table that an order leaves out (never, when it names them all). */
type Unplaced<A extends Readonly<Record<string, string>>, O extends readonly string[]> = Exclude<A[keyof A], O[number]>;

export interface PositionalShapeOpts<A extends Readonly<Record<string, string>>, O extends readonly string[]> {
  /** The kind's alias table (long name → short): the order must place every short name in it. */
  aliases: A;
  /**
   * The compact form's field names in stored order: every short name, plus any field the compact
   * form keeps under its long name. Never reorder or remove one (stored records use the positions),
   * only append. A short name left out fails to compile.
   */
  order: O & ([Unplaced<A, O>] extends [never] ? unknown : { unplaced: Unplaced<A, O> });
}

/**
 * The positional layout of one record kind, checked once (a module constant); each read then only
 * wraps the compact form bound to its place, as with `compactShape`.
 */
export function positionalShape<A extends Readonly<Record<string, string>>, const O extends readonly string[]>(opts: PositionalShapeOpts<A, O>): (inner: StoredForm) => StoredForm {
  const order: readonly string[] = opts.order;
  const position = new Map(order.map((name, i) => [name, i]));
  if (position.size !== order.length) throw new TypeError('a field name is used twice in a positional order');
  for (const short of Object.values(opts.aliases)) if (!position.has(short)) throw new TypeError(`the field "${short}" has no position in its stored form`);
  return (inner) => ({
    encode(record) {
      const fields = inner.encode(record);
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw new TypeError('a positional form stores objects only');
      const values: unknown[] = [];
      for (const [name, value] of Object.entries(fields)) {
        const at = position.get(name);
        if (at === undefined) throw new TypeError(`the field "${name}" has no position in its stored form`);
        // Absent, as JSON.stringify would leave it out.
        if (value === undefined) continue;
        if (value === null) throw new TypeError(`the field "${name}" is null, which its positional form reads as absent`);
        values[at] = value;
      }
      // A hole before the last value is an absent field, written null.
      return Array.from(values, (v) => v ?? null);
    },
    decode(stored) {
      if (!Array.isArray(stored)) return inner.decode(stored);
      if (stored.length > order.length) throw new DigitalKeyError('CORRUPT_RECORD', 'a stored record has more values than its form has fields');
      const fields: Record<string, unknown> = {};
      stored.forEach((value: unknown, i) => {
        if (value !== null) fields[order[i] as string] = value;
      });
      return inner.decode(fields);
    },
  });
}

/** A positional form in one step (its layout checked on each call: for module constants and tests). */
export function positionalForm<A extends Readonly<Record<string, string>>, const O extends readonly string[]>(inner: StoredForm, opts: PositionalShapeOpts<A, O>): StoredForm {
  return positionalShape(opts)(inner);
}
