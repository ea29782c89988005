/**
 * Persists the vehicle's state as JSON with an atomic write: write a temporary file, fsync it,
 * rename it over the old one, fsync the directory. A crash leaves either the old state or the new
 * one, never a torn file, so a reboot never brings a revoked key back. A file that is unreadable,
 * malformed or belongs to another VIN stops the vehicle from starting rather than resetting it
 * (resetting would forget revocations).
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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

let tempCounter = 0;

/** Write the state atomically (temp file + fsync + rename + directory fsync). */
export async function saveVehicleState(path: string, state: VehicleState): Promise<void> {
  const data = JSON.stringify(vehicleStateSchema.parse(state), null, 2);
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(data, 'utf8');
    await file.sync();
  } catch (err) {
    await file.close();
    await rm(temp, { force: true });
    throw err;
  }
  await file.close();
  await rename(temp, path);
  // Make the rename itself durable. Some platforms cannot open a directory: the rename is still atomic.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // best effort
  }
}
