/**
 * The wire protocol of the loopback air bridge: one TCP connection per remote central radio,
 * newline-delimited JSON, binary values as base64. The process that owns the Air (the vehicle's)
 * runs the simulation; a remote radio only forwards its controller's requests and receives
 * advertisements, notifications and disconnections as events. Every incoming line is validated
 * (zod) before use: a malformed one gets an error answer, never a crash.
 *
 *   → {id, op: "hello", radio?}                 ← {id, ok, result: {address, maxMtu}}
 *   → {id, op: "scan" | "stopScan"}              ← {id, ok}      … ← {event: "advert", report}
 *   → {id, op: "connect", address}               ← {id, ok, result: {link}, link: snapshot}
 *   → {id, op: "call", link, method, args}       ← {id, ok, result, link: snapshot}
 *   → {id, op: "disconnect", link}               ← {id, ok}
 *   ← {event: "notification", link, serviceUuid, characteristicUuid, data, snapshot}
 *   ← {event: "close", link, reason, snapshot}
 */
import { z } from 'zod';
import type { CharacteristicProperty } from './links.js';

/** Longest line either side accepts (a 512-byte value in base64 is far below it). */
export const MAX_LINE_BYTES = 64 * 1024;

const uuid = z.string().min(1).max(64);
const base64 = z.string().max(4096).regex(/^[A-Za-z0-9+/]*={0,2}$/);
const id = z.number().int().nonnegative();

/** A GATT operation on one link, as a remote radio asks for it. */
export const callSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('exchangeMtu'), args: z.tuple([z.number().int().min(23).max(517)]) }),
  z.object({ method: z.literal('discoverServices'), args: z.tuple([z.array(uuid).max(32)]) }),
  z.object({ method: z.literal('discoverCharacteristics'), args: z.tuple([uuid, z.array(uuid).max(32)]) }),
  z.object({ method: z.literal('read'), args: z.tuple([uuid, uuid]) }),
  z.object({ method: z.literal('write'), args: z.tuple([uuid, uuid, base64, z.boolean()]) }),
  z.object({ method: z.literal('subscribe'), args: z.tuple([uuid, uuid, z.boolean()]) }),
]);
/** A validated GATT operation. */
export type BridgeCall = z.infer<typeof callSchema>;

const characteristicSchema = z.object({
  uuid,
  properties: z.array(z.enum(['read', 'write', 'writeWithoutResponse', 'notify', 'indicate']) satisfies z.ZodType<CharacteristicProperty>),
});

/** What each GATT operation answers with (the answer's `result`), by method: a remote radio checks it before use. */
export const callResultSchemas = {
  exchangeMtu: z.number(),
  discoverServices: z.array(z.object({ uuid, characteristics: z.array(characteristicSchema) })),
  discoverCharacteristics: z.array(characteristicSchema),
  read: base64,
  write: z.unknown(),
  subscribe: z.unknown(),
} satisfies Record<BridgeCall['method'], z.ZodType>;

/** Everything a remote radio may send; anything else is refused. */
export const bridgeRequestSchema = z.discriminatedUnion('op', [
  z.object({
    id,
    op: z.literal('hello'),
    radio: z
      .object({
        address: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i).exactOptional(),
        maxMtu: z.number().int().min(23).max(517).exactOptional(),
        rssi: z.number().min(-127).max(20).exactOptional(),
      })
      .exactOptional(),
  }),
  z.object({ id, op: z.literal('scan') }),
  z.object({ id, op: z.literal('stopScan') }),
  z.object({ id, op: z.literal('connect'), address: z.string().max(32) }),
  z.object({ id, op: z.literal('call'), link: id, call: callSchema }),
  z.object({ id, op: z.literal('disconnect'), link: id }),
]);
/** A validated request from a remote radio. */
export type BridgeRequest = z.infer<typeof bridgeRequestSchema>;

const metricsSchema = z.object({
  roundTrips: z.number(),
  connectionEvents: z.number(),
  notifications: z.number(),
  retransmissions: z.number(),
  bytesOnAir: z.object({ centralToPeripheral: z.number(), peripheralToCentral: z.number() }),
  simulatedMs: z.number(),
  mtu: z.number(),
  intervalMs: z.number(),
});

/** What the remote side caches of a link after each answer (its getters are synchronous). */
export const linkSnapshotSchema = z.object({ mtu: z.number(), rssi: z.number(), metrics: metricsSchema });
/** A link's MTU, one RSSI reading and its metrics, as of an answer or event. */
export type LinkSnapshot = z.infer<typeof linkSnapshotSchema>;

/** An error as it crosses the bridge (ATT errors and closed links keep their type). */
export const bridgeErrorSchema = z.object({
  name: z.enum(['AttError', 'LinkClosedError', 'Error']),
  message: z.string(),
  attCode: z.number().exactOptional(),
  reason: z.number().exactOptional(),
});
/** A validated bridge error. */
export type BridgeError = z.infer<typeof bridgeErrorSchema>;

/** Everything the air side may send: answers and events. */
export const bridgeMessageSchema = z.union([
  z.object({ id, ok: z.literal(true), result: z.unknown().exactOptional(), link: linkSnapshotSchema.exactOptional() }),
  z.object({ id, ok: z.literal(false), error: bridgeErrorSchema }),
  z.object({
    event: z.literal('advert'),
    report: z.object({
      address: z.string(),
      addressType: z.literal('random'),
      connectable: z.boolean(),
      scannable: z.boolean(),
      rssi: z.number(),
      advertisement: z.object({
        localName: z.string(),
        serviceUuids: z.array(z.string()),
        txPowerLevel: z.number().exactOptional(),
        manufacturerData: base64.exactOptional(),
      }),
    }),
  }),
  z.object({ event: z.literal('notification'), link: id, serviceUuid: uuid, characteristicUuid: uuid, data: base64, snapshot: linkSnapshotSchema }),
  z.object({ event: z.literal('close'), link: id, reason: z.number(), snapshot: linkSnapshotSchema }),
]);
/** A validated answer or event from the air side. */
export type BridgeMessage = z.infer<typeof bridgeMessageSchema>;

/** The `result` of an answer to `hello`: the radio's address and largest MTU on that air. */
export const helloResultSchema = z.object({ address: z.string(), maxMtu: z.number() });
/** An answer to `connect`: the new link's id and its first snapshot. */
export const connectAnswerSchema = z.object({ result: z.object({ link: id }), link: linkSnapshotSchema });

/** Binary values cross the bridge as base64. */
export function toBase64(data: Uint8Array): string {
  return Buffer.from(data).toString('base64');
}

/** The inverse of toBase64. */
export function fromBase64(data: string): Uint8Array {
  return new Uint8Array(Buffer.from(data, 'base64'));
}

/**
 * Split a TCP stream into lines, refusing overlong ones. Returns a feeder for `data` chunks;
 * `onLine` gets each complete line, `onOverflow` is called once if a line grows past the limit.
 */
export function lineSplitter(onLine: (line: string) => void, onOverflow: () => void): (chunk: Buffer) => void {
  let pending = '';
  let overflowed = false;
  return (chunk) => {
    if (overflowed) return;
    pending += chunk.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim().length > 0) onLine(line);
    }
    if (pending.length > MAX_LINE_BYTES) {
      overflowed = true;
      onOverflow();
    }
  };
}
