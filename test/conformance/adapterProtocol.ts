/**
 * The adapter protocol: how the runner drives a car under test. The car's team writes a small
 * adapter program that speaks it on stdin/stdout, one JSON object a line (README.md documents it
 * for them); ours is simulatedCarAdapter.ts. Both sides parse every line through these schemas,
 * since each is input from another program. The same operations drive our car in process
 * (simulatedCar.ts), so the generator and the runner share one way of playing a case.
 */
import { z } from 'zod';
import { carStateSchema, centralAddressSchema, hexOfBytes, hexSchema, KIT_VERSION, provisioningSchema } from './vectorFormat.js';

const uint = z.number().int().nonnegative();

/** What the runner asks, one a line; `id` ties the reply to it. */
export const adapterOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('hello'), kitVersion: z.number().int() }),
  z.object({ op: z.literal('provision'), car: provisioningSchema, state: carStateSchema, clockMs: uint, nonces: z.array(hexOfBytes(16)) }),
  z.object({ op: z.literal('setClock'), ms: uint }),
  z.object({ op: z.literal('connect'), central: centralAddressSchema, mtu: z.number().int().min(23).max(517) }),
  z.object({ op: z.literal('subscribe') }),
  z.object({ op: z.literal('read') }),
  z.object({ op: z.literal('write'), hex: hexSchema, withoutResponse: z.boolean() }),
  z.object({ op: z.literal('disconnect') }),
  z.object({ op: z.literal('restart') }),
  z.object({ op: z.literal('settle') }),
  z.object({ op: z.literal('state') }),
  z.object({ op: z.literal('shutdown') }),
]);
export type AdapterOp = z.infer<typeof adapterOpSchema>;
export type AdapterOpName = AdapterOp['op'];

/** A request line is an operation with an `id`, which its reply carries back. */
export const requestIdSchema = z.looseObject({ id: z.number().int().nonnegative() });

/** What each operation answers when it succeeded (the reply line adds `id` and `ok: true`). */
export const adapterResultSchemas = {
  hello: z.object({ name: z.string().min(1), kitVersion: z.literal(KIT_VERSION) }),
  provision: z.object({}),
  setClock: z.object({}),
  connect: z.object({ mtu: z.number().int() }),
  subscribe: z.object({}),
  read: z.union([z.object({ hex: hexSchema }), z.object({ attError: z.number().int().min(1).max(255) })]),
  write: z.object({ attError: z.number().int().min(1).max(255).exactOptional() }),
  disconnect: z.object({}),
  restart: z.object({}),
  settle: z.object({}),
  state: z.object({ state: carStateSchema }),
  shutdown: z.object({}),
} satisfies Record<AdapterOpName, z.ZodType>;

/** A reply line: success with the operation's result, or a failure in a sentence. */
export const adapterReplySchema = z.union([
  z.looseObject({ id: z.number().int(), ok: z.literal(true) }),
  z.object({ id: z.number().int(), ok: z.literal(false), error: z.string().min(1) }),
]);

/** What the adapter says on its own: each notification on Response as it arrives, or a problem in the car. */
export const adapterEventSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('notification'), hex: hexSchema }),
  z.object({ event: z.literal('problem'), message: z.string().min(1) }),
]);
export type AdapterEvent = z.infer<typeof adapterEventSchema>;

/** A car the runner can drive: an adapter process, or our car in process. */
export interface CarChannel {
  /** Perform one operation; rejects with an Error whose message is a sentence. */
  call(op: AdapterOp): Promise<unknown>;
  /** Listen to notifications and problems; returns the function that stops listening. */
  onEvent(listener: (event: AdapterEvent) => void): () => void;
}

/** Perform `op` and read its result through the schema of that operation's result. */
export async function callAdapter<T>(channel: CarChannel, op: AdapterOp, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(await channel.call(op));
  if (!parsed.success) throw new Error(`the adapter's answer to "${op.op}" is not what the adapter protocol says: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
