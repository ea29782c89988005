/**
 * Provision a vehicle the operator brings no key material for: make its key pair, QR token and link
 * secret, have the server register it (`provision`: the store directly, or a dev server's operator
 * endpoint), and only then write the car's provisioning file (its private key and link secret, mode
 * 0600), so a refused VIN leaves no stray secret. The QR token is returned to be shown once; the
 * server keeps only its SHA-256. When the car made its own key pair, no file is written: the link
 * secret is returned to be shown once, for whoever installs the car's provisioning file.
 */
import type { ProvisionVehicleInput } from './provisionVehicle.js';
import { generateLinkSecret, generateQrToken, generateVehicleKeyPair, type VehicleKeyPair, type VehiclePublicJwk } from './newVehicleIdentity.js';
import { writeVehicleKeyFile } from '../../shared/vehicleKeyFile.js';

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
  /** The car's provisioning file (private key and link secret) when a key pair was made here. */
  keyFile?: string;
  /** The link secret when the car brought its own key pair, so no file was written (to show once). */
  newLinkSecret?: string;
}

export async function provisionNewVehicle<T>(provision: (input: ProvisionVehicleInput) => Promise<T>, opts: ProvisionNewVehicleOptions): Promise<ProvisionedVehicle<T>> {
  const qrToken = opts.qrToken ?? generateQrToken();
  const newQrToken = opts.qrToken === undefined ? qrToken : undefined;
  const linkSecret = generateLinkSecret();
  let pair: VehicleKeyPair | undefined;
  let vehiclePublicJwk = opts.vehiclePublicJwk;
  if (vehiclePublicJwk === undefined) {
    pair = generateVehicleKeyPair();
    vehiclePublicJwk = pair.publicJwk;
  }
  const registered = await provision({ vin: opts.vin, odometerKm: opts.odometerKm, firstRegistration: opts.firstRegistration, qrToken, vehiclePublicJwk, linkSecret });
  if (pair) await writeVehicleKeyFile(opts.keyFile, { vehicleKey: pair.privateJwk, linkSecret });
  return { registered, ...(newQrToken ? { newQrToken } : {}), ...(pair ? { keyFile: opts.keyFile } : { newLinkSecret: linkSecret }) };
}
