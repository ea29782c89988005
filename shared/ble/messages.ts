/**
 * The BLE messages (DESIGN.md §3) and their CBOR codec. Every decoded message is checked against
 * its schema before use; anything else is BAD_MESSAGE (or UNSUPPORTED_VERSION), never a crash.
 * Binary fields are CBOR byte strings, which keeps a credential plus an assertion near 1 KB.
 */
import { decode } from 'cbor2';
import { z } from 'zod';
import { COMMANDS, commandSchema } from '../commands.js';
import { DigitalKeyError } from '../errors/digitalKeyError.js';
import { ERROR_CODES, type ErrorCode } from '../errors/errorCode.js';
import { cborEncode } from './cborEncode.js';

export const PROTOCOL_VERSION = 1;
export const NONCE_BYTES = 32;

const bytes = (max: number) => z.instanceof(Uint8Array).refine((b) => b.length <= max, `at most ${max} bytes`);
const version = z.literal(PROTOCOL_VERSION);

export const challengeSchema = z.object({
  v: version,
  nonce: bytes(NONCE_BYTES).refine((b) => b.length === NONCE_BYTES, `nonce is ${NONCE_BYTES} bytes`),
  /** The vehicle's state-manifest seq, so a phone knows whether to send a newer manifest. */
  seq: z.number().int().nonnegative(),
  /** The vehicle's clock, in seconds. */
  t: z.number().int().nonnegative(),
});
export type ChallengeMessage = z.infer<typeof challengeSchema>;

export const assertionSchema = z.object({
  id: bytes(255).refine((b) => b.length >= 16, 'credential id of at least 16 bytes'),
  authenticatorData: bytes(512).refine((b) => b.length >= 37, 'authenticatorData of at least 37 bytes'),
  clientDataJSON: bytes(1024),
  signature: bytes(128),
  userHandle: bytes(64).optional(),
});
export type AssertionMessage = z.infer<typeof assertionSchema>;

export const requestSchema = z.object({
  v: version,
  cmd: commandSchema,
  cred: z.string().min(1).max(2048),
  asr: assertionSchema,
  state: z.string().min(1).max(2048).optional(),
});
export type RequestMessage = z.infer<typeof requestSchema>;

const codeSchema = z.custom<ErrorCode | 'OK'>((c) => c === 'OK' || (typeof c === 'string' && Object.hasOwn(ERROR_CODES, c)));

export const responseSchema = z.object({
  v: version,
  ok: z.boolean(),
  code: codeSchema,
  /** Echo of the command; absent when the request could not be decoded far enough to know it. */
  cmd: z.enum(COMMANDS).optional(),
  vehicle: z.object({ locked: z.boolean(), engine: z.boolean() }),
});
export type ResponseMessage = z.infer<typeof responseSchema>;

export function encodeMessage(message: ChallengeMessage | RequestMessage | ResponseMessage): Uint8Array {
  return cborEncode(message);
}

/** Decode and validate; throws DigitalKeyError BAD_MESSAGE or UNSUPPORTED_VERSION. */
export function decodeMessage<S extends z.ZodType>(schema: S, data: Uint8Array): z.infer<S> {
  let value: unknown;
  try {
    value = decode(data);
  } catch (err) {
    throw new DigitalKeyError('BAD_MESSAGE', 'not CBOR', { cause: err });
  }
  // Only a well-formed version number is "unsupported"; `v: "1"`, a tagged date or a float is a
  // malformed message (BAD_MESSAGE), so the phone is not told to update for a garbled frame.
  if (value !== null && typeof value === 'object' && 'v' in value && isIntegerVersion(value.v) && value.v !== PROTOCOL_VERSION) {
    throw new DigitalKeyError('UNSUPPORTED_VERSION');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new DigitalKeyError('BAD_MESSAGE', 'message does not match its schema');
  return parsed.data;
}

function isIntegerVersion(v: unknown): boolean {
  return Number.isInteger(v) || typeof v === 'bigint';
}
