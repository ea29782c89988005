/**
 * Configuration of the simulated-vehicle process (`npm run vehicle`), read from the environment and
 * validated at start with one clear error. Defaults suit a developer's localhost and match the
 * server's (ISSUER, RP_ID, RP_ORIGINS).
 */
import { z } from 'zod';
import { LINK_PROFILE_NAMES } from '../air/linkProfile.js';
import { vinSchema } from '../../shared/ids.js';
import { originListSchema, parseEnvironment } from '../../shared/parseEnvironment.js';

const envSchema = z.object({
  /** The car's VIN. */
  VIN: vinSchema.default('SDKDEM00000000001'),
  /** Where the car persists its state (manifest seq, epoch, revocations, counters). Default `$SDK_DATA_DIR/vehicle-<VIN>.json` (`.data/`). */
  STATE_FILE: z.string().min(1).optional(),
  /** The issuer the car trusts (`iss` of credentials and manifests). */
  ISSUER: z.string().min(1).default('http://localhost:8080'),
  /** A file holding the issuer's JWKS. Takes precedence over JWKS_URL. */
  JWKS_FILE: z.string().min(1).optional(),
  /** Where to fetch the issuer's JWKS at start. Default `<ISSUER>/.well-known/jwks.json`. */
  JWKS_URL: z.string().url().optional(),
  /** WebAuthn relying-party id the passkeys belong to. */
  RP_ID: z.string().min(1).default('localhost'),
  /** Comma-separated accepted WebAuthn origins. */
  RP_ORIGINS: originListSchema().default(['http://localhost:8080']),
  /** One of the named link profiles (default, minMtu, maxMtu, lossy, slow). */
  LINK_PROFILE: z.enum(LINK_PROFILE_NAMES).default('default'),
  /** Seed of the simulated air (loss, RSSI jitter). */
  AIR_SEED: z.coerce.number().int().default(1),
  /** Loopback address and port of the air bridge phones connect to (0: any free port). */
  AIR_HOST: z.string().default('127.0.0.1'),
  AIR_PORT: z.coerce.number().int().min(0).max(65535).default(7433),
  /** The server's vehicle API base URL: the car keeps a sync channel to it (revocations), signed with its provisioned key. */
  SERVER_URL: z.string().url().optional(),
  /**
   * The car's provisioning file, as `npm run operator -- provision-vehicle` (or `npm run dev`) writes
   * it: `{"vehicleKey": <private P-256 JWK>, "linkSecret": <base64url>}` (shared/vehicleKeyFile.ts).
   * Required: without its link secret the car cannot advertise. Default `$SDK_DATA_DIR/vehicle-<VIN>.key.json`.
   */
  VEHICLE_KEY_FILE: z.string().min(1).optional(),
});

/** The validated configuration. */
export type VehicleConfig = z.output<typeof envSchema>;

/** Parse the environment; throws one Error that lists every bad variable. */
export function loadVehicleConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): VehicleConfig {
  return parseEnvironment(envSchema, env, 'vehicle configuration');
}
