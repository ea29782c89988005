/**
 * The format of the conformance kit's vector file (vectors.json), as a zod schema: the file is read
 * by the runner and may be read by another team's tools, so it is validated, never cast. Each case
 * is self-contained: how the car is provisioned, the state it starts from, its clock, the nonces it
 * must use in order, and the steps a phone (or an attacker) takes, with the exact bytes the car must
 * answer. `kitVersion` changes when this format changes; `protocolVersion` is the BLE protocol's
 * (shared/ble/protocol.md). See README.md beside this file.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { commandSchema } from '../../shared/commands.js';
import { PROTOCOL_VERSION } from '../../shared/ble/messages.js';
import { jwkSetSchema } from '../../shared/credential/jwkSchema.js';
import { vinSchema } from '../../shared/ids.js';

/**
 * The version of this format (and of the adapter protocol, adapterProtocol.ts). Kit 2: a passkey's
 * signature counter is named by its public key (passkeyCounterKey), no longer by its credential id,
 * which the key credential stopped carrying.
 */
export const KIT_VERSION = 2;

/** Bytes as the format writes them: lower-case hex. */
export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The bytes of a hex string the schema accepted. */
export function bytesOfHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * The name the state's `counters` give a passkey: base64url (no padding) of the first 16 bytes of
 * SHA-256 of its compressed P-256 public key (33 bytes, 02 or 03 ‖ x: what the key credential's
 * `cnf` binds). protocol.md leaves how a car keeps its counters to the car; the kit needs one name.
 *
 * @example passkeyCounterKey(readKeyCredential(credential).passkeyPoint)
 */
export function passkeyCounterKey(compressedPoint: Uint8Array): string {
  if (compressedPoint.length !== 33) throw new RangeError(`a compressed P-256 point is 33 bytes, not ${compressedPoint.length}`);
  return createHash('sha256').update(compressedPoint).digest().subarray(0, 16).toString('base64url');
}

/** Lower-case hex of any length (an empty write is ""). */
export const hexSchema = z.string().regex(/^(?:[0-9a-f]{2})*$/, 'lower-case hex, two digits a byte');
/** Lower-case hex of exactly `bytes` bytes. */
export const hexOfBytes = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${2 * bytes}}$`), `${bytes} bytes of lower-case hex`);

const uint = z.number().int().nonnegative();

/** A central's (the phone's) radio address: the car bonds by it. */
export const centralAddressSchema = z.string().regex(/^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/, 'a BLE address, lower case, colon separated');

const vehicleBitsSchema = z.object({ locked: z.boolean(), engine: z.boolean() });

/** How the car is provisioned (protocol.md: the issuer's keys, the link secret, the WebAuthn relying party). */
export const provisioningSchema = z.object({
  vin: vinSchema,
  /** The trusted issuer: its id and its public keys (a kid is the first 8 bytes of a key's RFC 7638 thumbprint). */
  issuer: z.object({ issuer: z.string().min(1), jwks: jwkSetSchema }),
  rpId: z.string().min(1),
  origins: z.array(z.string().min(1)).min(1),
  /** The car's 32-byte link secret: response keys derive from it. */
  linkSecret: hexOfBytes(32),
});
export type Provisioning = z.infer<typeof provisioningSchema>;

/** The car's persisted state (what survives a restart). */
export const carStateSchema = z.object({
  seq: uint,
  ep: uint,
  /** Revoked keys as 8-byte digests (SHA-256 of the key id, first 8 bytes). */
  revoked: z.array(hexOfBytes(8)),
  /** The highest signature counter seen, by passkey (named by passkeyCounterKey). */
  counters: z.record(z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'a passkey named by passkeyCounterKey (22 base64url characters)'), uint),
  /** The forward-only clock's floor, ms since the epoch. */
  highestTrustedMs: uint,
  actuators: vehicleBitsSchema,
  /** Bonded phones' addresses. */
  bonds: z.array(centralAddressSchema),
});
export type CarState = z.infer<typeof carStateSchema>;
/** Some parts of a state (what an expectState step lists). */
export type CarStatePart = { [K in keyof CarState]?: CarState[K] | undefined };

/** What a pushed or read Challenge holds. */
export const challengeMeaningSchema = z.object({ kind: z.literal('challenge'), nonce: hexOfBytes(16), seq: uint });

/** What a Response holds, and for an authenticated one what its MAC is computed from (to explain a mismatch). */
export const responseMeaningSchema = z.object({
  kind: z.literal('response'),
  code: z.string().min(1),
  number: uint,
  /** The echoed command, or null when the request did not decode. */
  cmd: commandSchema.nullable(),
  vehicle: vehicleBitsSchema,
  mac: z.object({ hex: hexOfBytes(8), tx: hexOfBytes(32), responseKey: hexOfBytes(32) }).nullable(),
});

export const notificationMeaningSchema = z.discriminatedUnion('kind', [challengeMeaningSchema, responseMeaningSchema]);
export type NotificationMeaning = z.infer<typeof notificationMeaningSchema>;
export type ResponseMeaning = z.infer<typeof responseMeaningSchema>;

/** Why a step is there, for the reader of a failure. */
const why = { why: z.string().min(1).exactOptional() };

export const stepSchema = z.discriminatedUnion('step', [
  /** Connect from this central address and exchange the MTU; the link must run at exactly `mtu`. */
  z.object({ step: z.literal('connect'), central: centralAddressSchema, mtu: z.number().int().min(23).max(517), ...why }),
  /** Write the Response CCCD (enable notifications). */
  z.object({ step: z.literal('subscribe'), ...why }),
  /** Read Challenge: the exact bytes, or an ATT error. */
  z.object({
    step: z.literal('read'),
    expect: z.union([z.object({ hex: hexSchema, is: challengeMeaningSchema }), z.object({ attError: z.number().int().min(1).max(255) })]),
    ...why,
  }),
  /** Write Request: one ATT payload exactly as given (a write command, or a write request, long when over MTU − 3). */
  z.object({ step: z.literal('write'), hex: hexSchema.refine((h) => h.length > 0, 'an empty write is the emptyWrite step'), withoutResponse: z.boolean(), ...why }),
  /** Write an empty value to Request as a write command (a bonded phone asking for a challenge). */
  z.object({ step: z.literal('emptyWrite'), ...why }),
  /** Move the car's wall clock (negative: roll it back). */
  z.object({ step: z.literal('advanceClock'), ms: z.number().int(), ...why }),
  /** The next whole notified message (reassembled from its frames) has exactly these bytes. */
  z.object({ step: z.literal('expectNotify'), hex: hexSchema, is: notificationMeaningSchema, ...why }),
  /** The next whole notified message is a Response with this code (and these fields when given). */
  z.object({
    step: z.literal('expectResponse'),
    code: z.string().min(1),
    cmd: commandSchema.nullable().exactOptional(),
    vehicle: vehicleBitsSchema.exactOptional(),
    authenticated: z.boolean(),
    /** When authenticated: what the MAC must verify with. */
    macKey: z.object({ tx: hexOfBytes(32), responseKey: hexOfBytes(32) }).exactOptional(),
    ...why,
  }),
  /** Once the car has settled, nothing (more) was notified. */
  z.object({ step: z.literal('expectNoNotify'), ...why }),
  /** These parts of the car's persisted state have these values (revoked and bonds as sets; counters per listed passkey). */
  z.object({ step: z.literal('expectState'), state: carStateSchema.partial(), ...why }),
  /** Restart the car: its state kept, its memory (nonces, credentials it held, connections) lost. */
  z.object({ step: z.literal('restart'), ...why }),
  /** The phone hangs up. */
  z.object({ step: z.literal('disconnect'), ...why }),
]);
export type Step = z.infer<typeof stepSchema>;

export const vectorCaseSchema = z.object({
  /** A stable, kebab-case name (`--case` selects by it). */
  name: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/),
  /** What the case proves, in a sentence. */
  proves: z.string().min(1),
  car: provisioningSchema,
  state: carStateSchema,
  /** The car's wall clock at the start, ms since the epoch. */
  clockMs: uint,
  /** The nonces the car must put in its challenges, in order (across restarts too). */
  nonces: z.array(hexOfBytes(16)),
  steps: z.array(stepSchema).min(1),
});
export type VectorCase = z.infer<typeof vectorCaseSchema>;

export const vectorFileSchema = z.object({
  kitVersion: z.literal(KIT_VERSION),
  protocolVersion: z.literal(PROTOCOL_VERSION),
  generatedFrom: z.string().min(1),
  cases: z
    .array(vectorCaseSchema)
    .min(1)
    .refine((cases) => new Set(cases.map((c) => c.name)).size === cases.length, 'case names are unique'),
});
export type VectorFile = z.infer<typeof vectorFileSchema>;
