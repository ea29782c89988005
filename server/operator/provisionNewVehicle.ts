/**
 * Provision a vehicle the operator brings no key material for: make its key pair and QR token,
 * have the server register it (`provision`: the store directly, or a dev server's operator
 * endpoint), and only then write the car's private key file (mode 0600), so a refused VIN leaves
 * no stray key. The QR token is returned to be shown once; the server keeps only its SHA-256.
 */
import type { ProvisionVehicleInput } from './provisionVehicle.js';
import { generateQrToken, generateVehicleKeyPair, writeVehicleKeyFile, type VehicleKeyPair, type VehiclePublicJwk } from './newVehicleIdentity.js';

export interface ProvisionNewVehicleOptions {
  vin: string;
  odometerKm: number;
  firstRegistration: string;
  /** Given: used as is (not shown again). Absent: a fresh one. */
  qrToken?: string;
  /** Given: the car made its own key pair. Absent: a fresh pair, the private half written to `keyFile`. */
  vehiclePublicJwk?: VehiclePublicJwk;
  keyFile: string;
}

export interface ProvisionedVehicle<T> {
  registered: T;
  /** The QR token when it was made here (to show once). */
  newQrToken?: string;
  /** The car's key file when a key pair was made here. */
  keyFile?: string;
}

export async function provisionNewVehicle<T>(provision: (input: ProvisionVehicleInput) => Promise<T>, opts: ProvisionNewVehicleOptions): Promise<ProvisionedVehicle<T>> {
  const qrToken = opts.qrToken ?? generateQrToken();
  const newQrToken = opts.qrToken === undefined ? qrToken : undefined;
  let pair: VehicleKeyPair | undefined;
  let vehiclePublicJwk = opts.vehiclePublicJwk;
  if (vehiclePublicJwk === undefined) {
    pair = generateVehicleKeyPair();
    vehiclePublicJwk = pair.publicJwk;
  }
  const registered = await provision({ vin: opts.vin, odometerKm: opts.odometerKm, firstRegistration: opts.firstRegistration, qrToken, vehiclePublicJwk });
  if (pair) await writeVehicleKeyFile(opts.keyFile, pair.privateJwk);
  return { registered, ...(newQrToken ? { newQrToken } : {}), ...(pair ? { keyFile: opts.keyFile } : {}) };
}
