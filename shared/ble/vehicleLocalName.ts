/**
 * The vehicle's BLE local name, derived from its VIN so a phone can find its car without the car
 * broadcasting the VIN itself (Tesla does the same: "S" + 8 bytes of a hash of the VIN + "C").
 * Here: "S" + the first 8 bytes of SHA-256(VIN) in hex + "D" (18 characters, fits an advertisement).
 */
import { createHash } from 'node:crypto';
import type { Vin } from '../ids.js';

export function vehicleLocalName(vin: Vin): string {
  return `S${createHash('sha256').update(vin).digest('hex').slice(0, 16)}D`;
}
