/**
 * The phone's protocol runs over any byte-level link: here an in-memory link with no noble and no
 * air, whose "car" echoes the framed request length back as a framed response.
 */
import { describe, expect, it } from 'vitest';
import type { LinkMetrics } from '../../../ble-sim/air/linkMetrics.js';
import type { ObservedTraffic, VehicleLink } from '../../../ble-sim/phone/vehicleLink.js';
import { vehicleSession } from '../../../ble-sim/phone/vehicleSession.js';
import { encodeFrames, FrameAssembler } from '../../../shared/ble/framing.js';
import { encodeMessage } from '../../../shared/ble/messages.js';

/** A link to a fake car that answers every whole request with an OK response, in 20-byte payloads. */
function memoryLink(): VehicleLink & { written: Uint8Array[] } {
  const listeners: ((p: Uint8Array) => void)[] = [];
  const assembler = new FrameAssembler();
  const traffic: ObservedTraffic = { roundTrips: 0, notifications: 0, sent: 0, received: 0 };
  const written: Uint8Array[] = [];
  return {
    peerId: 'memory',
    mtu: 23,
    written,
    requestSent: false,
    readChallenge: () => Promise.resolve(encodeMessage({ v: 1, nonce: new Uint8Array(32).fill(7), seq: 3, t: 10 })),
    write(payload) {
      written.push(payload);
      if (assembler.push(payload, 0).kind === 'message') {
        const response = encodeMessage({ v: 1, ok: true, code: 'OK', cmd: 'unlock', vehicle: { locked: false, engine: false } });
        for (const f of encodeFrames(response, 23)) for (const l of listeners) l(f);
      }
      return Promise.resolve();
    },
    onReceive: (l) => void listeners.push(l),
    wait: (p) => p,
    observed: () => traffic,
    close: () => Promise.resolve(),
  };
}

describe('vehicleSession over a byte-level link', () => {
  it('decodes the challenge, frames the request at the link MTU and reassembles the framed response', async () => {
    const link = memoryLink();
    const metrics = { roundTrips: 42 } as LinkMetrics;
    const session = vehicleSession(link, () => metrics);
    expect(await session.readChallenge()).toMatchObject({ v: 1, seq: 3, t: 10 });
    await session.writeMessage(new Uint8Array(50).fill(1));
    // 2 length bytes + 50 bytes in payloads of MTU − 3 = 20 bytes.
    expect(link.written.map((w) => w.length)).toEqual([20, 20, 12]);
    expect(await session.nextResponse()).toEqual({ v: 1, ok: true, code: 'OK', cmd: 'unlock', vehicle: { locked: false, engine: false } });
    expect(session.metrics()).toBe(metrics);
  });
});
