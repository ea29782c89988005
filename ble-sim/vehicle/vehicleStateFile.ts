/**
 * Persists the vehicle's state as JSON with an atomic write: write a temporary file, fsync it,
 * rename it over the old one, fsync the directory. A crash leaves either the old state or the new
 * one, never a torn file, so a reboot never brings a revoked key back. A file that is unreadable,
 * malformed or belongs to another VIN stops the vehicle from starting rather than resetting it
 * (resetting would forget revocations).
 */
import { readFile } from 'node:fs/promises';
import { writePrivateFile } from '../../shared/privateFile.js';
import type { Vin } from '../../shared/ids.js';
import { vehicleStateSchema, type VehicleState } from './vehicleState.js';

/** Load the state, or null when there is no file yet. Throws when the file cannot be trusted. */
export async function loadVehicleState(path: string, vin: Vin): Promise<VehicleState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`vehicle state file ${path} is not JSON: refusing to start with a blank state`, { cause: err });
  }
  const parsed = vehicleStateSchema.safeParse(json);
  if (!parsed.success) throw new Error(`vehicle state file ${path} is malformed: refusing to start with a blank state`);
  if (parsed.data.vin !== vin) throw new Error(`vehicle state file ${path} belongs to ${parsed.data.vin}, not ${vin}`);
  return parsed.data;
}

/** Write the state atomically (shared/privateFile.ts: temp file + fsync + rename + directory fsync), owner-only. */
export async function saveVehicleState(path: string, state: VehicleState): Promise<void> {
  await writePrivateFile(path, JSON.stringify(vehicleStateSchema.parse(state), null, 2));
}
