/**
 * BLE framing (DESIGN.md §3): 2-byte big-endian length prefix, ATT payloads of at most MTU - 3
 * bytes, 2048-byte cap, 2 s between fragments. Round trips at the MTUs phones use, every framing
 * error with its code, and that the assembler recovers and never throws on any byte sequence.
 */
import { describe, expect, it } from 'vitest';
import {
  FRAGMENT_TIMEOUT_MS,
  FrameAssembler,
  MAX_MESSAGE_BYTES,
  MAX_MTU,
  MIN_MTU,
  encodeFrames,
  type FrameResult,
} from '../../../shared/ble/framing.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';
import { BROKEN_SEQUENCES, TEST_MTUS, firstFragment, messageOfSize } from '../../support/frameFixtures.js';
import { seededRandom } from '../../support/seededRandom.js';

/** Feed frames in order (one ms apart from `startMs`); return every result. */
function feed(assembler: FrameAssembler, frames: Uint8Array[], startMs = 0): FrameResult[] {
  return frames.map((frame, i) => assembler.push(frame, startMs + i));
}

function expectMessage(result: FrameResult | undefined, message: Uint8Array): void {
  expect(result?.kind).toBe('message');
  if (result?.kind === 'message') expect(Buffer.from(result.message).equals(Buffer.from(message))).toBe(true);
}

function expectBadFrame(result: FrameResult | undefined): void {
  expect(result?.kind).toBe('error');
  if (result?.kind === 'error') {
    expect(result.error).toBeInstanceOf(DigitalKeyError);
    expect(result.error.code).toBe('BAD_FRAME');
  }
}

describe('encodeFrames → FrameAssembler round trips', () => {
  const rows = TEST_MTUS.flatMap((mtu) =>
    [
      { label: '1 byte', size: 1 },
      { label: 'MTU-5 (prefix + message fill exactly one ATT payload)', size: mtu - 5 },
      { label: 'MTU-3 (one ATT payload of message: the prefix pushes 2 bytes over)', size: mtu - 3 },
      { label: '300 bytes', size: 300 },
      { label: '1000 bytes (a credential plus an assertion)', size: 1000 },
      { label: 'exactly 2048 bytes (the cap)', size: MAX_MESSAGE_BYTES },
    ].map((row) => ({ ...row, mtu })),
  );

  it.each(rows)('MTU $mtu, $label', ({ mtu, size }) => {
    const message = messageOfSize(size, mtu);
    const frames = encodeFrames(message, mtu);
    expect(frames).toHaveLength(Math.ceil((size + 2) / (mtu - 3)));
    for (const frame of frames) {
      expect(frame.length).toBeGreaterThan(0);
      expect(frame.length).toBeLessThanOrEqual(mtu - 3);
    }
    expect([frames[0]![0], frames[0]![1]]).toEqual([size >> 8, size & 0xff]);

    const results = feed(new FrameAssembler(), frames);
    for (const partial of results.slice(0, -1)) expect(partial.kind).toBe('partial');
    expectMessage(results.at(-1), message);
  });

  it('MTU-5 is one frame and MTU-3 is two frames', () => {
    for (const mtu of TEST_MTUS) {
      expect(encodeFrames(messageOfSize(mtu - 5), mtu)).toHaveLength(1);
      expect(encodeFrames(messageOfSize(mtu - 3), mtu)).toHaveLength(2);
    }
  });

  it('one assembler takes many messages in a row, of every size, at every MTU', () => {
    const assembler = new FrameAssembler();
    let now = 0;
    for (const mtu of TEST_MTUS) {
      for (const size of [1, 2, 17, mtu - 5, mtu - 4, mtu - 3, mtu - 2, 511, 2047, 2048]) {
        const message = messageOfSize(size, size);
        const results = feed(assembler, encodeFrames(message, mtu), now);
        now += results.length + 1;
        expectMessage(results.at(-1), message);
        expect(assembler.inProgress).toBe(false);
      }
    }
  });

  it('the assembled message is its own copy: reusing the fragment buffers does not change it', () => {
    const message = messageOfSize(100);
    const frames = encodeFrames(message, MIN_MTU).map((f) => f.slice());
    const results = feed(new FrameAssembler(), frames);
    for (const frame of frames) frame.fill(0);
    expectMessage(results.at(-1), message);
  });
});

describe('encodeFrames refuses what cannot be framed', () => {
  it.each([MAX_MESSAGE_BYTES + 1, 4096, 65_536])('a message of %i bytes → BAD_FRAME', (size) => {
    expectThrowsWithCode(() => encodeFrames(new Uint8Array(size), 185), 'BAD_FRAME');
  });

  it('an empty message → BAD_FRAME', () => {
    expectThrowsWithCode(() => encodeFrames(new Uint8Array(0), 185), 'BAD_FRAME');
  });

  it.each([0, -1, MIN_MTU - 1, MAX_MTU + 1, 23.5, Number.NaN, Number.POSITIVE_INFINITY])('MTU %s → RangeError', (mtu) => {
    expect(() => encodeFrames(messageOfSize(10), mtu)).toThrow(RangeError);
  });

  it.each([MIN_MTU, MAX_MTU])('the MTU bounds %i are accepted', (mtu) => {
    expect(encodeFrames(messageOfSize(10), mtu).length).toBe(1);
  });
});

describe('every framing error is BAD_FRAME and drops the message', () => {
  it.each(BROKEN_SEQUENCES)('$name', ({ fragments }) => {
    const assembler = new FrameAssembler();
    const results = fragments.map(({ data, atMs }) => assembler.push(data, atMs));
    for (const early of results.slice(0, -1)) expect(early.kind).toBe('partial');
    expectBadFrame(results.at(-1));
    expect(assembler.inProgress).toBe(false);
  });

  it.each(BROKEN_SEQUENCES)('recovers after "$name": the next message is assembled correctly', ({ fragments }) => {
    const assembler = new FrameAssembler();
    for (const { data, atMs } of fragments) assembler.push(data, atMs);
    const message = messageOfSize(400, 3);
    const results = feed(assembler, encodeFrames(message, MIN_MTU), 100);
    expectMessage(results.at(-1), message);
  });

  it('announced length 2048 is accepted, 2049 refused (the cap itself)', () => {
    expect(new FrameAssembler().push(firstFragment(2048, 10), 0).kind).toBe('partial');
    expectBadFrame(new FrameAssembler().push(firstFragment(2049, 10), 0));
  });
});

describe('incomplete at close() (disconnect)', () => {
  it('a message cut off by the disconnect → BAD_FRAME, and it is dropped', () => {
    const assembler = new FrameAssembler();
    const frames = encodeFrames(messageOfSize(300), MIN_MTU);
    feed(assembler, frames.slice(0, 3));
    const error = assembler.close();
    expect(error).toBeInstanceOf(DigitalKeyError);
    expect(error?.code).toBe('BAD_FRAME');
    expect(assembler.inProgress).toBe(false);
    expect(assembler.close()).toBeNull();
  });

  it('nothing in progress: close() reports nothing', () => {
    const assembler = new FrameAssembler();
    expect(assembler.close()).toBeNull();
    feed(assembler, encodeFrames(messageOfSize(30), MIN_MTU));
    expect(assembler.close()).toBeNull();
  });

  it('after close(), the assembler takes a new message', () => {
    const assembler = new FrameAssembler();
    feed(assembler, encodeFrames(messageOfSize(300), MIN_MTU).slice(0, 2));
    assembler.close();
    const message = messageOfSize(300, 9);
    expectMessage(feed(assembler, encodeFrames(message, MIN_MTU), 10).at(-1), message);
  });
});

describe('fragment timeout: 2 s since the last fragment (table)', () => {
  it('is 2000 ms', () => {
    expect(FRAGMENT_TIMEOUT_MS).toBe(2000);
  });

  it.each([
    { gapMs: 0, dropped: false },
    { gapMs: 1999, dropped: false },
    { gapMs: 2000, dropped: false },
    { gapMs: 2001, dropped: true },
    { gapMs: 60_000, dropped: true },
  ])('a gap of $gapMs ms before the last fragment → dropped: $dropped', ({ gapMs, dropped }) => {
    const message = messageOfSize(100, 1);
    const frames = encodeFrames(message, MIN_MTU);
    const assembler = new FrameAssembler();
    feed(assembler, frames.slice(0, -1), 1000);
    const lastAt = 1000 + frames.length - 2 + gapMs;
    const result = assembler.push(frames.at(-1)!, lastAt);
    if (dropped) expectBadFrame(result);
    else expectMessage(result, message);
  });

  it('counts from the last fragment, not the first: 1500 ms gaps add up to more than 2 s and still pass', () => {
    const message = messageOfSize(100, 2);
    const assembler = new FrameAssembler();
    const results = encodeFrames(message, MIN_MTU).map((frame, i) => assembler.push(frame, i * 1500));
    expectMessage(results.at(-1), message);
  });

  it.each([
    { atMs: 2000, dropped: false },
    { atMs: 2001, dropped: true },
  ])('expireIfStale at $atMs ms after the last fragment → dropped: $dropped', ({ atMs, dropped }) => {
    const assembler = new FrameAssembler();
    assembler.push(firstFragment(100, 10), 0);
    const error = assembler.expireIfStale(atMs);
    if (dropped) {
      expect(error?.code).toBe('BAD_FRAME');
      expect(assembler.inProgress).toBe(false);
    } else {
      expect(error).toBeNull();
      expect(assembler.inProgress).toBe(true);
    }
  });

  it('expireIfStale with nothing in progress reports nothing', () => {
    expect(new FrameAssembler().expireIfStale(1_000_000)).toBeNull();
  });

  it('recovery after a timeout: a late first fragment starts the next message, which assembles', () => {
    const assembler = new FrameAssembler();
    assembler.push(firstFragment(100, 10), 0);
    const message = messageOfSize(300, 4);
    const [first, ...rest] = encodeFrames(message, MIN_MTU);
    expectBadFrame(assembler.push(first!, 5000)); // reports the stale message it dropped
    const results = feed(assembler, rest, 5001);
    expectMessage(results.at(-1), message);
  });

  it('recovery after a timeout: a late single-fragment message is delivered at once', () => {
    const assembler = new FrameAssembler();
    assembler.push(firstFragment(100, 10), 0);
    const message = messageOfSize(12, 5);
    expectMessage(assembler.push(encodeFrames(message, MIN_MTU)[0]!, 9000), message);
  });

  it('recovery after expireIfStale: the next message assembles', () => {
    const assembler = new FrameAssembler();
    assembler.push(firstFragment(100, 10), 0);
    expect(assembler.expireIfStale(2001)?.code).toBe('BAD_FRAME');
    const message = messageOfSize(300, 6);
    expectMessage(feed(assembler, encodeFrames(message, MIN_MTU), 2002).at(-1), message);
  });
});

describe('hostile input never throws (seeded property loop)', () => {
  it('5000 random fragments of 0..520 bytes at random times only ever yield partial, message or BAD_FRAME', () => {
    const random = seededRandom(0x5d_4b_31);
    const assembler = new FrameAssembler();
    let now = 0;
    for (let i = 0; i < 5000; i++) {
      now += random.int(2600);
      // Mostly small announced lengths so that some random messages do complete.
      const fragment = random.bytes(random.int(521));
      if (fragment.length >= 2 && random.next() < 0.5) fragment[0] = 0;
      let result: FrameResult;
      try {
        result = assembler.push(fragment, now);
      } catch (err) {
        throw new Error(`push threw on fragment ${i}: ${String(err)}`);
      }
      expect(['partial', 'message', 'error']).toContain(result.kind);
      if (result.kind === 'error') expect(result.error.code).toBe('BAD_FRAME');
      if (result.kind === 'message') expect(result.message.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    }
  });
});
