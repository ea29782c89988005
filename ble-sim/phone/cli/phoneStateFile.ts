/**
 * The phone CLI's memory between invocations: the server it talks to, its account and session, its
 * passkeys (private keys: the file is written with mode 0600, atomically), its key wallet (with each
 * key's response and advertising keys: secrets too) and its BLE radio address and bonds (so a bonded car is not discovered again), so
 * separate `npm run phone` runs are one phone. Validated when read: a damaged file is refused with
 * a sentence, never half-used.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../../../shared/privateFile.js';
import { keyBytes32Schema } from '../../../shared/ble/linkKeys.js';

const passkeySchema = z.object({ id: z.string(), rpId: z.string(), userHandle: z.string(), counter: z.number().int().min(0), privateJwk: z.record(z.string(), z.unknown()) });
/** 32 bytes of key material, base64url. */
const walletEntrySchema = z
  .object({ vin: z.string(), keyId: z.string(), credential: z.string(), expiresAt: z.number(), state: z.string().optional(), stateSeq: z.number(), responseKey: keyBytes32Schema, advertisingKey: keyBytes32Schema, carHolds: z.boolean().exactOptional() })
  .transform((e) => ({ ...e, state: e.state }));
const bondSchema = z.object({
  /** The car's VIN (the bond outlives the car's rotating address). */
  peer: z.string(),
  services: z.array(z.object({ uuid: z.string(), characteristics: z.array(z.object({ uuid: z.string(), properties: z.array(z.enum(['read', 'write', 'writeWithoutResponse', 'notify', 'indicate'])) })) })),
});
/** A bond saved before cars rotated their address ({address, services}): useless now, so dropped; the next command bonds again. */
const addressBondSchema = z.object({ address: z.string() }).transform(() => null);

const phoneStateSchema = z.object({
  version: z.literal(1),
  serverUrl: z.string().url(),
  rpId: z.string(),
  origin: z.string(),
  email: z.string().optional(),
  accountId: z.string().optional(),
  passkeyId: z.string().optional(),
  /** The session token and when it expires (ms). */
  session: z.object({ token: z.string(), expiresAt: z.number() }).optional(),
  passkeys: z.array(passkeySchema),
  wallet: z.array(walletEntrySchema),
  /** The vehicle commands act on when --vin is not given (the last one claimed, keyed or accepted). */
  currentVin: z.string().optional(),
  /** The phone radio's address: the identity its bonds with cars are kept under. */
  bleAddress: z.string().optional(),
  /** The BLE stack's bonds (AirBindings.bondRecords): each car's VIN and cached GATT table. */
  bonds: z
    .array(z.union([bondSchema, addressBondSchema]))
    .default([])
    .transform((bonds) => bonds.filter((b) => b !== null)),
  /** What each car last answered (locked, engine), by VIN. */
  lastSeen: z.record(z.string(), z.object({ locked: z.boolean(), engine: z.boolean(), at: z.number() })).default({}),
});

export type PhoneState = z.output<typeof phoneStateSchema>;

/** The saved state, or null when the file does not exist yet. */
export async function readPhoneState(path: string): Promise<PhoneState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return null;
    throw new Error(`cannot read the phone's state file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`the phone's state file ${path} is not JSON: move it away to start as a new phone`);
  }
  const parsed = phoneStateSchema.safeParse(json);
  if (!parsed.success) throw new Error(`the phone's state file ${path} is damaged (${parsed.error.issues[0]?.path.join('.') || 'root'}): move it away to start as a new phone`);
  return parsed.data;
}

/** Write the state atomically, readable by its owner only (shared/privateFile.ts). */
export async function writePhoneState(path: string, state: PhoneState): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writePrivateFile(path, `${JSON.stringify(state, null, 2)}\n`);
}
