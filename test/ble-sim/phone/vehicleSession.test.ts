/**
 * The phone's protocol runs over any byte-level link: here an in-memory link with no noble and no
 * air, whose "car" pushes a challenge when asked and answers every whole request with a framed response.
 */
import { describe, expect, it } from 'vitest';
import type { LinkMetrics } from '../../../ble-sim/air/linkMetrics.js';
import type { ObservedTraffic, VehicleLink } from '../../../ble-sim/phone/vehicleLink.js';
import { vehicleSession } from '../../../ble-sim/phone/vehicleSession.js';
import { encodeFrames, FrameAssembler } from '../../../shared/ble/framing.js';
import { encodeChallenge, encodeResponse } from '../../../shared/ble/messages.js';

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
    readChallenge: () => Promise.resolve(encodeChallenge({ nonce: new Uint8Array(16).fill(7), seq: 3 })),
    askForChallenge() {
      for (const f of encodeFrames(encodeChallenge({ nonce: new Uint8Array(16).fill(8), seq: 4 }), 23)) for (const l of listeners) l(f);
      return Promise.resolve();
    },
    write(payload) {
      written.push(payload);
      if (assembler.push(payload, 0).kind === 'message') {
        const response = encodeResponse({ code: 'OK', cmd: 'unlock', vehicle: { locked: false, engine: false } });
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
  it('takes the pushed challenge, frames the request at the link MTU and reassembles the framed response', async () => {
    const link = memoryLink();
    const metrics = { roundTrips: 42 } as LinkMetrics;
    const session = vehicleSession(link, () => metrics);
    expect(await session.challenge()).toMatchObject({ seq: 4 });
    expect(await session.readChallenge()).toMatchObject({ seq: 3 });
    await session.writeMessage(new Uint8Array(50).fill(1));
    // 2 length bytes + 50 bytes in payloads of MTU − 3 = 20 bytes.
    expect(link.written.map((w) => w.length)).toEqual([20, 20, 12]);
    expect(await session.nextResponse()).toEqual({ v: 2, ok: true, code: 'OK', cmd: 'unlock', vehicle: { locked: false, engine: false } });
    expect(session.metrics()).toBe(metrics);
  });
});
