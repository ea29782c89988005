/**
 * Strict CBOR for signed and protocol data, hand-written for the small subset the protocol uses
 * (unsigned and negative integers, byte and text strings, arrays, maps, true/false/null, tags) —
 * cbor2's strict options cost more than a P-256 verify per message, this costs microseconds.
 *
 * Decoding accepts only the deterministic encoding of RFC 8949 §4.2.1 / RFC 9052 §9: preferred
 * (shortest) integer and length encodings, definite lengths, map keys sorted bytewise by their
 * encoding with no duplicates; no floats, no undefined or other simple values, integers within
 * JavaScript's safe range, a nesting depth of 16, and no bytes after the item. Anything else
 * throws, so two parsers can never read different claims out of the same signed bytes. Maps decode
 * as `Map` (integer keys stay integers); tags as `Tag` (the caller unwraps the one it expects).
 * Encoding writes exactly that form.
 */
import { Tag } from 'cbor2';

const MAX_DEPTH = 16;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}

  /** Major type and argument, preferred encoding enforced. */
  head(): { major: number; arg: number } {
    const ib = this.byte();
    const major = ib >> 5;
    const ai = ib & 0x1f;
    if (ai < 24) return { major, arg: ai };
    let arg: number;
    if (ai === 24) {
      arg = this.byte();
      if (arg < 24) throw new TypeError('non-preferred integer');
    } else if (ai === 25) {
      arg = (this.byte() << 8) | this.byte();
      if (arg < 0x100) throw new TypeError('non-preferred integer');
    } else if (ai === 26) {
      arg = ((this.byte() << 24) >>> 0) + (this.byte() << 16) + (this.byte() << 8) + this.byte();
      if (arg < 0x10000) throw new TypeError('non-preferred integer');
    } else if (ai === 27) {
      const hi = ((this.byte() << 24) >>> 0) + (this.byte() << 16) + (this.byte() << 8) + this.byte();
      const lo = ((this.byte() << 24) >>> 0) + (this.byte() << 16) + (this.byte() << 8) + this.byte();
      if (hi === 0) throw new TypeError('non-preferred integer');
      arg = hi * 2 ** 32 + lo;
      if (!Number.isSafeInteger(arg)) throw new TypeError('integer beyond 2^53');
    } else {
      throw new TypeError('indefinite length or reserved additional information');
    }
    return { major, arg };
  }

  byte(): number {
    const b = this.b[this.pos];
    if (b === undefined) throw new TypeError('truncated');
    this.pos++;
    return b;
  }

  bytes(n: number): Uint8Array {
    if (this.pos + n > this.b.length) throw new TypeError('truncated');
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  item(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new TypeError('nested too deeply');
    const { major, arg } = this.head();
    switch (major) {
      case 0:
        return arg;
      case 1:
        if (!Number.isSafeInteger(-1 - arg)) throw new TypeError('integer beyond 2^53');
        return -1 - arg;
      case 2:
        return this.bytes(arg);
      case 3:
        return utf8.decode(this.bytes(arg));
      case 4: {
        if (arg > this.b.length - this.pos) throw new TypeError('truncated');
        const out: unknown[] = [];
        for (let i = 0; i < arg; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        if (arg > this.b.length - this.pos) throw new TypeError('truncated');
        const out = new Map<unknown, unknown>();
        let previous: Uint8Array | null = null;
        for (let i = 0; i < arg; i++) {
          const start = this.pos;
          const key = this.item(depth + 1);
          const encodedKey = this.b.subarray(start, this.pos);
          if (previous && compareBytes(previous, encodedKey) >= 0) throw new TypeError('map keys unsorted or repeated');
          previous = encodedKey;
          out.set(key, this.item(depth + 1));
        }
        return out;
      }
      case 6:
        return new Tag(arg, this.item(depth + 1));
      default:
        if (arg === 20) return false;
        if (arg === 21) return true;
        if (arg === 22) return null;
        throw new TypeError('floats and other simple values are not allowed');
    }
  }
}

/** Bytewise order, a prefix first (RFC 8949 §4.2.1's order of encoded map keys). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Decode one deterministic CBOR item; throws on anything the module header lists. */
export function decodeStrictCbor(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const value = r.item(0);
  if (r.pos !== bytes.length) throw new TypeError('bytes after the CBOR item');
  return value;
}

/** The head of an item: major type and argument, in the shortest form. */
function head(major: number, arg: number): Uint8Array {
  const m = major << 5;
  if (arg < 24) return Uint8Array.of(m | arg);
  if (arg < 0x100) return Uint8Array.of(m | 24, arg);
  if (arg < 0x10000) return Uint8Array.of(m | 25, arg >> 8, arg & 0xff);
  if (arg < 0x100000000) return Uint8Array.of(m | 26, (arg >>> 24) & 0xff, (arg >> 16) & 0xff, (arg >> 8) & 0xff, arg & 0xff);
  const hi = Math.floor(arg / 2 ** 32);
  const lo = arg >>> 0;
  return Uint8Array.of(m | 27, (hi >>> 24) & 0xff, (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff, (lo >>> 24) & 0xff, (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff);
}

const FALSE = Uint8Array.of(0xf4);
const TRUE = Uint8Array.of(0xf5);
const NULL = Uint8Array.of(0xf6);

/**
 * Append the encoding of `value` to `out` as a list of byte runs (joined once at the end): byte
 * strings go in as they are, without a copy byte by byte.
 */
function write(out: Uint8Array[], value: unknown): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('only safe integers');
    out.push(value >= 0 ? head(0, value) : head(1, -1 - value));
  } else if (value instanceof Uint8Array) {
    out.push(head(2, value.length), value);
  } else if (typeof value === 'string') {
    const b = utf8Encoder.encode(value);
    out.push(head(3, b.length), b);
  } else if (Array.isArray(value)) {
    out.push(head(4, value.length));
    for (const v of value) write(out, v);
  } else if (value instanceof Map) {
    const entries = [...value.entries()].map(([k, v]) => ({ key: encodeDeterministic(k), v }));
    entries.sort((a, b) => compareBytes(a.key, b.key));
    out.push(head(5, entries.length));
    let previous: Uint8Array | null = null;
    for (const { key, v } of entries) {
      if (previous && compareBytes(previous, key) === 0) throw new TypeError('repeated map key');
      previous = key;
      out.push(key);
      write(out, v);
    }
  } else if (value instanceof Tag) {
    out.push(head(6, Number(value.tag)));
    write(out, value.contents);
  } else if (value === false) out.push(FALSE);
  else if (value === true) out.push(TRUE);
  else if (value === null) out.push(NULL);
  else throw new TypeError(`cannot encode ${typeof value}`);
}

/** Encode deterministically (sorted map keys, shortest forms): what decodeStrictCbor accepts. */
export function encodeDeterministic(value: unknown): Uint8Array {
  const out: Uint8Array[] = [];
  write(out, value);
  // One copy, into a plain Uint8Array (Buffer.concat, then a Uint8Array of it, made two).
  const bytes = new Uint8Array(out.reduce((n, run) => n + run.length, 0));
  let at = 0;
  for (const run of out) {
    bytes.set(run, at);
    at += run.length;
  }
  return bytes;
}

/** A decoded map with its keys as numbers, or null when it is not a map or a key is not an integer. */
export function integerKeyedMap(value: unknown): Map<number, unknown> | null {
  if (!(value instanceof Map)) return null;
  const out = new Map<number, unknown>();
  for (const [k, v] of value) {
    if (typeof k !== 'number') return null;
    out.set(k, v);
  }
  return out;
}

/** A CBOR tag as the strict decoder returns it. */
export function asTag(value: unknown, tag: number): unknown {
  if (!(value instanceof Tag) || Number(value.tag) !== tag) throw new TypeError(`expected CBOR tag ${tag}`);
  return value.contents;
}

/** Build a tagged item for encoding. */
export function tagged(tag: number, contents: unknown): Tag {
  return new Tag(tag, contents);
}
