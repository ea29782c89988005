/**
 * BLE framing (DESIGN.md §3, same idea as Tesla's vehicle protocol): a message is sent as one or
 * more ATT payloads of at most `MTU - 3` bytes; the first fragment starts with the message length
 * as a 2-byte big-endian integer; the message is complete when that many bytes have arrived.
 * Oversized messages, fragments past the announced length and incomplete messages (at disconnect
 * or FRAGMENT_TIMEOUT_MS after their last fragment) are rejected and dropped.
 */
import { DigitalKeyError } from '../errors/digitalKeyError.js';

export const MAX_MESSAGE_BYTES = 2048;
export const FRAGMENT_TIMEOUT_MS = 2000;
export const MIN_MTU = 23;
export const MAX_MTU = 517;

/** Split one message into ATT payloads for this MTU. */
export function encodeFrames(message: Uint8Array, mtu: number): Uint8Array[] {
  if (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) throw new RangeError(`MTU ${mtu} outside ${MIN_MTU}..${MAX_MTU}`);
  if (message.length === 0 || message.length > MAX_MESSAGE_BYTES) {
    throw new DigitalKeyError('BAD_FRAME', `message of ${message.length} bytes (1..${MAX_MESSAGE_BYTES})`);
  }
  const payload = mtu - 3;
  const whole = new Uint8Array(2 + message.length);
  whole[0] = message.length >> 8;
  whole[1] = message.length & 0xff;
  whole.set(message, 2);
  const frames: Uint8Array[] = [];
  for (let off = 0; off < whole.length; off += payload) frames.push(whole.subarray(off, off + payload));
  return frames;
}

/** The result of feeding one fragment to the assembler. */
export type FrameResult =
  | { kind: 'partial' }
  | { kind: 'message'; message: Uint8Array }
  | { kind: 'error'; error: DigitalKeyError };

/**
 * Reassembles one direction of one connection. Time is passed in (`nowMs`), so the 2 s rule is
 * checked against the simulated or real clock the caller lives in. After an error the partial
 * message is dropped and the next fragment starts a new message.
 */
export class FrameAssembler {
  #expected = 0;
  #buffer: Uint8Array | null = null;
  #received = 0;
  #lastFragmentMs = 0;

  get inProgress(): boolean {
    return this.#buffer !== null;
  }

  push(fragment: Uint8Array, nowMs: number): FrameResult {
    const stale = this.expireIfStale(nowMs);
    if (stale) {
      // The stale message is dropped; the fragment that arrived late is taken as a fresh start.
      const next = this.push(fragment, nowMs);
      return next.kind === 'partial' ? { kind: 'error', error: stale } : next;
    }
    if (fragment.length === 0) return this.fail('empty fragment');
    this.#lastFragmentMs = nowMs;
    let data = fragment;
    if (this.#buffer === null) {
      // The first fragment starts with the whole 2-byte length (an ATT payload is at least 20
      // bytes, so a sender never needs to split it): a shorter first fragment is malformed.
      const [high, low] = data;
      if (high === undefined || low === undefined) return this.fail('first fragment shorter than the 2-byte length');
      const length = (high << 8) | low;
      data = data.subarray(2);
      if (length === 0 || length > MAX_MESSAGE_BYTES) return this.fail(`announced length ${length} (1..${MAX_MESSAGE_BYTES})`);
      this.#expected = length;
      this.#buffer = new Uint8Array(length);
      this.#received = 0;
    }
    if (this.#received + data.length > this.#expected) return this.fail('fragment past the announced length');
    this.#buffer.set(data, this.#received);
    this.#received += data.length;
    if (this.#received < this.#expected) return { kind: 'partial' };
    const message = this.#buffer;
    this.reset();
    return { kind: 'message', message };
  }

  /** Drop a message whose last fragment is older than FRAGMENT_TIMEOUT_MS; returns the error if one was dropped. */
  expireIfStale(nowMs: number): DigitalKeyError | null {
    if (this.inProgress && nowMs - this.#lastFragmentMs > FRAGMENT_TIMEOUT_MS) {
      this.reset();
      return new DigitalKeyError('BAD_FRAME', 'incomplete message timed out');
    }
    return null;
  }

  /** At disconnect: an incomplete message is an error (and is dropped). */
  close(): DigitalKeyError | null {
    const incomplete = this.inProgress;
    this.reset();
    return incomplete ? new DigitalKeyError('BAD_FRAME', 'incomplete message at disconnect') : null;
  }

  private fail(reason: string): FrameResult {
    this.reset();
    return { kind: 'error', error: new DigitalKeyError('BAD_FRAME', reason) };
  }

  private reset(): void {
    this.#buffer = null;
    this.#expected = 0;
    this.#received = 0;
  }
}
