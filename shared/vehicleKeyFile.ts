/**
 * The car's provisioning file (`VEHICLE_KEY_FILE` of `npm run vehicle`): the secrets provisioning
 * gives a car, in one JSON file only its owner may read (mode 0600), written by the operator tools
 * and read by the car at start:
 *
 * ```json
 * { "vehicleKey": { "kty": "EC", "crv": "P-256", "x": "…", "y": "…", "d": "…" },
 *   "linkSecret": "<32 bytes, base64url>" }
 * ```
 *
 * `vehicleKey` signs the car's sync requests (the server holds its public half); `linkSecret` is
 * what the car's private advertising and response keys derive from (the server holds the same
 * secret, shared/ble/linkKeys.ts). One file, so a car is never provisioned with half of them.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { linkSecretSchema } from './ble/linkKeys.js';
import { p256PrivateJwkSchema } from './credential/jwkSchema.js';
import { writePrivateFile } from './privateFile.js';

export const vehicleKeyFileSchema = z.object({ vehicleKey: p256PrivateJwkSchema, linkSecret: linkSecretSchema });
export type VehicleKeyFile = z.infer<typeof vehicleKeyFileSchema>;

/** Write the car's provisioning file, readable by its owner only (atomically: shared/privateFile.ts). */
export async function writeVehicleKeyFile(path: string, contents: VehicleKeyFile): Promise<void> {
  const checked = vehicleKeyFileSchema.parse(contents);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writePrivateFile(path, `${JSON.stringify(checked)}\n`);
}

/** Read and check the car's provisioning file; throws one sentence (never the file's contents) when it is missing or damaged. */
export async function readVehicleKeyFile(path: string): Promise<VehicleKeyFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the car's provisioning file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`the car's provisioning file ${path} is not JSON`);
  }
  const parsed = vehicleKeyFileSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || 'root').join(', ');
    throw new Error(`the car's provisioning file ${path} does not hold {"vehicleKey": <private P-256 JWK>, "linkSecret": <32 bytes base64url>} (${where})`);
  }
  return parsed.data;
}
