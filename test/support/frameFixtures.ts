/**
 * Frame fixtures for the BLE framing and codec suites: messages of a given size, raw ATT payloads
 * with any announced length, and the broken fragment sequences a buggy or hostile central sends.
 */

/** The MTUs every round trip runs at: the BLE minimum, a common phone value, the maximum. */
export const TEST_MTUS = [23, 185, 517] as const;

/** A message of `size` bytes with a recognisable, position-dependent pattern. */
export function messageOfSize(size: number, salt = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + salt * 7 + 1) & 0xff;
  return out;
}

/** The 2-byte big-endian length prefix (any value, also the illegal ones). */
export function lengthPrefix(announced: number): Uint8Array {
  return Uint8Array.of((announced >> 8) & 0xff, announced & 0xff);
}

/** A first fragment: an announced length followed by `body` bytes. */
export function firstFragment(announced: number, body: Uint8Array | number): Uint8Array {
  const bytes = typeof body === 'number' ? messageOfSize(body) : body;
  const out = new Uint8Array(2 + bytes.length);
  out.set(lengthPrefix(announced), 0);
  out.set(bytes, 2);
  return out;
}

/** A broken fragment sequence, each fragment with its arrival time. */
export interface BrokenSequence {
  name: string;
  fragments: { data: Uint8Array; atMs: number }[];
}

/**
 * Sequences whose last fragment must yield BAD_FRAME (the error is reported on that push) and leave
 * the assembler idle. (A timeout is tested on its own: the late fragment starts a new message.)
 */
export const BROKEN_SEQUENCES: BrokenSequence[] = [
  { name: 'announced length 0', fragments: [{ data: firstFragment(0, 10), atMs: 0 }] },
  { name: 'announced length 2049 (over the 2048-byte cap)', fragments: [{ data: firstFragment(2049, 10), atMs: 0 }] },
  { name: 'announced length 0xffff', fragments: [{ data: firstFragment(0xffff, 10), atMs: 0 }] },
  { name: 'first fragment already past the announced length', fragments: [{ data: firstFragment(4, 5), atMs: 0 }] },
  {
    name: 'a later fragment past the announced length',
    fragments: [
      { data: firstFragment(30, 18), atMs: 0 },
      { data: messageOfSize(13), atMs: 10 },
    ],
  },
  { name: 'split header: a 1-byte first fragment', fragments: [{ data: Uint8Array.of(0x00), atMs: 0 }] },
  { name: 'an empty first fragment', fragments: [{ data: new Uint8Array(0), atMs: 0 }] },
  {
    name: 'an empty fragment mid-message',
    fragments: [
      { data: firstFragment(40, 18), atMs: 0 },
      { data: new Uint8Array(0), atMs: 10 },
    ],
  },
];
