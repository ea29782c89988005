/**
 * The vehicle's persisted state: what it learnt from signed manifests (seq, epoch, revoked keys),
 * the passkeys' signature counters, the highest trusted time it has seen, and its actuators. All of
 * it survives a reboot (vehicleStateFile.ts), so a restart never brings a revoked key back.
 */
import { z } from 'zod';
import { idSchema, vinSchema, type Vin } from '../../shared/ids.js';
import type { StateManifest } from '../../shared/credential/stateManifest.js';
import { revokedKeyDigestHex } from '../../shared/credential/revokedKeyDigest.js';
import type { TrustUpdateClaims } from '../../shared/credential/trustUpdate.js';

/** Version of the persisted state format. */
export const VEHICLE_STATE_VERSION = 1;

/** How many bonded phones the car remembers; the least recently used goes first. */
export const MAX_BONDS = 32;

/** The persisted state, validated on load. */
export const vehicleStateSchema = z.object({
  version: z.literal(VEHICLE_STATE_VERSION),
  vin: vinSchema,
  /** The seq of the newest manifest applied (0: none yet). */
  seq: z.number().int().nonnegative(),
  /** The key epoch: credentials with a lower `ep` are refused. Never decreases. */
  ep: z.number().int().nonnegative(),
  /**
   * Individually revoked keys, from the newest manifest, as the 16 hex characters of their digest
   * (revokedKeyDigest.ts). A state file written before manifests named keys by digest holds key
   * ids: they are read as their digests.
   */
  revoked: z.array(z.union([z.string().regex(/^[0-9a-f]{16}$/), idSchema.transform(revokedKeyDigestHex)])),
  /** Highest WebAuthn signature counter seen per passkey (by its key: vehicleVerifier's passkeyCounterKey). */
  counters: z.record(z.string(), z.number().int().nonnegative()),
  /** Highest trusted time seen (own clock, manifests' `iat`), ms since the epoch. */
  highestTrustedMs: z.number().int().nonnegative(),
  actuators: z.object({ locked: z.boolean(), engine: z.boolean() }),
  /**
   * The issuer keys taken from the newest trust update (trustUpdate.ts), replacing the provisioned
   * ones; absent until the first update. `trustIat` is that update's `iat`: an older one is refused.
   */
  issuerKeys: z.array(z.looseObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), kid: z.string() })).min(1).exactOptional(),
  trustIat: z.number().int().nonnegative().exactOptional(),
  /** The phones (central addresses) bonded with the car, least recently used first (protocol.md, Bonding). */
  bonds: z.array(z.string().max(64)).max(MAX_BONDS).exactOptional(),
});


/** The vehicle's persisted state. */
export type VehicleState = z.infer<typeof vehicleStateSchema>;

/** A factory-fresh vehicle: locked, engine off, no manifest yet. */
export function initialVehicleState(vin: Vin, nowMs: number): VehicleState {
  return {
    version: VEHICLE_STATE_VERSION,
    vin,
    seq: 0,
    ep: 0,
    revoked: [],
    counters: {},
    highestTrustedMs: Math.max(0, Math.floor(nowMs)),
    actuators: { locked: true, engine: false },
  };
}

/**
 * Apply a verified manifest if it is newer (its `seq` is higher); returns the new state, or the same
 * object when the manifest is stale. The epoch never goes down, and the manifest's `iat` advances
 * the highest trusted time (the forward-only clock).
 */
export function withManifest(state: VehicleState, manifest: StateManifest): VehicleState {
  if (manifest.seq <= state.seq) return state;
  return {
    ...state,
    seq: manifest.seq,
    ep: Math.max(state.ep, manifest.ep),
    revoked: [...new Set(manifest.revoked)],
    highestTrustedMs: Math.max(state.highestTrustedMs, manifest.iat * 1000),
  };
}

/**
 * Take the key set of a verified trust update if it is newer than the last one taken; returns the
 * new state, or the same object when the update is not newer (a replay or an older instance).
 */
export function withTrustUpdate(state: VehicleState, update: TrustUpdateClaims): VehicleState {
  if (state.trustIat !== undefined && update.iat <= state.trustIat) return state;
  return { ...state, issuerKeys: update.keys, trustIat: update.iat };
}

/** The state with this phone as the most recently used bond (pure); the oldest beyond MAX_BONDS go. */
export function withBond(state: VehicleState, centralAddress: string): VehicleState {
  const bonds = [...(state.bonds ?? []).filter((a) => a !== centralAddress), centralAddress].slice(-MAX_BONDS);
  return { ...state, bonds };
}
